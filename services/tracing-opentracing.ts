/**
 * The explicit style (TRACER=jaeger-client): the service's own code extracts the
 * caller's context, starts the server span and the client span, and injects the
 * client span's context into the call, with OpenTracing's API on jaeger-client.
 * How a span's timing is kept is in span-timing.ts.
 */
import type { NextFunction, Request, Response } from 'express';
import { Span, Tags } from 'opentracing';
import type { JaegerTracer } from 'jaeger-client';
import { recordBaggage } from './labs';
import { ContextFormat, extractContext, injectContext } from './propagation';
import { finishWithResponse, nowMs } from './span-timing';
import { DOWNSTREAM_OPERATION, TRACE_ID_HEADER, Tracing } from './tracing-style';

type Locals = { span?: Span };

const serverSpanOf = (res: Response): Span | undefined => (res.locals as Locals).span;

export function openTracingStyle(tracer: JaegerTracer, propagation: ContextFormat): Tracing {
  return {
    serverSpan: (operation) => (req: Request, res: Response, next: NextFunction) => {
      const parent = extractContext(tracer, req.headers, propagation);
      const span = tracer.startSpan(operation, {
        childOf: parent ?? undefined,
        startTime: nowMs(),
        tags: {
          [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_SERVER,
          [Tags.HTTP_METHOD]: req.method,
          [Tags.HTTP_URL]: req.originalUrl,
        },
      });
      (res.locals as Locals).span = span;
      recordBaggage(span);
      const traceId = span.context().toTraceId();
      if (traceId) res.setHeader(TRACE_ID_HEADER, traceId);
      finishWithResponse(span, res);
      next();
    },

    async clientSpan(res, call, send) {
      const span = tracer.startSpan(DOWNSTREAM_OPERATION, {
        childOf: serverSpanOf(res),
        startTime: nowMs(),
        tags: {
          [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_CLIENT,
          [Tags.HTTP_METHOD]: 'GET',
          [Tags.HTTP_URL]: call.url,
          ...call.tags,
        },
      });
      const headers: Record<string, string> = {};
      // The lab shows the classic mistake: a call that carries no context starts a new trace.
      if (!call.forgetContext) injectContext(tracer, span, headers, propagation);
      try {
        const status = await send(headers);
        span.setTag(Tags.HTTP_STATUS_CODE, status);
        if (status >= 500) {
          span.setTag(Tags.ERROR, true);
          span.log({ event: 'error', message: `answered ${status}` });
        }
        return status;
      } catch (err) {
        const { name, message } = err as Error;
        span.setTag(Tags.ERROR, true);
        span.log({ event: 'error', 'error.kind': name, message });
        throw err;
      } finally {
        span.finish(nowMs());
      }
    },

    failed(res, status, err) {
      const span = serverSpanOf(res);
      if (!span || status < 500) return;
      span.setTag(Tags.ERROR, true);
      span.log({ event: 'error', message: err instanceof Error ? err.message : String(err) });
    },

    close: (done) => tracer.close(done),
  };
}
