import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../services/config';
import {
  composeFiles,
  envoyConfigs,
  findVariant,
  readComposeFile,
  LOCAL_VARIANTS,
  RENDERED_VARIANTS,
  serviceEnvironment,
  servicesTracer,
  variantChoices,
  VARIANTS,
} from '../../topology/variants';
import { ROOT } from '../config/sandbox-files';

test('names three variants: native runs under Compose only, zipkin and otel everywhere', () => {
  assert.deepEqual(Object.keys(VARIANTS), ['native', 'zipkin', 'otel']);
  assert.deepEqual(LOCAL_VARIANTS.map((v) => v.name), ['zipkin', 'otel']);
  assert.deepEqual(RENDERED_VARIANTS.map((v) => [v.name, v.envoyTracer]), [
    ['zipkin', 'zipkin'],
    ['otel', 'opentelemetry'],
  ]);
  assert.equal(findVariant('native', 'compose'), VARIANTS.native);
  assert.equal(findVariant('native', 'local'), undefined);
  assert.equal(findVariant('otel', 'local'), VARIANTS.otel);
  assert.equal(findVariant('opentelemetry', 'compose'), undefined);
  assert.equal(findVariant('toString', 'compose'), undefined);
  assert.equal(variantChoices('compose'), 'native, zipkin or otel');
  assert.equal(variantChoices('local'), 'zipkin or otel');
  assert.deepEqual(Object.values(VARIANTS).map((v) => v.title), ['native', 'Zipkin', 'OpenTelemetry']);
});

test("reads Compose's !reset as no value, without a warning", (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  assert.equal(readComposeFile('docker-compose.zipkin.yml').services['front-envoy'].platform, null);
  assert.equal(readComposeFile('docker-compose.yml').services['front-envoy'].platform, 'linux/amd64');
  serviceEnvironment(VARIANTS.otel, 'service1');
  // process warnings are emitted on the next tick
  return new Promise<void>((resolve) => setImmediate(() => resolve(assert.deepEqual(warnings, []))));
});

test('every file a variant names is in the repository', () => {
  for (const variant of Object.values(VARIANTS)) {
    for (const file of [...composeFiles(variant), ...envoyConfigs(variant).flatMap((c) => [c.shipped, c.file])]) {
      assert.ok(existsSync(path.join(ROOT, file)), `${variant.name}: ${file}`);
    }
  }
  assert.deepEqual(composeFiles(VARIANTS.native), ['docker-compose.yml']);
  assert.deepEqual(composeFiles(VARIANTS.otel), ['docker-compose.yml', 'docker-compose.otel.yml']);
  assert.deepEqual(envoyConfigs(VARIANTS.native), [
    { shipped: 'front-envoy-jaeger.yaml', file: 'front-envoy-jaeger.yaml' },
    { shipped: 'service-envoy-jaeger.yaml', file: 'service-envoy-jaeger.yaml' },
  ]);
});

test("reads a service's environment as Compose merges it: the variant's file over the base one", () => {
  const native = serviceEnvironment(VARIANTS.native, 'service1');
  assert.equal(native.SERVICE_NAME, '1');
  assert.equal(native.TRACE_PROPAGATION, 'jaeger');
  assert.equal(native.DOWNSTREAM_URL, 'http://127.0.0.1:9000/trace/2');
  const zipkin = serviceEnvironment(VARIANTS.zipkin, 'service2');
  assert.equal(zipkin.TRACE_PROPAGATION, 'b3', 'the override wins');
  assert.equal(zipkin.SERVICE_NAME, '2', 'the rest stays');
  assert.equal(zipkin.DOWNSTREAM_URL, undefined, 'service2 is a leaf');
  assert.equal(serviceEnvironment(VARIANTS.otel, 'service1').OTEL_EXPORTER_OTLP_ENDPOINT, 'http://jaeger:4318');
});

test("each variant's services run the tracer and write the context its Envoys read, as the services' own configuration sees it", () => {
  const expected = { native: ['jaeger-client', 'jaeger'], zipkin: ['jaeger-client', 'b3'], otel: ['opentelemetry', 'w3c'] };
  for (const variant of Object.values(VARIANTS)) {
    for (const service of ['service1', 'service2'] as const) {
      const config = loadConfig(serviceEnvironment(variant, service));
      assert.deepEqual([config.tracer, config.propagation], expected[variant.name], `${variant.name} ${service}`);
    }
    assert.equal(servicesTracer(variant), expected[variant.name][0]);
  }
});
