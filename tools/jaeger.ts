/**
 * A small client for Jaeger's HTTP query API (/api/traces, /api/services), as
 * served on :16686 by Jaeger v2. Used by the tests, `npm run trace` and the bench.
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
  error: boolean;
}

export interface Trace {
  traceId: string;
  spans: Span[];
}

interface ApiSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: Array<{ refType: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags?: Array<{ key: string; value: string | number | boolean }>;
  logs?: Array<{ timestamp: number; fields: Array<{ key: string; value: unknown }> }>;
  processID: string;
}

/** Zipkin's "server send" and "client receive": the moment an Envoy span was finished. */
const FINISH_EVENTS = new Set(['ss', 'cr']);

interface ApiTrace {
  traceID: string;
  spans: ApiSpan[];
  processes: Record<string, { serviceName: string }>;
}

export class JaegerUnavailable extends Error {}

export class JaegerClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 3000,
  ) {}

  /** The trace, or undefined while Jaeger does not have it. */
  async trace(traceId: string): Promise<Trace | undefined> {
    const res = await this.get(`/api/traces/${encodeURIComponent(traceId)}`);
    if (res.status === 404) return undefined;
    const body = await this.json<{ data: ApiTrace[] | null }>(res);
    const trace = body.data?.[0];
    return trace ? normalize(trace) : undefined;
  }

  /** The most recent traces that contain the service (and every given tag), newest first. */
  async traces(service: string, { limit = 20, lookback = '1h', tags = undefined as Record<string, string> | undefined } = {}): Promise<Trace[]> {
    const query = new URLSearchParams({ service, limit: String(limit), lookback, ...(tags ? { tags: JSON.stringify(tags) } : {}) });
    const body = await this.json<{ data: ApiTrace[] | null }>(await this.get(`/api/traces?${query}`));
    return (body.data ?? []).map(normalize).sort((a, b) => rootStart(b) - rootStart(a));
  }

  async services(): Promise<string[]> {
    const body = await this.json<{ data: string[] | null }>(await this.get('/api/services'));
    return body.data ?? [];
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

function normalize(trace: ApiTrace): Trace {
  const spans = trace.spans.map((s): Span => {
    const tags = Object.fromEntries((s.tags ?? []).map((t) => [t.key, t.value]));
    const finish = (s.logs ?? []).find((l) => l.fields.some((f) => f.key === 'event' && FINISH_EVENTS.has(String(f.value))));
    return {
      traceId: s.traceID,
      spanId: s.spanID,
      parentId: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID,
      service: trace.processes[s.processID]?.serviceName ?? '?',
      operation: s.operationName,
      startUs: s.startTime,
      durationUs: s.duration,
      ...(finish ? { finishUs: finish.timestamp } : {}),
      tags,
      error: tags.error === true || tags.error === 'true',
    };
  });
  spans.sort((a, b) => a.startUs - b.startUs);
  return { traceId: trace.traceID, spans };
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
