/**
 * Which request headers travel downstream, and how the span context is written.
 *
 * Envoy starts and ends spans, but only the application can carry a trace across
 * its own outgoing call: whatever it does not copy, the next Envoy never sees.
 */
import { FORMAT_HTTP_HEADERS, Span, SpanContext, Tracer } from 'opentracing';
import { IncomingHttpHeaders } from 'node:http';
import { Propagation } from './config';
import { B3_FORMAT } from './b3';

/**
 * Request-scoped headers copied unchanged to the downstream call. The trace context
 * itself (uber-trace-id, b3, x-b3-*, traceparent, ...) is never copied: the client
 * span's context is written instead, in this service's one format, so the next hop
 * sees one context and never a stale one beside it.
 */
export const FORWARDED_HEADERS: readonly string[] = [
  'x-request-id', // Envoy's request id: ties access logs and every Envoy span together
  'jaeger-debug-id', // forces sampling and tags the trace so it can be searched for
  'jaeger-baggage', // ad-hoc baggage, key=value pairs, for a trace that starts here
];

/** Header prefixes copied unchanged: Jaeger baggage travels as uberctx-<key>. */
export const FORWARDED_PREFIXES: readonly string[] = ['uberctx-'];

/** The OpenTracing format each propagation is written in. The OpenTelemetry shim's HTTP-headers format is W3C. */
const FORMAT: Record<Propagation, string> = { jaeger: FORMAT_HTTP_HEADERS, b3: B3_FORMAT, w3c: FORMAT_HTTP_HEADERS };

/** The format read when the own one finds no trace: jaeger-client reads both of its formats. */
const FALLBACK: Record<Propagation, string | undefined> = { jaeger: B3_FORMAT, b3: FORMAT_HTTP_HEADERS, w3c: undefined };

export function isForwarded(name: string): boolean {
  const lower = name.toLowerCase();
  return FORWARDED_HEADERS.includes(lower) || FORWARDED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * The caller's span context, read in this service's own format first and then in
 * the other one, so a service joins a trace whichever tracer started it. (The
 * OpenTelemetry tracer's W3C format reads uber-trace-id itself.)
 */
export function extractContext(tracer: Tracer, headers: IncomingHttpHeaders, propagation: Propagation): SpanContext | null {
  const own = tracer.extract(FORMAT[propagation], headers);
  if (own?.toTraceId()) return own;
  const fallback = FALLBACK[propagation];
  const other = fallback ? tracer.extract(fallback, headers) : null;
  if (other?.toTraceId()) return other;
  // No parent. jaeger-client still returns a context for a jaeger-debug-id or baggage without a
  // trace, and a trace started from it keeps them; the OpenTelemetry shim (2.x) returns null
  // without a span context, so such a caller's baggage is lost there.
  return own;
}

/** Headers for the downstream call: the forwarded ones, then the client span's context. */
export function downstreamHeaders(
  tracer: Tracer,
  span: Span,
  incoming: IncomingHttpHeaders,
  propagation: Propagation,
): Record<string, string> {
  const headers: Record<string, string> = {};
  // Node joins a repeated header into one string; only set-cookie stays a list, and it is not forwarded.
  for (const [name, value] of Object.entries(incoming)) {
    if (isForwarded(name)) headers[name] = String(value);
  }
  tracer.inject(span.context(), FORMAT[propagation], headers);
  return headers;
}
