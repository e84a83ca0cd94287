// First, as a service loads instrumentation.js: the SDK, here with the shipped OTLP exporter, aimed at
// a port nothing listens on, set before the SDK starts as a container's environment is.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { pollUntil } from '../../lib/poll';
import { startOpenTelemetry } from '../../services/opentelemetry';
import { openTelemetryStyle } from '../../services/tracing-opentelemetry';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('an unreachable OTLP endpoint costs one line a failed batch, and one for the last batch on close', async () => {
  const port = await closedPort();
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `http://127.0.0.1:${port}/v1/traces`;
  process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '1000';
  const log: string[] = [];
  const sdk = startOpenTelemetry({
    serviceName: 'service2',
    sampler: { name: 'always_on' },
    batch: { scheduledDelayMillis: 50, maxExportBatchSize: 512 },
    log: (line) => log.push(line),
  });
  const tracing = openTelemetryStyle(sdk, (line) => log.push(line));
  trace.getTracer('test').startSpan('lost on the way').end();
  await pollUntil(() => assert.deepEqual(log, [`opentelemetry: could not send spans: connect ECONNREFUSED 127.0.0.1:${port}`]), 'the line', { timeoutMs: 10_000 });
  trace.getTracer('test').startSpan('lost at the end').end();
  await new Promise<void>((resolve) => tracing.close(resolve));
  assert.deepEqual(log.slice(1), [`opentelemetry: could not send the last spans: connect ECONNREFUSED 127.0.0.1:${port}`]);
});
