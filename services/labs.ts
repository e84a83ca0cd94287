/**
 * The labs' switch (docs/labs.md): a request header that a service reads for that
 * request alone. It is never forwarded, so it changes nothing for the other hops,
 * for other requests, or for later ones.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Span } from 'opentracing';
import { badRequest, shorten } from './errors';

export const LAB_HEADER = 'x-sandbox-lab';

/** forget-headers: the call downstream goes out without the trace context and the forwarded headers. */
export const LABS = ['forget-headers'] as const;
export type Lab = (typeof LABS)[number];

/** The lab this request asks for, if any; a value that names none is a 400. */
export function requestedLab(headers: IncomingHttpHeaders): Lab | undefined {
  const value = headers[LAB_HEADER];
  if (value === undefined) return undefined;
  if (!(LABS as readonly string[]).includes(String(value))) {
    throw badRequest(`${LAB_HEADER} must be one of ${LABS.join(', ')}, got ${JSON.stringify(shorten(String(value), 40))}`);
  }
  return value as Lab;
}

/**
 * The baggage lab: the baggage item a caller may set at the edge (uberctx-tenant,
 * jaeger-baggage: tenant=..., or W3C baggage: tenant=...). Every hop carries it;
 * each service records it on its server span, as a real one might record a
 * customer's tier.
 */
export const BAGGAGE_KEY = 'tenant';

export function recordBaggage(span: Span): void {
  const value = span.getBaggageItem(BAGGAGE_KEY);
  if (value) span.setTag(`baggage.${BAGGAGE_KEY}`, value);
}
