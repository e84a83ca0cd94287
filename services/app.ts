/**
 * createApp builds the Express app from its dependencies; importing it starts nothing.
 * The routes read top to bottom; how a span's timing is kept is in span-timing.ts.
 *
 *   GET /trace/:n    call the downstream service (if any), then say hello
 *   GET /service/:n  say hello without calling anyone
 *   GET /healthz     liveness, never traced
 */
import { STATUS_CODES } from 'node:http';
import express, { NextFunction, Request, Response } from 'express';
import { Span, Tags, Tracer } from 'opentracing';
import { finishWithResponse, nowMs } from './span-timing';
import { Config } from './config';
import { callDownstream, Fetch } from './downstream';
import { badRequest, HttpError, notFound, shorten } from './errors';
import { recordBaggage, requestedFault, requestedLab } from './labs';
import { extractContext } from './propagation';

export interface AppDeps {
  config: Config;
  tracer: Tracer;
  fetch: Fetch;
  hostname: string;
  resolvedHostname: string;
}

/** The response header that carries the trace id, for pasting into the Jaeger UI. */
export const TRACE_ID_HEADER = 'x-trace-id';

type Locals = { span?: Span };

export function createApp(deps: AppDeps): express.Express {
  const { config, tracer } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const hello = () =>
    `Hello from behind Envoy (service ${config.serviceNumber})! ` +
    `hostname: ${deps.hostname} resolvedhostname: ${deps.resolvedHostname}\n`;

  /** Starts the server span as a child of the caller's context and finishes it with the response. */
  const serverSpan = (operation: string) => (req: Request, res: Response, next: NextFunction) => {
    const parent = extractContext(tracer, req.headers, config.propagation);
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
  };

  const serviceNumberParam = (req: Request): string => {
    const n = String(req.params.n);
    if (!/^[1-9]\d{0,8}$/.test(n)) {
      // Quoted as JSON and cut short: the reason stays one line whatever the path holds.
      throw badRequest(`Parameter 'n' must be a positive integer, got ${JSON.stringify(shorten(n, 40))}`);
    }
    return n;
  };

  const sayHello = (res: Response) => res.type('text/plain').send(hello());

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  app.get('/trace/:n', serverSpan('GET /trace/:n'), async (req, res) => {
    serviceNumberParam(req);
    const lab = requestedLab(req.headers);
    const fault = requestedFault(req.headers);
    if (config.downstreamUrl) {
      await callDownstream({
        tracer,
        fetch: deps.fetch,
        parent: (res.locals as Locals).span!,
        incoming: req.headers,
        url: config.downstreamUrl,
        timeoutMs: config.downstreamTimeoutMs,
        propagation: config.propagation,
        forgetHeaders: lab === 'forget-headers',
        fault,
      });
    }
    sayHello(res);
  });

  app.get('/service/:n', serverSpan('GET /service/:n'), (req, res) => {
    serviceNumberParam(req);
    // Checked here too, so a bad value gets the same 400 on every route; there is no call to fault.
    requestedLab(req.headers);
    requestedFault(req.headers);
    sayHello(res);
  });

  app.use((req, _res, next) => next(notFound(req.path)));
  app.use(errorHandler);
  return app;
}

/** The one error path: known errors keep their status and reason, anything else is a bare 500. */
function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const { status, reason } = errorResponse(err);
  const span = (res.locals as Locals).span;
  if (span) {
    span.setTag(Tags.ERROR, true);
    span.log({ event: 'error', message: err instanceof Error ? err.message : String(err) });
  }
  if (status >= 500 && !(err instanceof HttpError)) {
    console.error(`${req.method} ${req.originalUrl} failed:`, err);
  }
  res.status(status).type('text/plain').send(`${reason}\n`);
}

/** The status and the one-line reason the caller gets for an error. */
export function errorResponse(err: unknown): { status: number; reason: string } {
  if (err instanceof HttpError) return { status: err.status, reason: err.message };
  // Express's own client errors (a malformed percent-encoding, say) carry a 4xx status.
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const reason = e.expose === true ? String(e.message).split('\n')[0] : STATUS_CODES[e.status];
    return { status: e.status, reason: reason || 'Bad Request' };
  }
  return { status: 500, reason: 'Internal Server Error' };
}
