import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestContext } from 'node:test';
import { initTracer, JaegerTracer, Reporter } from 'jaeger-client';
import fetch from 'node-fetch';
import { createApp } from '../../services/app';
import { Config } from '../../services/config';
import { registerB3 } from '../../services/jaeger-client';
import { openTracingStyle } from '../../services/tracing-opentracing';
import type { Tracing } from '../../services/tracing-style';

/** A finished jaeger-client span, as far as the tests read it. */
export interface RecordedSpan {
  operationName: string;
  context(): { traceIdStr: string; spanIdStr: string; parentIdStr?: string | null };
  _tags: Array<{ key: string; value: unknown }>;
  _logs: Array<{ fields: Array<{ key: string; value: unknown }> }>;
}

// jaeger-client's own in-memory reporter; its type declarations leave it out.
const { InMemoryReporter } = require('jaeger-client') as {
  InMemoryReporter: new () => Reporter & { spans: RecordedSpan[]; clear(): void };
};

export function testTracer(serviceName = 'service1'): { tracer: JaegerTracer; spans: RecordedSpan[] } {
  const reporter = new InMemoryReporter();
  const tracer = initTracer(
    { serviceName, sampler: { type: 'const', param: 1 } },
    { reporter, logger: { info: () => {}, error: () => {} } },
  );
  registerB3(tracer);
  return { tracer, spans: reporter.spans };
}

export function tag(span: RecordedSpan, key: string): unknown {
  return span._tags.find((t) => t.key === key)?.value;
}

export function spanNamed(spans: RecordedSpan[], name: string): RecordedSpan {
  const span = spans.find((s) => s.operationName === name);
  if (!span) throw new Error(`no span "${name}" among: ${spans.map((s) => s.operationName).join(', ') || 'none'}`);
  return span;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    serviceNumber: '1',
    host: '127.0.0.1',
    port: 0,
    downstreamTimeoutMs: 2000,
    tracer: 'jaeger-client',
    propagation: 'jaeger',
    shutdownTimeoutMs: 1000,
    keepAliveTimeoutMs: 5000,
    ...overrides,
  };
}

/** Listens on an ephemeral loopback port and closes when the test ends, pass or fail. */
export async function listen(t: TestContext, handler: http.RequestListener, watch?: (server: http.Server) => void): Promise<string> {
  const server = http.createServer(handler);
  watch?.(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A downstream's answer: this status, with this body. */
export const answering =
  (status: number, body: string) =>
  (res: http.ServerResponse): void => {
    res.statusCode = status;
    res.end(body);
  };

/** A downstream service that records the headers of every request it gets. */
export async function recordingDownstream(
  t: TestContext,
  answer: (res: http.ServerResponse) => void = (res) => res.end('downstream ok'),
): Promise<{ url: string; requests: http.IncomingHttpHeaders[] }> {
  const requests: http.IncomingHttpHeaders[] = [];
  const base = await listen(t, (req, res) => {
    requests.push(req.headers);
    answer(res);
  });
  return { url: `${base}/trace/2`, requests };
}

/** The app with the explicit style on a jaeger-client tracer (an in-memory one unless given), or with the tracing given. */
export async function startApp(
  t: TestContext,
  options: { config?: Partial<Config>; tracer?: JaegerTracer; tracing?: Tracing } = {},
): Promise<{ base: string; spans: RecordedSpan[]; tracer: JaegerTracer }> {
  const { tracer, spans } = options.tracer ? { tracer: options.tracer, spans: [] } : testTracer();
  const config = testConfig(options.config);
  const app = createApp({
    config,
    tracing: options.tracing ?? openTracingStyle(tracer, config.propagation === 'b3' ? 'b3' : 'jaeger'),
    fetch,
    hostname: 'test-host',
    resolvedHostname: '127.0.0.1',
  });
  const base = await listen(t, app);
  return { base, spans, tracer };
}

/** Sets environment variables for one test; the old values come back when it ends. */
export function withEnv(t: TestContext, env: Record<string, string>): void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}
