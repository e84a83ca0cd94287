/**
 * The instrumented style (TRACER=opentelemetry): the http instrumentation
 * started by instrumentation.ts makes the server and client spans
 * and carry the context through the active context. What the sandbox shows
 * beside them uses the OpenTelemetry API here, and only here: the route that
 * names the server span, the trace id in the answer, the labs' name and tags for
 * the client span, the reason a request failed, and the forget-the-headers lab.
 */
import { context, isSpanContextValid, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { OpenTelemetrySdk } from './opentelemetry';
import { withOutgoingCall } from './opentelemetry';
import { DOWNSTREAM_OPERATION, TRACE_ID_HEADER, Tracing } from './tracing-style';

/** With the SDK disabled (OTEL_SDK_DISABLED=true) there is no SDK: the API records nothing, and no trace id is set. */
export function openTelemetryStyle(sdk: OpenTelemetrySdk | undefined, log: (line: string) => void = console.error): Tracing {
  return {
    serverSpan: () => (req, res, next) => {
      // The route Express matched names the server span (GET /trace/:n) and becomes its http.route:
      // the http instrumentation reads it from the request's RPC metadata when the answer is sent,
      // where a framework's instrumentation would put it (see opentelemetry.ts for why none runs).
      const rpc = getRPCMetadata(context.active());
      if (rpc?.type === RPCType.HTTP) rpc.route = req.route.path;
      const span = trace.getActiveSpan()?.spanContext();
      if (span && isSpanContextValid(span)) res.setHeader(TRACE_ID_HEADER, span.traceId);
      next();
    },

    clientSpan(_res, call, send) {
      // The lab's mistake in its OpenTelemetry form: the call runs outside the request's context, as
      // code behind a callback queue or a pool does. Its client span then starts a trace of its own.
      const from = call.forgetContext ? ROOT_CONTEXT : context.active();
      return context.with(withOutgoingCall(from, { name: DOWNSTREAM_OPERATION, attributes: call.tags }), () => send({}));
    },

    failed(_res, status, err) {
      // The instrumentation marks a 5xx server span as an error itself; this adds why.
      if (status >= 500 && err instanceof Error) trace.getActiveSpan()?.recordException(err);
    },

    close(done) {
      if (!sdk) return done();
      sdk.shutdown().then(
        () => done(),
        (err: unknown) => {
          log(`opentelemetry: could not send the last spans: ${err instanceof Error ? err.message : String(err)}`);
          done();
        },
      );
    },
  };
}
