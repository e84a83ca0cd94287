/**
 * The call to the next service, as a client span: injected headers, a timeout,
 * and failures mapped to 502 (refused, bad answer) or 504 (too slow).
 */
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestInfo, RequestInit, Response } from 'node-fetch';
import { Span, Tags, Tracer } from 'opentracing';
import { nowMs } from './span-timing';
import { Propagation } from './config';
import { DownstreamError } from './errors';
import { describeFault, envoyFaultHeaders, Fault } from './labs';
import { downstreamHeaders } from './propagation';

export type Fetch = (url: RequestInfo, init?: RequestInit) => Promise<Response>;

export interface DownstreamCall {
  tracer: Tracer;
  fetch: Fetch;
  parent: Span;
  incoming: IncomingHttpHeaders;
  url: string;
  timeoutMs: number;
  propagation: Propagation;
  /** The "forget the headers" lab: send neither the trace context nor the forwarded headers. */
  forgetHeaders?: boolean;
  /** The faults lab: the fault one of the Envoys on the way is to inject. */
  fault?: Fault;
}

/** Keep-alive to the sidecar: a new TCP connection per request would dominate the latency. */
export const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export const DOWNSTREAM_OPERATION = 'call downstream';

export async function callDownstream(call: DownstreamCall): Promise<string> {
  const span = call.tracer.startSpan(DOWNSTREAM_OPERATION, {
    childOf: call.parent,
    startTime: nowMs(),
    tags: {
      [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_CLIENT,
      [Tags.HTTP_METHOD]: 'GET',
      [Tags.HTTP_URL]: call.url,
    },
  });
  // The lab shows the classic mistake: a call that carries no context starts a new trace.
  const headers = call.forgetHeaders ? {} : downstreamHeaders(call.tracer, span, call.incoming, call.propagation);
  if (call.forgetHeaders) span.setTag('sandbox.lab', 'forget-headers');
  if (call.fault) {
    Object.assign(headers, envoyFaultHeaders(call.fault));
    span.setTag('sandbox.fault', describeFault(call.fault));
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), call.timeoutMs);
  try {
    const response = await call.fetch(call.url, {
      headers,
      agent: keepAliveAgent,
      signal: abort.signal as RequestInit['signal'],
    });
    span.setTag(Tags.HTTP_STATUS_CODE, response.status);
    const body = await response.text();
    if (!response.ok) {
      throw new DownstreamError(502, `Downstream ${call.url} answered ${response.status}`);
    }
    return body;
  } catch (err) {
    const failure = toDownstreamError(err, call);
    span.setTag(Tags.ERROR, true);
    span.log({ event: 'error', 'error.kind': failure.name, message: failure.message });
    throw failure;
  } finally {
    clearTimeout(timer);
    span.finish(nowMs());
  }
}

function toDownstreamError(err: unknown, call: DownstreamCall): DownstreamError {
  if (err instanceof DownstreamError) return err;
  const error = err as { name?: string; code?: string; message?: string };
  if (error.name === 'AbortError') {
    return new DownstreamError(504, `Downstream ${call.url} did not answer within ${call.timeoutMs} ms`);
  }
  const reason = error.code ?? error.message ?? String(err);
  return new DownstreamError(502, `Downstream ${call.url} failed: ${reason}`);
}
