import { RenderedVariant, VARIANTS } from '../../topology/variants';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { jaegerListens, jaegerRetentionHours, localPrometheusArgs, localPrometheusConfig, removeEmptyMemtables } from '../../topology/collector';
import { sandboxSpecs, startSandbox } from '../../topology/sandbox';

const BINS = { envoy: '/bin/envoy', jaeger: '/bin/jaeger', prometheus: '/bin/prometheus' };
const runDir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-specs-'));
const { specs, strategiesFile } = sandboxSpecs({ runDir, binaries: BINS });
const spec = (name: string) => {
  const found = specs.find((s) => s.name === name);
  assert.ok(found, name);
  return found;
};

test('starts everything in dependency order: jaeger, prometheus, service2, service1, the front proxy', () => {
  assert.deepEqual(
    specs.map((s) => s.name),
    ['jaeger', 'prometheus', 'service2', 'service2-envoy', 'service1', 'service1-envoy', 'front-envoy'],
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

test('runs the shipped Jaeger config on loopback with its own copy of the strategies, Badger in the run folder, and the local Prometheus', () => {
  const jaeger = spec('jaeger');
  // Through the same start script as Compose, which runs the binary it is given.
  assert.equal(jaeger.command, 'sh');
  assert.equal(jaeger.args.length, 1);
  assert.match(jaeger.args[0], /jaeger\/start-jaeger\.sh$/);
  assert.deepEqual(jaeger.env, {
    JAEGER_BIN: '/bin/jaeger',
    JAEGER_LISTEN_HOST: '127.0.0.1',
    SAMPLING_STRATEGIES_FILE: strategiesFile,
    BADGER_DIRECTORY: path.join(runDir, 'badger'),
    PROMETHEUS_URL: 'http://127.0.0.1:9090',
  });
  assert.equal(strategiesFile, path.join(runDir, 'sampling-strategies.json'));
  assert.ok(JSON.parse(readFileSync(strategiesFile, 'utf8')).default_strategy);
});

test("passes Jaeger's sampling mode and settings to its start script, which checks them before anything starts", () => {
  const tail = { JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: '0.3' };
  const jaeger = sandboxSpecs({ runDir, binaries: BINS, jaegerSampling: tail }).specs.find((s) => s.name === 'jaeger')!;
  assert.equal(jaeger.env!.JAEGER_SAMPLING, 'tail');
  assert.equal(jaeger.env!.TAIL_SAMPLING_SHARE, '0.3');
  assert.doesNotThrow(() => jaeger.validate!());
  const bad = sandboxSpecs({ runDir, binaries: BINS, jaegerSampling: { ...tail, TAIL_SAMPLING_SHARE: '2' } }).specs.find((s) => s.name === 'jaeger')!;
  assert.throws(() => bad.validate!(), { message: "start-jaeger: TAIL_SAMPLING_SHARE must be a number from 0 to 1, got '2'" });
  // The harness's own settings win over a caller's.
  const moved = sandboxSpecs({ runDir, binaries: BINS, jaegerSampling: { JAEGER_LISTEN_HOST: '0.0.0.0' } }).specs.find((s) => s.name === 'jaeger')!;
  assert.equal(moved.env!.JAEGER_LISTEN_HOST, '127.0.0.1');
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
  const untraced = sandboxSpecs({ runDir, binaries: BINS, tracing: false });
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
    startSandbox({ runDir: fresh, binaries: BINS }),
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
    '127.0.0.1:8889/tcp',
    '127.0.0.1:9411/tcp',
  ]);
  assert.deepEqual(listens('prometheus'), ['127.0.0.1:9090/tcp']);
});

test("a metrics backend's endpoint is where Jaeger reads, not where it listens", () => {
  const config = [
    'extensions:',
    '  jaeger_storage:',
    '    metric_backends:',
    '      m: { prometheus: { endpoint: "http://127.0.0.1:9090" } }',
    'exporters:',
    '  prometheus: { endpoint: "127.0.0.1:8889" }',
    '',
  ].join('\n');
  assert.deepEqual(jaegerListens(config, '127.0.0.5').map((l) => `${l.owner} ${l.host}:${l.port}`), ['jaeger exporters.prometheus 127.0.0.5:8889']);
});

test("reads how long Badger keeps a span, and refuses a config without a TTL in whole hours", () => {
  const config = (store: string) => `extensions:\n  jaeger_storage:\n    backends:\n      some_store:\n        ${store}\n`;
  assert.equal(jaegerRetentionHours(config('badger: { ttl: { spans: 48h } }')), 48);
  // The Badger backend's TTL, wherever it stands among the backends.
  assert.equal(jaegerRetentionHours(config('memory: { max_traces: 10 }\n      disk:\n        badger: { ttl: { spans: 24h } }')), 24);
  // A config without the storage extension at all gets the same one line, not a TypeError.
  assert.throws(() => jaegerRetentionHours('extensions:\n  healthcheckv2: {}\n'), /^Error: jaeger config: no Badger backend with ttl.spans in whole hours \(got undefined\)$/);
  assert.throws(() => jaegerRetentionHours(''), /^Error: jaeger config: no Badger backend/);
  assert.throws(() => jaegerRetentionHours(config('memory: { max_traces: 10 }')), /^Error: jaeger config: no Badger backend with ttl.spans in whole hours \(got undefined\)$/);
  assert.throws(() => jaegerRetentionHours(config('badger: { ttl: { spans: 90m } }')), /got "90m"\)$/);
  assert.throws(() => jaegerRetentionHours(config('badger: { ttl: { spans: 0h } }')), /got "0h"\)$/);
  assert.throws(() => jaegerRetentionHours(config('badger: { ttl: { spans: x48h } }')), /got "x48h"\)$/);
  assert.throws(() => jaegerRetentionHours(config('badger: { ttl: { spans: 48hx } }')), /got "48hx"\)$/);
  assert.throws(() => jaegerRetentionHours(config('badger: { ephemeral: false }')), /got undefined\)$/);
  assert.throws(() => jaegerRetentionHours('receivers: {}\n'), /got undefined\)$/);
  assert.throws(() => jaegerRetentionHours(''), /got undefined\)$/);
});

test('the shipped Jaeger keeps spans for 72 hours, on disk', () => {
  const shipped = readFileSync(path.join(__dirname, '..', '..', '..', 'jaeger', 'config.yaml'), 'utf8');
  assert.equal(jaegerRetentionHours(shipped), 72);
  assert.equal(parse(shipped).extensions.jaeger_storage.backends.store.badger.ephemeral, false);
});

test("runs Prometheus on the Compose file's flags, its config and data in the run folder, scraping Jaeger's local address", () => {
  const prometheus = spec('prometheus');
  assert.deepEqual(prometheus.args, [
    `--config.file=${path.join(runDir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(runDir, 'prometheus')}`,
    '--storage.tsdb.retention.time=1d',
    '--enable-feature=created-timestamp-zero-ingestion',
    '--web.listen-address=127.0.0.1:9090',
  ]);
  const config = parse(readFileSync(path.join(runDir, 'prometheus.yml'), 'utf8'));
  assert.deepEqual(config.scrape_configs.map((j: { static_configs: Array<{ targets: string[] }> }) => j.static_configs[0].targets), [['127.0.0.1:8889']]);
  assert.equal(config.global.scrape_interval, '5s');
});

test('moves only the scrape targets of a Prometheus config, and refuses a Compose command without its paths', () => {
  const moved = parse(localPrometheusConfig('global: { scrape_interval: 7s }\nscrape_configs:\n  - job_name: a\n    static_configs: [{ targets: ["jaeger:8889", "service1:8080"] }]\n'));
  assert.deepEqual(moved, { global: { scrape_interval: '7s' }, scrape_configs: [{ job_name: 'a', static_configs: [{ targets: ['127.0.0.1:8889', '127.0.0.2:8080'] }] }] });
  // A config without scrape jobs, or a job without static targets, is passed on as it is.
  assert.deepEqual(parse(localPrometheusConfig('global: { scrape_interval: 7s }\n')), { global: { scrape_interval: '7s' } });
  assert.deepEqual(parse(localPrometheusConfig('scrape_configs:\n  - job_name: b\n')), { scrape_configs: [{ job_name: 'b' }] });
  assert.throws(() => localPrometheusArgs(['--config.file=/x.yml'], 'c', 'd'), /^Error: docker-compose.yml: prometheus's command has no --storage.tsdb.path=$/);
  assert.throws(() => localPrometheusArgs(['--storage.tsdb.path=/p'], 'c', 'd'), /has no --config.file=$/);
});

test('gives Jaeger and Prometheus 30 seconds to be ready, and every other process 20', () => {
  assert.deepEqual(Object.fromEntries(specs.map((s) => [s.name, s.readyTimeoutMs])), {
    jaeger: 30_000,
    prometheus: 30_000,
    service2: 20_000,
    'service2-envoy': 20_000,
    service1: 20_000,
    'service1-envoy': 20_000,
    'front-envoy': 20_000,
  });
});

test('the OpenTelemetry variant gives the services its Compose environment, seen from this machine, and renders that tracer', () => {
  const otel = sandboxSpecs({ runDir: mkdtempSync(path.join(os.tmpdir(), 'sandbox-otel-')), binaries: BINS, variant: VARIANTS.otel as RenderedVariant });
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

test("removes only empty memtable files, which Badger 4.8 cannot open, and says which; a folder not there has none", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'badger-keys-'));
  writeFileSync(path.join(dir, '00002.mem'), '');
  writeFileSync(path.join(dir, '00003.mem'), 'spans');
  writeFileSync(path.join(dir, '000004.sst'), '');
  writeFileSync(path.join(dir, 'MANIFEST'), '');
  assert.deepEqual(removeEmptyMemtables(dir), ['00002.mem']);
  assert.deepEqual(readdirSync(dir).sort(), ['000004.sst', '00003.mem', 'MANIFEST']);
  assert.deepEqual(removeEmptyMemtables(path.join(dir, 'none')), []);
});

test("Jaeger's start clears the empty memtables of its own Badger folder, each time", () => {
  const keys = path.join(runDir, 'badger', 'keys');
  mkdirSync(keys, { recursive: true });
  writeFileSync(path.join(keys, '00007.mem'), '');
  spec('jaeger').beforeStart!();
  assert.equal(existsSync(path.join(keys, '00007.mem')), false);
});
