/**
 * instrumentation.ts as `node --require` runs it, in this process: required
 * afresh under each environment, it starts the SDK only for a valid
 * TRACER=opentelemetry configuration that does not disable it.
 */
import assert from 'node:assert/strict';
import { test, TestContext } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { startedSdk } from '../../services/opentelemetry';
import { listen, withEnv } from './helpers';

const INSTRUMENTATION = require.resolve('../../services/instrumentation');

/** Requires instrumentation.js as a fresh module, as a new process would, under `env`. */
function requireInstrumentation(t: TestContext, env: Record<string, string>): void {
  withEnv(t, env);
  delete require.cache[INSTRUMENTATION];
  require(INSTRUMENTATION);
}

const OTEL = {
  SERVICE_NAME: '2',
  TRACER: 'opentelemetry',
  OTEL_TRACES_SAMPLER: 'always_on',
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=sandbox',
};

// These run in order: the last one starts the SDK, which a process can do once.
test('a configuration error starts nothing and throws nothing: server.ts reports it', (t) => {
  requireInstrumentation(t, { ...OTEL, OTEL_TRACES_SAMPLER: 'sometimes' });
  assert.equal(startedSdk(), undefined);
});

test('TRACER=jaeger-client starts nothing', (t) => {
  requireInstrumentation(t, { ...OTEL, TRACER: 'jaeger-client' });
  assert.equal(startedSdk(), undefined);
});

test('OTEL_SDK_DISABLED=true starts nothing', (t) => {
  requireInstrumentation(t, { ...OTEL, OTEL_SDK_DISABLED: 'true' });
  assert.equal(startedSdk(), undefined);
});

test('TRACER=opentelemetry starts the SDK, named after the service number, with its sampler, the resource variables and the OTLP endpoint', async (t) => {
  const posts: Array<{ url?: string; body: string }> = [];
  const collector = await listen(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      posts.push({ url: req.url, body: Buffer.concat(chunks).toString('latin1') });
      res.end();
    });
  });
  requireInstrumentation(t, { ...OTEL, OTEL_EXPORTER_OTLP_ENDPOINT: collector });
  const sdk = startedSdk();
  assert.ok(sdk, 'the SDK is started');
  const span = sdk.provider.getTracer('test').startSpan('probe');
  span.end();
  assert.equal(span.spanContext().traceFlags, 1, 'always_on samples it');
  const { attributes } = (span as unknown as ReadableSpan).resource;
  assert.equal(attributes['service.name'], 'service2');
  assert.equal(attributes['deployment.environment.name'], 'sandbox');
  await sdk.shutdown();
  assert.equal(posts.length, 1, 'shutdown sends the span');
  assert.equal(posts[0].url, '/v1/traces');
  for (const text of ['service2', 'deployment.environment.name', 'probe']) assert.ok(posts[0].body.includes(text), `the post carries "${text}"`);
});
