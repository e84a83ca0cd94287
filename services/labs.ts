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

/**
 * The faults lab: `x-sandbox-fault: abort-503@service2-ingress` or `delay-1500@service1-egress`.
 * service1 checks the value and turns it into Envoy's fault headers on its call to
 * service2; only the Envoy the hop names acts on them (its fault filter matches
 * x-sandbox-fault-hop, see service-envoy-jaeger.yaml). The front proxy drops these
 * headers from callers, so this check is the only way in, and its bounds hold.
 */
export const FAULT_HEADER = 'x-sandbox-fault';
export const FAULT_HOP_HEADER = 'x-sandbox-fault-hop';

/** The two Envoys on service1's call to service2: service1's sidecar on the way out, service2's on the way in. */
export const FAULT_HOPS = ['service1-egress', 'service2-ingress'] as const;
export type FaultHop = (typeof FAULT_HOPS)[number];

/** An abort answers with a 5xx, which Envoy marks as an error; a delay stays under a few seconds. */
export const ABORT_STATUSES = { min: 500, max: 599 };
export const MAX_DELAY_MS = 3000;

export interface Fault {
  kind: 'abort' | 'delay';
  /** The status to answer with, or the delay in ms. */
  value: number;
  hop: FaultHop;
}

/** The fault this request asks for, if any; a value that is not one is a 400. */
export function requestedFault(headers: IncomingHttpHeaders): Fault | undefined {
  const value = headers[FAULT_HEADER];
  if (value === undefined) return undefined;
  const text = String(value);
  const match = /^(abort|delay)-(\d{1,6})@(.+)$/.exec(text);
  if (!match) {
    throw badRequest(`${FAULT_HEADER} must look like abort-503@service2-ingress or delay-1500@service1-egress, got ${JSON.stringify(shorten(text, 40))}`);
  }
  const [, kind, digits, hop] = match;
  if (!(FAULT_HOPS as readonly string[]).includes(hop)) {
    throw badRequest(`${FAULT_HEADER} hop must be one of ${FAULT_HOPS.join(', ')}, got ${JSON.stringify(shorten(hop, 40))}`);
  }
  const number = Number(digits);
  if (kind === 'abort' && (number < ABORT_STATUSES.min || number > ABORT_STATUSES.max)) {
    throw badRequest(`${FAULT_HEADER} abort status must be ${ABORT_STATUSES.min}-${ABORT_STATUSES.max}, got ${number}`);
  }
  if (kind === 'delay' && (number < 1 || number > MAX_DELAY_MS)) {
    throw badRequest(`${FAULT_HEADER} delay must be 1-${MAX_DELAY_MS} ms, got ${number}`);
  }
  return { kind: kind as Fault['kind'], value: number, hop: hop as FaultHop };
}

/** The fault as the caller wrote it, for the client span's tag. */
export const describeFault = (fault: Fault): string => `${fault.kind}-${fault.value}@${fault.hop}`;

/** The headers that make the Envoy the hop names inject the fault (Envoy's fault filter reads the first). */
export function envoyFaultHeaders(fault: Fault): Record<string, string> {
  const name = fault.kind === 'abort' ? 'x-envoy-fault-abort-request' : 'x-envoy-fault-delay-request';
  return { [name]: String(fault.value), [FAULT_HOP_HEADER]: fault.hop };
}
