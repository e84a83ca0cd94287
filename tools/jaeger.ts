/**
 * A small client for the query API Jaeger v2 keeps, /api/v3 on :16686: one trace
 * by id, a search by service and time window, the list of services. (Jaeger's
 * main branch after 2.20 removed the v1 search, services and operations
 * endpoints: jaegertracing/jaeger#9260.) It answers in
 * OTLP JSON, which this module reads into the plain spans the tools and tests
 * use. Used by the tests, `npm run trace` and the bench.
 */
import { httpGet, HttpTimeout } from '../lib/http';

export interface Span {
  traceId: string;
  spanId: string;
  parentId?: string;
  service: string;
  operation: string;
  /** Microseconds since the epoch. */
  startUs: number;
  durationUs: number;
  /**
   * When the tracer itself says the span finished, if it logs that: Envoy's Zipkin
   * tracer logs "ss"/"cr" then. Its duration counts from when the span was made,
   * which can be later than the request's start that it uses as the timestamp, so
   * startUs + durationUs can fall short of this.
   */
  finishUs?: number;
  tags: Record<string, string | number | boolean>;
  /** The host.name of the process that made it (a pod's name on Kubernetes), where its tracer says. */
  host?: string;
  error: boolean;
  /** OpenTelemetry's span kind; Jaeger makes it from the span.kind tag of the older tracers. */
  kind: SpanKind;
}

export type SpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
const SPAN_KINDS: SpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** OTLP's kind, an enum that JSON writes as its number (2) or its name ("SPAN_KIND_SERVER"). */
export function spanKind(kind: number | string | undefined): SpanKind {
  if (typeof kind === 'number') return SPAN_KINDS[kind] ?? 'unspecified';
  const named = /^SPAN_KIND_([A-Z]+)$/.exec(kind ?? '')?.[1].toLowerCase() as SpanKind | undefined;
  return named && SPAN_KINDS.includes(named) ? named : 'unspecified';
}

export interface Trace {
  traceId: string;
  spans: Span[];
}

/** OTLP JSON, as /api/v3 writes it: ids in hex, times in nanoseconds as strings, attributes typed. */
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

interface OtlpAttribute {
  key: string;
  value?: OtlpValue;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number | string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpAttribute[];
  events?: Array<{ timeUnixNano: string; name: string }>;
  status?: { code?: number | string };
}

interface OtlpTraces {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

/** Zipkin's "server send" and "client receive": the moment an Envoy span was finished. */
const FINISH_EVENTS = new Set(['ss', 'cr']);

export class JaegerUnavailable extends Error {}

/** What the UI's Monitor tab shows: the request rate, the share of errors, and a latency percentile. */
export type MetricName = 'calls' | 'errors' | 'latencies';

export interface MetricsQuery {
  services: string[];
  /** The end of the series, in ms since the epoch; now unless given. */
  endMs?: number;
  /** How far back the series reaches from its end, and the time between its points. */
  lookbackMs: number;
  stepMs: number;
  /** The window each point's rate is taken over (PromQL's range: whole seconds, under a minute, or whole minutes). */
  ratePerMs: number;
  /** latencies only: 0.5, 0.75, 0.95 or 0.99. */
  quantile?: number;
  spanKinds?: Array<'server' | 'client' | 'internal' | 'producer' | 'consumer'>;
}

/** One series of the Monitor tab: a service's operation, its points oldest first (NaN where Prometheus had none). */
export interface OperationSeries {
  service: string;
  operation: string;
  points: Array<{ timeMs: number; value: number }>;
}

interface MetricFamily {
  metrics?: Array<{
    labels?: Array<{ name: string; value: string }>;
    metricPoints?: Array<{ timestamp: string; gaugeValue?: { doubleValue?: number | string } }>;
  }>;
}

/** A search's window back from now: "90s", "5m", "1h". */
export function lookbackMs(lookback: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(lookback);
  if (!match) throw new Error(`lookback must be a number of s, m or h, got "${lookback}"`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
}

export class JaegerClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 3000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The trace, or undefined while Jaeger does not have it. */
  async trace(traceId: string): Promise<Trace | undefined> {
    const res = await this.get(`/api/v3/traces/${encodeURIComponent(traceId)}`);
    if (res.status === 404) return undefined;
    return groupByTrace(await this.json<{ result?: OtlpTraces }>(res))[0];
  }

  /**
   * The most recent traces that contain the service within the lookback (and, where given, a span
   * with every tag), newest first. /api/v3 has no tag filter in Jaeger 2.13, so the tags are
   * matched here, among the `limit` newest traces of the service.
   */
  async traces(service: string, { limit = 20, lookback = '1h', tags = undefined as Record<string, string> | undefined } = {}): Promise<Trace[]> {
    const end = this.now();
    const query = new URLSearchParams({
      'query.service_name': service,
      'query.start_time_min': new Date(end - lookbackMs(lookback)).toISOString(),
      'query.start_time_max': new Date(end).toISOString(),
      'query.num_traces': String(limit),
    });
    const res = await this.get(`/api/v3/traces?${query}`);
    // A search that finds nothing is a 404 in /api/v3.
    if (res.status === 404) return [];
    const found = groupByTrace(await this.json<{ result?: OtlpTraces }>(res));
    const tagged = tags ? found.filter((t) => t.spans.some((s) => Object.entries(tags).every(([k, v]) => String(s.tags[k]) === v))) : found;
    return tagged.sort((a, b) => rootStart(b) - rootStart(a));
  }

  /**
   * The Monitor tab's figures per service and operation (Jaeger's /api/metrics/*, read from the
   * span metrics in Prometheus): calls per second, the share of them that were errors, or a
   * latency percentile in ms. By default of server spans, as the Monitor tab shows them.
   */
  async metrics(name: MetricName, query: MetricsQuery): Promise<OperationSeries[]> {
    const params = new URLSearchParams({
      groupByOperation: 'true',
      endTs: String(Math.round(query.endMs ?? this.now())),
      lookback: String(query.lookbackMs),
      step: String(query.stepMs),
      ratePer: String(query.ratePerMs),
    });
    for (const service of query.services) params.append('service', service);
    for (const kind of query.spanKinds ?? ['server']) params.append('spanKind', kind);
    if (name === 'latencies') params.set('quantile', String(query.quantile ?? 0.95));
    const family = await this.json<MetricFamily>(await this.get(`/api/metrics/${name}?${params}`));
    return (family.metrics ?? []).map((metric) => {
      const label = (key: string) => metric.labels?.find((l) => l.name === key)?.value ?? '';
      return {
        service: label('service_name'),
        operation: label('operation'),
        points: (metric.metricPoints ?? []).map((p) => ({ timeMs: Date.parse(p.timestamp), value: Number(p.gaugeValue?.doubleValue ?? NaN) })),
      };
    });
  }

  async services(): Promise<string[]> {
    const body = await this.json<{ services?: string[] }>(await this.get('/api/v3/services'));
    return body.services ?? [];
  }

  uiLink(traceId: string): string {
    return `${this.baseUrl}/trace/${traceId}`;
  }

  private async get(path: string): Promise<{ status: number; path: string; body: string }> {
    try {
      const { status, body } = await httpGet(`${this.baseUrl}${path}`, { timeoutMs: this.timeoutMs });
      return { status, path, body };
    } catch (err) {
      throw this.unavailable(path, err);
    }
  }

  private async json<T>(res: { status: number; path: string; body: string }): Promise<T> {
    if (res.status < 200 || res.status > 299) throw new JaegerUnavailable(`Jaeger at ${this.baseUrl} answered ${res.status} to ${this.baseUrl}${res.path}`);
    try {
      return JSON.parse(res.body) as T;
    } catch (err) {
      throw this.unavailable(res.path, err);
    }
  }

  /** One line that says which call failed, and for a timeout how long it was given and what to try. */
  private unavailable(path: string, err: unknown): JaegerUnavailable {
    const { code, message } = err as { code?: string; message: string };
    if (err instanceof HttpTimeout) {
      return new JaegerUnavailable(
        `Jaeger at ${this.baseUrl} did not answer GET ${path.slice(0, 120)} within ${this.timeoutMs} ms (a busy machine? ask for fewer traces, or try again)`,
      );
    }
    return new JaegerUnavailable(`Jaeger at ${this.baseUrl} did not answer (${code ?? message})`);
  }
}

function attributeValue(value: OtlpValue | undefined): string | number | boolean {
  if (value?.stringValue !== undefined) return value.stringValue;
  if (value?.intValue !== undefined) return Number(value.intValue);
  if (value?.doubleValue !== undefined) return value.doubleValue;
  if (value?.boolValue !== undefined) return value.boolValue;
  return '';
}

const attributesOf = (attributes: OtlpAttribute[] = []) => Object.fromEntries(attributes.map((a) => [a.key, attributeValue(a.value)]));

/**
 * A 64-bit id (jaeger-client, Envoy's Zipkin tracer) comes back from /api/v3 as 128 bits with
 * the high half zero; the tracers and x-trace-id write it as 16 hex digits, and so does this.
 */
const shortId = (id: string) => (id.length === 32 && id.startsWith('0'.repeat(16)) ? id.slice(16) : id);

const micros = (nanos: string) => Math.round(Number(BigInt(nanos) / 1000n));

/** The OTLP status code of an error: 2, or its name. */
const isErrorStatus = (code: number | string | undefined) => code === 2 || code === 'STATUS_CODE_ERROR';

/** The spans of an OTLP answer, one trace per trace id (a search answers with all of them in one). */
function groupByTrace(body: { result?: OtlpTraces }): Trace[] {
  const traces = new Map<string, Span[]>();
  for (const resourceSpans of body.result?.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const service = String(resource['service.name'] ?? '?');
    const host = resource['host.name'];
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const s of scope.spans ?? []) {
        const tags = attributesOf(s.attributes);
        const finish = (s.events ?? []).find((e) => FINISH_EVENTS.has(e.name));
        const startUs = micros(s.startTimeUnixNano);
        const span: Span = {
          traceId: shortId(s.traceId),
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentId: s.parentSpanId } : {}),
          service,
          operation: s.name,
          startUs,
          durationUs: micros(s.endTimeUnixNano) - startUs,
          ...(finish ? { finishUs: micros(finish.timeUnixNano) } : {}),
          tags,
          ...(host !== undefined ? { host: String(host) } : {}),
          // Jaeger turns a tracer's error tag (jaeger-client's, Envoy's) into the span's status.
          error: isErrorStatus(s.status?.code),
          kind: spanKind(s.kind),
        };
        traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
      }
    }
  }
  return [...traces].map(([traceId, spans]) => ({ traceId, spans: spans.sort((a, b) => a.startUs - b.startUs) }));
}

/** The HTTP status a span records: http.status_code (Envoy, jaeger-client) or http.response.status_code (OpenTelemetry's conventions). */
export function httpStatus(span: Span): number | undefined {
  const status = span.tags['http.status_code'] ?? span.tags['http.response.status_code'];
  return status === undefined ? undefined : Number(status);
}

function rootStart(trace: Trace): number {
  return trace.spans[0]?.startUs ?? 0;
}

/** Spans ordered parent before child, each with its depth; orphans become roots. */
export function spanTree(trace: Trace): Array<{ span: Span; depth: number }> {
  const ids = new Set(trace.spans.map((s) => s.spanId));
  const children = new Map<string | undefined, Span[]>();
  for (const span of trace.spans) {
    const parent = span.parentId && ids.has(span.parentId) ? span.parentId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const rows: Array<{ span: Span; depth: number }> = [];
  const visit = (span: Span, depth: number) => {
    rows.push({ span, depth });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of children.get(undefined) ?? []) visit(root, 0);
  return rows;
}

/** The trace as an indented tree with durations, for a person reading a failure. */
export function describeTrace(trace: Trace): string {
  return [
    `trace ${trace.traceId} (${trace.spans.length} spans)`,
    ...spanTree(trace).map(({ span, depth }) => {
      const status = httpStatus(span) ?? '-';
      const mark = span.error ? '  ERROR' : '';
      return `${'  '.repeat(depth + 1)}${span.service}: ${span.operation}  ${(span.durationUs / 1000).toFixed(2)} ms  [${status}]${mark}`;
    }),
  ].join('\n');
}
