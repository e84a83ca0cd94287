/**
 * The one table of what a trace through the sandbox looks like, hop by hop, and
 * the check that names the hop that broke.
 */
import { describeTrace, httpStatus, Span, SpanKind, Trace } from './jaeger';

export interface Hop {
  service: string;
  operation: string;
  /**
   * Server: the span of a request received (the front proxy, an ingress listener, a service's
   * handler); client: of a request sent. The Monitor tab counts server spans by default.
   */
  kind: Extract<SpanKind, 'server' | 'client'>;
  /** Index of the parent hop in the same table; null for the root. */
  parent: number | null;
  /** Envoy spans carry the x-request-id tag. */
  envoy: boolean;
  /** What it means when this hop is missing or detached. */
  blame: string;
  /** The http.status_code this hop must have, when it is not the trace's (ShapeOptions.status). */
  status?: number;
  /** The response_flags Envoy must have set on this hop ('-': none). */
  flags?: string;
}

/** GET /trace/1 through the front proxy. */
export const TRACE_HOPS: readonly Hop[] = [
  { service: 'front-proxy', operation: 'front-proxy /trace', kind: 'server', parent: null, envoy: true, blame: 'the front Envoy did not report its span' },
  { service: 'service1', operation: 'ingress service1', kind: 'server', parent: 0, envoy: true, blame: "service1's sidecar did not join the front proxy's trace" },
  { service: 'service1', operation: 'GET /trace/:n', kind: 'server', parent: 1, envoy: false, blame: 'service1 did not extract the trace headers from its sidecar' },
  { service: 'service1', operation: 'call downstream', kind: 'client', parent: 2, envoy: false, blame: 'service1 did not report its client span' },
  { service: 'service1', operation: 'egress service2', kind: 'client', parent: 3, envoy: true, blame: 'service1 did not forward its trace headers on the call to service2' },
  { service: 'service2', operation: 'ingress service2', kind: 'server', parent: 4, envoy: true, blame: "service2's sidecar did not join service1's trace" },
  { service: 'service2', operation: 'GET /trace/:n', kind: 'server', parent: 5, envoy: false, blame: 'service2 did not extract the trace headers from its sidecar' },
];

/** GET /service/1 through the front proxy: service1 answers without calling service2. */
export const SERVICE_HOPS: readonly Hop[] = [
  { ...TRACE_HOPS[0], operation: 'front-proxy /service' },
  TRACE_HOPS[1],
  { ...TRACE_HOPS[2], operation: 'GET /service/:n' },
];

/**
 * GET /trace/1 with `x-sandbox-lab: forget-headers` (docs/labs.md): service1 calls service2 without
 * the trace context, and the trace splits in two.
 */
export const FORGOT_HEADERS_HOPS: { caller: readonly Hop[]; downstream: readonly Hop[] } = {
  /** The front proxy's trace ends at service1's client span. */
  caller: TRACE_HOPS.slice(0, 4),
  /** A new trace starts at service1's egress sidecar, which got no context, and runs through service2. */
  downstream: [
    { ...TRACE_HOPS[4], parent: null, blame: "service1's egress sidecar did not start a trace of its own" },
    { ...TRACE_HOPS[5], parent: 0 },
    { ...TRACE_HOPS[6], parent: 1 },
  ],
};

/**
 * The same lab where the services run OpenTelemetry's instrumentation: the mistake takes its
 * OpenTelemetry form, a call made outside the request's context, so the http instrumentation's
 * client span has no parent and starts the new trace. The split falls one span earlier: 3 + 4.
 */
export const LOST_CONTEXT_HOPS: { caller: readonly Hop[]; downstream: readonly Hop[] } = {
  /** The front proxy's trace ends at service1's server span. */
  caller: TRACE_HOPS.slice(0, 3),
  /** A new trace starts at service1's client span, made outside the request's context, and runs through service2. */
  downstream: [
    { ...TRACE_HOPS[3], parent: null, blame: "service1's client span did not start a trace of its own" },
    { ...TRACE_HOPS[4], parent: 0 },
    { ...TRACE_HOPS[5], parent: 1 },
    { ...TRACE_HOPS[6], parent: 2 },
  ],
};

/** A hop that failed: its status, and the flags its Envoy set, if it is one. */
const failed = (hop: Hop, status: number, flags?: string): Hop => ({ ...hop, status, ...(flags ? { flags } : {}) });

/** service1 and the proxies above it when its call to service2 fails with a 503. */
const ABOVE_THE_CALL: readonly Hop[] = [
  failed(TRACE_HOPS[0], 502, '-'),
  failed(TRACE_HOPS[1], 502, '-'),
  failed(TRACE_HOPS[2], 502),
  failed(TRACE_HOPS[3], 503),
];
/**
 * GET /trace/1 with `x-sandbox-fault: abort-503@<hop>` (docs/labs.md). The Envoy the hop
 * names answers 503 itself and marks its span FI (fault injected); nothing below it runs.
 * The error travels up: service1's client span has the 503, service1 answers 502
 * (a downstream that answered badly), and the front proxy passes the 502 on.
 */
export const ABORTED_HOPS: Record<'service1-egress' | 'service2-ingress', readonly Hop[]> = {
  'service1-egress': [...ABOVE_THE_CALL, failed(TRACE_HOPS[4], 503, 'FI')],
  'service2-ingress': [...ABOVE_THE_CALL, failed(TRACE_HOPS[4], 503, '-'), failed(TRACE_HOPS[5], 503, 'FI')],
};

/**
 * GET /trace/1 with `x-sandbox-fault: delay-<ms>@<hop>`: the whole trace, every status 200,
 * and the Envoy the hop names marks its span DI (delay injected). Its span and every one
 * above it last at least the delay.
 */
export const DELAYED_HOPS: Record<'service1-egress' | 'service2-ingress', readonly Hop[]> = {
  'service1-egress': TRACE_HOPS.map((hop, i) => (i === 4 ? { ...hop, flags: 'DI' } : hop)),
  'service2-ingress': TRACE_HOPS.map((hop, i) => (i === 5 ? { ...hop, flags: 'DI' } : hop)),
};

/** A child may seem to stick out of its parent by this much: the hops' clocks differ a little. */
export const SKEW_US = 1000;

/** How far a child sticks out of its parent at each end, in µs (negative: inside). */
export interface Nesting {
  /** `service1 "GET /trace/:n"`, the child. */
  hop: string;
  early: number;
  late: number;
}

/** A span's end: where its bar ends, or where its tracer logged that it finished, if later. */
const endOf = (span: Span) => Math.max(span.startUs + span.durationUs, span.finishUs ?? -Infinity);

function nesting(hop: string, child: Span, parent: Span): Nesting {
  return { hop, early: parent.startUs - child.startUs, late: endOf(child) - endOf(parent) };
}

/** Every hop's nesting in its parent, for the hops present with their parents. */
export function nestings(trace: Trace, hops: readonly Hop[]): Nesting[] {
  const matched = hops.map((hop) => trace.spans.find((s) => s.service === hop.service && s.operation === hop.operation));
  return hops.flatMap((hop, i) => {
    const child = matched[i];
    const parent = hop.parent === null ? undefined : matched[hop.parent];
    return child && parent ? [nesting(`${hop.service} "${hop.operation}"`, child, parent)] : [];
  });
}

/** A child starts and ends within its parent, give or take SKEW_US. */
function nestingProblems({ hop, early, late }: Nesting): string[] {
  return [
    ...(early > SKEW_US ? [`${hop} starts ${early} µs before its parent`] : []),
    ...(late > SKEW_US ? [`${hop} ends ${late} µs after its parent`] : []),
  ];
}

export interface ShapeOptions {
  /** Every span's http.status_code (200 unless given), where its hop gives none; null skips the check. */
  status?: number | null;
  /** Check that every child starts and ends within its parent (default true). */
  timing?: boolean;
  /**
   * The services' server spans end when Node reports the response sent, as OpenTelemetry's http
   * instrumentation ends them: on a busy event loop that is after their sidecar has the answer and
   * has ended its own span, so their end is not held to their parent's (their start still is).
   */
  serverSpansEndAtFinish?: boolean;
  /** The span the root hop hangs under: a traced caller's, which is not in the trace (default: none). */
  rootParent?: string;
}

/** Everything wrong with the trace, one line each, naming the hop; empty when it is whole. */
export function shapeProblems(
  trace: Trace,
  hops: readonly Hop[],
  { status = 200, timing = true, rootParent, serverSpansEndAtFinish = false }: ShapeOptions = {},
): string[] {
  const problems: string[] = [];
  const matched: Array<Span | undefined> = hops.map((hop) =>
    trace.spans.find((s) => s.service === hop.service && s.operation === hop.operation),
  );
  hops.forEach((hop, i) => {
    const span = matched[i];
    const name = `${hop.service} "${hop.operation}"`;
    if (!span) {
      problems.push(`${name} is missing: ${hop.blame}`);
      return;
    }
    if (span.traceId !== trace.traceId) problems.push(`${name} has trace id ${span.traceId}, not ${trace.traceId}`);
    if (span.kind !== hop.kind) problems.push(`${name} is a ${span.kind} span, expected ${hop.kind}`);
    if (hop.parent === null) {
      if (rootParent && span.parentId !== rootParent) {
        problems.push(`${name} should hang under the caller's span ${rootParent} but has parent ${span.parentId ?? 'none'}`);
      } else if (!rootParent && span.parentId) problems.push(`${name} should be the root but has parent ${span.parentId}`);
    } else {
      const parent = matched[hop.parent];
      if (parent && span.parentId !== parent.spanId) {
        problems.push(`${name} is not a child of ${hops[hop.parent].service} "${hops[hop.parent].operation}": ${hop.blame}`);
      }
      if (timing && parent) {
        // A service's server span is the one whose parent is an Envoy span: its sidecar's ingress.
        const endsAtFinish = serverSpansEndAtFinish && !hop.envoy && hops[hop.parent].envoy;
        const found = nesting(name, span, parent);
        problems.push(...nestingProblems(endsAtFinish ? { ...found, late: 0 } : found));
      }
    }
    const expected = hop.status ?? status;
    if (expected !== null && httpStatus(span) !== expected) {
      problems.push(`${name} has http.status_code ${httpStatus(span) ?? 'unset'}, expected ${expected}`);
    }
    if (hop.flags !== undefined && span.tags['response_flags'] !== hop.flags) {
      problems.push(`${name} has response_flags ${span.tags['response_flags'] ?? 'unset'}, expected ${hop.flags}`);
    }
  });
  if (trace.spans.length !== hops.length) {
    const extra = trace.spans.filter((s) => !matched.includes(s)).map((s) => `${s.service} "${s.operation}"`);
    problems.push(`the trace has ${trace.spans.length} spans, expected ${hops.length}${extra.length ? `; unexpected: ${extra.join(', ')}` : ''}`);
  }
  const requestIds = new Set(
    hops.flatMap((hop, i) => (hop.envoy && matched[i] ? [String(matched[i]!.tags['guid:x-request-id'] ?? 'unset')] : [])),
  );
  if (requestIds.size > 1) problems.push(`the Envoy spans carry different x-request-ids: ${[...requestIds].join(', ')}`);
  return problems;
}

/** Throws with the problems and the trace drawn as a tree. */
export function assertShape(trace: Trace, hops: readonly Hop[], options?: ShapeOptions): void {
  const problems = shapeProblems(trace, hops, options);
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n${describeTrace(trace)}`);
}
