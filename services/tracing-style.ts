/**
 * What a tracing style gives the app (the seam; tracing.ts picks the style).
 * app.ts and downstream.ts see this and nothing of either tracer.
 */
import type { RequestHandler, Response } from 'express';

/** The call to the next service, as its client span sees it. */
export interface CallDetails {
  url: string;
  /** The forget-the-headers lab: the call leaves without the request's trace context. */
  forgetContext: boolean;
  /** The labs' tags for the client span (sandbox.lab, sandbox.fault). */
  tags: Record<string, string>;
}

/** Sends the call with the context headers the style writes by hand (none when instrumentation writes them); resolves to the answer's status. */
export type Send = (contextHeaders: Record<string, string>) => Promise<number>;

export interface Tracing {
  /** Middleware in front of a traced route: the request has its server span, and the answer carries x-trace-id. */
  serverSpan(operation: string): RequestHandler;
  /** Runs the call downstream inside its client span: a failure, or an answer of 500 or more, marks it as an error. */
  clientSpan(res: Response, call: CallDetails, send: Send): Promise<number>;
  /** The request failed: a status of 500 or more marks its server span as an error, with the reason; a 4xx is the caller's and marks nothing. */
  failed(res: Response, status: number, err: unknown): void;
  /** Sends the spans still waiting, then calls done. */
  close(done: () => void): void;
}

/** The response header that carries the trace id, for pasting into the Jaeger UI. */
export const TRACE_ID_HEADER = 'x-trace-id';

/** The name of the client span of the call downstream, in both styles. */
export const DOWNSTREAM_OPERATION = 'call downstream';
