/**
 * The labs' switch (docs/labs.md): a request header that a service reads for that
 * request alone. It is never forwarded, so it changes nothing for the other hops,
 * for other requests, or for later ones.
 */
import type { IncomingHttpHeaders } from 'node:http';
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
