/**
 * The call to the next service: the headers that travel with it, a timeout, and
 * failures mapped to 502 (refused, bad answer) or 504 (too slow). Its client span
 * is the tracing style's (tracing-style.ts).
 */
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Response as ExpressResponse } from 'express';
import type { RequestInfo, RequestInit, Response } from 'node-fetch';
import { DownstreamError } from './errors';
import { describeFault, envoyFaultHeaders, Fault } from './labs';
import { forwardedHeaders } from './propagation';
import type { Tracing } from './tracing-style';

export type Fetch = (url: RequestInfo, init?: RequestInit) => Promise<Response>;

export interface DownstreamCall {
  tracing: Tracing;
  fetch: Fetch;
  /** The answer to the request this call serves, which holds its trace. */
  res: ExpressResponse;
  incoming: IncomingHttpHeaders;
  url: string;
  timeoutMs: number;
  /** The "forget the headers" lab: send neither the trace context nor the forwarded headers. */
  forgetHeaders?: boolean;
  /** The faults lab: the fault one of the Envoys on the way is to inject. */
  fault?: Fault;
}

/** Keep-alive to the sidecar: a new TCP connection per request would dominate the latency. */
export const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export async function callDownstream(call: DownstreamCall): Promise<string> {
  const headers = call.forgetHeaders ? {} : forwardedHeaders(call.incoming);
  const tags: Record<string, string> = {};
  if (call.forgetHeaders) tags['sandbox.lab'] = 'forget-headers';
  if (call.fault) {
    Object.assign(headers, envoyFaultHeaders(call.fault));
    tags['sandbox.fault'] = describeFault(call.fault);
  }
  let body = '';
  const status = await call.tracing.clientSpan(call.res, { url: call.url, forgetContext: call.forgetHeaders === true, tags }, async (contextHeaders) => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), call.timeoutMs);
    try {
      const response = await call.fetch(call.url, {
        headers: { ...headers, ...contextHeaders },
        agent: keepAliveAgent,
        signal: abort.signal as RequestInit['signal'],
      });
      body = await response.text();
      return response.status;
    } catch (err) {
      throw toDownstreamError(err, call);
    } finally {
      clearTimeout(timer);
    }
  });
  if (status < 200 || status > 299) throw new DownstreamError(502, `Downstream ${call.url} answered ${status}`);
  return body;
}

function toDownstreamError(err: unknown, call: DownstreamCall): DownstreamError {
  const error = err as { name?: string; code?: string; message?: string };
  if (error.name === 'AbortError') {
    return new DownstreamError(504, `Downstream ${call.url} did not answer within ${call.timeoutMs} ms`);
  }
  const reason = error.code ?? error.message ?? String(err);
  return new DownstreamError(502, `Downstream ${call.url} failed: ${reason}`);
}
