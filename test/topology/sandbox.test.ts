import { RenderedVariant, VARIANTS } from '../../topology/variants';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { jaegerTraceLimit, sandboxSpecs, startSandbox } from '../../topology/sandbox';

const runDir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-specs-'));
const { specs, strategiesFile } = sandboxSpecs({ runDir, binaries: { envoy: '/bin/envoy', jaeger: '/bin/jaeger' } });
const spec = (name: string) => {
  const found = specs.find((s) => s.name === name);
  assert.ok(found, name);
  return found;
};

test('starts everything in dependency order: jaeger, service2, service1, the front proxy', () => {
  assert.deepEqual(
    specs.map((s) => s.name),
    ['jaeger', 'service2', 'service2-envoy', 'service1', 'service1-envoy', 'front-envoy'],
  );
});

test('gives each service its compose environment, seen from this machine, and B3 headers', () => {
  const env = spec('service1').env!;
  assert.equal(env.SERVICE_NAME, '1');
  assert.equal(env.HOST, '127.0.0.2');
  assert.equal(env.PORT, '8080');
  assert.equal(env.DOWNSTREAM_URL, 'http://127.0.0.2:9000/trace/2');
  assert.equal(env.JAEGER_AGENT_HOST, '127.0.0.1');
  assert.equal(env.JAEGER_AGENT_PORT, '6832');
  assert.equal(env.JAEGER_SAMPLER_MANAGER_HOST_PORT, '127.0.0.1:5778');
  assert.equal(env.TRACE_PROPAGATION, 'b3');
  assert.equal(spec('service2').env!.DOWNSTREAM_URL, undefined);
  assert.equal(spec('service2').env!.HOST, '127.0.0.3');
});

test('runs the shipped Jaeger config on loopback with its own copy of the strategies', () => {
  const jaeger = spec('jaeger');
  assert.deepEqual(jaeger.args.slice(0, 1), ['--config']);
  assert.match(jaeger.args[1], /jaeger\/config\.yaml$/);
  assert.deepEqual(jaeger.env, { JAEGER_LISTEN_HOST: '127.0.0.1', SAMPLING_STRATEGIES_FILE: strategiesFile });
  assert.equal(strategiesFile, path.join(runDir, 'sampling-strategies.json'));
  assert.ok(JSON.parse(readFileSync(strategiesFile, 'utf8')).default_strategy);
});

test('runs each Envoy on its rendered config, named after its tracer service', () => {
  const front = spec('front-envoy');
  assert.equal(front.args[front.args.indexOf('--service-cluster') + 1], 'front-proxy');
  const rendered = parse(readFileSync(front.args[front.args.indexOf('-c') + 1], 'utf8'));
  assert.equal(rendered.static_resources.listeners[0].address.socket_address.address, '127.0.0.1');
  const sidecar = spec('service2-envoy');
  assert.equal(sidecar.args[sidecar.args.indexOf('--service-cluster') + 1], 'service2');
  assert.ok(sidecar.validate, 'each Envoy config is validated before start');
});

test('the untraced variant disables tracing in the services too', () => {
  const untraced = sandboxSpecs({ runDir, binaries: { envoy: '/bin/envoy', jaeger: '/bin/jaeger' }, tracing: false });
  assert.equal(untraced.specs.find((s) => s.name === 'service1')!.env!.JAEGER_DISABLED, 'true');
});

test('refuses to start while an address it needs is taken, naming it and its holder, and writes nothing', async (t) => {
  // Held here, unless a running sandbox holds it already: either way it is taken.
  const server = createServer();
  const held = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(8080, '127.0.0.3', () => resolve(true));
  });
  t.after(() => server.close());
  const fresh = path.join(mkdtempSync(path.join(os.tmpdir(), 'sandbox-taken-')), 'run');
  await assert.rejects(
    startSandbox({ runDir: fresh, binaries: { envoy: '/bin/envoy', jaeger: '/bin/jaeger' } }),
    (err: Error) => err.message.includes(`127.0.0.3:8080 (service2) is in use, held by ${held ? `pid ${process.pid}` : ''}`),
  );
  assert.equal(existsSync(fresh), false, 'the run folder was not even created');
});

test('lists every address the topology listens on, from the files that define them', () => {
  const listens = (name: string) => spec(name).listens!.map((l) => `${l.host}:${l.port}/${l.protocol}`).sort();
  assert.deepEqual(listens('front-envoy'), ['127.0.0.1:8000/tcp', '127.0.0.1:8001/tcp']);
  assert.deepEqual(listens('service1-envoy'), ['127.0.0.2:8000/tcp', '127.0.0.2:8001/tcp', '127.0.0.2:9000/tcp']);
  assert.deepEqual(listens('service2'), ['127.0.0.3:8080/tcp']);
  assert.deepEqual(listens('jaeger'), [
    '127.0.0.1:13133/tcp',
    '127.0.0.1:14268/tcp',
    '127.0.0.1:16685/tcp',
    '127.0.0.1:16686/tcp',
    '127.0.0.1:4317/tcp',
    '127.0.0.1:4318/tcp',
    '127.0.0.1:5778/tcp',
    '127.0.0.1:5779/tcp',
    '127.0.0.1:6831/udp',
    '127.0.0.1:6832/udp',
    '127.0.0.1:9411/tcp',
  ]);
});

test("reads Jaeger's in-memory trace limit, and refuses a config without one", () => {
  const config = (memory: string) => `extensions:\n  jaeger_storage:\n    backends:\n      some_store:\n        ${memory}\n`;
  assert.equal(jaegerTraceLimit(config('memory: { max_traces: 1234 }')), 1234);
  assert.throws(() => jaegerTraceLimit(config('badger: {}')), /^Error: jaeger config: no memory backend with a positive max_traces \(got undefined\)$/);
  assert.throws(() => jaegerTraceLimit(config('memory: { max_traces: 0 }')), /got 0\)$/);
  assert.throws(() => jaegerTraceLimit(config('memory: { max_traces: "10k" }')), /got "10k"\)$/);
  assert.throws(() => jaegerTraceLimit('receivers: {}\n'), /no memory backend/);
});

test("the shipped Jaeger keeps 10,000 traces in memory, which bounds what a long load run costs it", () => {
  assert.equal(jaegerTraceLimit(readFileSync(path.join(__dirname, '..', '..', '..', 'jaeger', 'config.yaml'), 'utf8')), 10_000);
});

test('gives Jaeger 30 seconds to be ready, and every other process 20', () => {
  assert.deepEqual(Object.fromEntries(specs.map((s) => [s.name, s.readyTimeoutMs])), {
    jaeger: 30_000,
    service2: 20_000,
    'service2-envoy': 20_000,
    service1: 20_000,
    'service1-envoy': 20_000,
    'front-envoy': 20_000,
  });
});

test('the OpenTelemetry variant gives the services its Compose environment, seen from this machine, and renders that tracer', () => {
  const otel = sandboxSpecs({ runDir: mkdtempSync(path.join(os.tmpdir(), 'sandbox-otel-')), binaries: { envoy: '/bin/envoy', jaeger: '/bin/jaeger' }, variant: VARIANTS.otel as RenderedVariant });
  const env = otel.specs.find((s) => s.name === 'service1')!.env!;
  assert.equal(env.TRACER, 'opentelemetry');
  assert.equal(env.TRACE_PROPAGATION, 'w3c');
  assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:4318');
  assert.equal(env.OTEL_TRACES_SAMPLER, 'jaeger_remote');
  assert.equal(env.OTEL_TRACES_SAMPLER_ARG, 'endpoint=http://127.0.0.1:5778,pollingIntervalMs=5000,initialSamplingRate=1');
  assert.equal(env.DOWNSTREAM_URL, 'http://127.0.0.2:9000/trace/2');
  const front = otel.specs.find((s) => s.name === 'front-envoy')!;
  assert.match(readFileSync(front.args[front.args.indexOf('-c') + 1], 'utf8'), /envoy\.tracers\.opentelemetry/);
  assert.equal(spec('service1').env!.TRACER, undefined, 'the Zipkin variant keeps jaeger-client');
});
