/**
 * createApp builds the Express app from its dependencies; importing it starts nothing.
 * The routes read top to bottom; the tracing style they are given (tracing-style.ts)
 * gives each traced route its server span.
 *
 *   GET /trace/:n    call the downstream service (if any), then say hello
 *   GET /service/:n  say hello without calling anyone
 *   GET /healthz     liveness, never traced
 */
import { STATUS_CODES } from 'node:http';
import express, { NextFunction, Request, Response } from 'express';
import { Config } from './config';
import { callDownstream, Fetch } from './downstream';
import { badRequest, HttpError, notFound, shorten } from './errors';
import { requestedFault, requestedLab } from './labs';
import type { Tracing } from './tracing-style';

export interface AppDeps {
  config: Config;
  tracing: Tracing;
  fetch: Fetch;
  hostname: string;
  resolvedHostname: string;
}

export function createApp(deps: AppDeps): express.Express {
  const { config, tracing } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const hello = () =>
    `Hello from behind Envoy (service ${config.serviceNumber})! ` +
    `hostname: ${deps.hostname} resolvedhostname: ${deps.resolvedHostname}\n`;

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

  app.get('/trace/:n', tracing.serverSpan('GET /trace/:n'), async (req, res) => {
    serviceNumberParam(req);
    const lab = requestedLab(req.headers);
    const fault = requestedFault(req.headers);
    if (config.downstreamUrl) {
      await callDownstream({
        tracing,
        fetch: deps.fetch,
        res,
        incoming: req.headers,
        url: config.downstreamUrl,
        timeoutMs: config.downstreamTimeoutMs,
        forgetHeaders: lab === 'forget-headers',
        fault,
      });
    }
    sayHello(res);
  });

  app.get('/service/:n', tracing.serverSpan('GET /service/:n'), (req, res) => {
    serviceNumberParam(req);
    // Checked here too, so a bad value gets the same 400 on every route; there is no call to fault.
    requestedLab(req.headers);
    requestedFault(req.headers);
    sayHello(res);
  });

  app.use((req, _res, next) => next(notFound(req.path)));
  // The one error path: known errors keep their status and reason, anything else is a bare 500.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, reason } = errorResponse(err);
    tracing.failed(res, status, err);
    if (status >= 500 && !(err instanceof HttpError)) {
      console.error(`${req.method} ${req.originalUrl} failed:`, err);
    }
    res.status(status).type('text/plain').send(`${reason}\n`);
  });
  return app;
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
