/**
 * Which request headers travel downstream, and, for the explicit style
 * (tracing-opentracing.ts), how the span context is read and written.
 *
 * Envoy starts and ends spans, but only the application can carry a trace across
 * its own outgoing call: whatever it does not copy, the next Envoy never sees. In
 * the OpenTelemetry variant the http instrumentation writes the context itself.
 */
import { FORMAT_HTTP_HEADERS, Span, SpanContext, Tracer } from 'opentracing';
import { IncomingHttpHeaders } from 'node:http';
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

/** The context formats jaeger-client writes: its own uber-trace-id, or Zipkin's x-b3-* (TRACE_PROPAGATION). */
export type ContextFormat = 'jaeger' | 'b3';

/** The OpenTracing format each is registered under with jaeger-client. */
const FORMAT: Record<ContextFormat, string> = { jaeger: FORMAT_HTTP_HEADERS, b3: B3_FORMAT };

/** The format read when the own one finds no trace: jaeger-client reads both of its formats. */
const FALLBACK: Record<ContextFormat, string> = { jaeger: B3_FORMAT, b3: FORMAT_HTTP_HEADERS };

export function isForwarded(name: string): boolean {
  const lower = name.toLowerCase();
  return FORWARDED_HEADERS.includes(lower) || FORWARDED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * The caller's span context, read in this service's own format first and then in
 * the other one, so a service joins a trace whichever of the two its caller wrote.
 */
export function extractContext(tracer: Tracer, headers: IncomingHttpHeaders, format: ContextFormat): SpanContext | null {
  const own = tracer.extract(FORMAT[format], headers);
  if (own?.toTraceId()) return own;
  const other = tracer.extract(FALLBACK[format], headers);
  if (other?.toTraceId()) return other;
  // No parent, but a jaeger-debug-id or baggage may still be there: jaeger-client's empty context
  // carries them, and the trace started from it keeps them.
  return own;
}

/** The request-scoped headers of the incoming request that go on to the next service, unchanged. */
export function forwardedHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  // Node joins a repeated header into one string; only set-cookie stays a list, and it is not forwarded.
  for (const [name, value] of Object.entries(incoming)) {
    if (isForwarded(name)) headers[name] = String(value);
  }
  return headers;
}

/** Writes the client span's context into the call's headers, in this service's one format. */
export function injectContext(tracer: Tracer, span: Span, headers: Record<string, string>, format: ContextFormat): void {
  tracer.inject(span.context(), FORMAT[format], headers);
}
