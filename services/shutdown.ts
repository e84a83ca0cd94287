/**
 * Graceful shutdown: stop accepting, let in-flight requests finish (up to a
 * deadline), close idle keep-alive connections as they free up, then close the
 * tracing, which flushes its spans.
 */
import type { Server } from 'node:http';

export interface ShutdownDeps {
  server: Server;
  tracing: { close(done: () => void): void };
  /** "service1", for the log lines. */
  name: string;
  /** How long in-flight requests may take before their connections are closed. */
  timeoutMs: number;
  log?: (line: string) => void;
  warn?: (line: string) => void;
}

/** How often idle connections are looked for while draining. */
const SWEEP_MS = 50;

/** Returns the shutdown; calling it again returns the first call's promise. */
export function gracefulShutdown({ server, tracing, name, timeoutMs, log = console.log, warn = console.error }: ShutdownDeps): (signal: string) => Promise<void> {
  let done: Promise<void> | undefined;
  return (signal) => {
    done ??= new Promise<void>((resolve) => {
      log(`${name}: ${signal}, finishing in-flight requests`);
      const deadline = setTimeout(() => {
        warn(`${name}: in-flight requests still open after ${timeoutMs} ms, closing them`);
        server.closeAllConnections();
      }, timeoutMs);
      // Keep-alive connections (Envoy keeps its upstream ones) would hold close() open until they
      // time out; close each one as soon as its last request is answered.
      // Both timers hold the event loop open until the tracer is closed: an emptied loop would
      // end the process before its spans are flushed.
      const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        tracing.close(() => {
          log(`${name}: spans flushed, bye`);
          resolve();
        });
      });
    });
    return done;
  };
}
