import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../services/config';
import { tracingDefaults } from '../../services/jaeger-client';

test('fills in the documented defaults', () => {
  assert.deepEqual(loadConfig({ SERVICE_NAME: '2' }), {
    serviceNumber: '2',
    host: '127.0.0.1',
    port: 8080,
    downstreamUrl: undefined,
    downstreamTimeoutMs: 2000,
    tracer: 'jaeger-client',
    propagation: 'jaeger',
    shutdownTimeoutMs: 10000,
    keepAliveTimeoutMs: 5000,
  });
});

test('reads every variable it documents', () => {
  const config = loadConfig({
    SERVICE_NAME: '1',
    HOST: '0.0.0.0',
    PORT: '9090',
    DOWNSTREAM_URL: 'http://127.0.0.1:9000/trace/2',
    DOWNSTREAM_TIMEOUT_MS: '500',
    TRACE_PROPAGATION: 'b3',
    SHUTDOWN_TIMEOUT_MS: '3000',
  });
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.port, 9090);
  assert.equal(config.downstreamUrl, 'http://127.0.0.1:9000/trace/2');
  assert.equal(config.downstreamTimeoutMs, 500);
  assert.equal(config.propagation, 'b3');
  assert.equal(config.shutdownTimeoutMs, 3000);
});

const bad: Array<[Record<string, string>, RegExp]> = [
  [{}, /^SERVICE_NAME must be the service number/],
  [{ SERVICE_NAME: 'one' }, /^SERVICE_NAME /],
  [{ SERVICE_NAME: '1', PORT: 'http' }, /^PORT must be a whole number, got "http"$/],
  [{ SERVICE_NAME: '1', PORT: '70000' }, /^PORT must be between 0 and 65535, got 70000$/],
  [{ SERVICE_NAME: '1', DOWNSTREAM_URL: 'service2:8000' }, /^DOWNSTREAM_URL must be an http:\/\/ URL/],
  [{ SERVICE_NAME: '1', DOWNSTREAM_URL: 'service2' }, /^DOWNSTREAM_URL must be an http:\/\/ URL, got "service2"$/],
  [{ SERVICE_NAME: '1', DOWNSTREAM_TIMEOUT_MS: '0' }, /^DOWNSTREAM_TIMEOUT_MS must be between 1/],
  [{ SERVICE_NAME: '1', TRACE_PROPAGATION: 'w3c' }, /^TRACE_PROPAGATION must be one of jaeger, b3 with TRACER=jaeger-client, got "w3c"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', TRACE_PROPAGATION: 'b3' }, /^TRACE_PROPAGATION must be one of w3c with TRACER=opentelemetry, got "b3"$/],
  [{ SERVICE_NAME: '1', TRACER: 'otel' }, /^TRACER must be one of jaeger-client, opentelemetry, got "otel"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_SDK_DISABLED: 'yes' }, /^OTEL_SDK_DISABLED must be one of true, false, got "yes"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' }, /^OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ URL, got "jaeger:4318"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://x' }, /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http:\/\/ URL/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_BSP_SCHEDULE_DELAY: 'soon' }, /^OTEL_BSP_SCHEDULE_DELAY must be a whole number, got "soon"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_EXPORTER_OTLP_TIMEOUT: '20s' }, /^OTEL_EXPORTER_OTLP_TIMEOUT must be a whole number, got "20s"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_EXPORTER_OTLP_TIMEOUT: '0' }, /^OTEL_EXPORTER_OTLP_TIMEOUT must be between 1 and 600000, got 0$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '0' }, /^OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be between 1 and 2048, got 0$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, /^OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 for a ratio sampler, got "1.5"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, /^OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 for a ratio sampler, got "half"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger' }, /^OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, jaeger_remote, got "jaeger"$/],
  [
    { SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'endpoint=http://jaeger:5778,rate=1' },
    /^OTEL_TRACES_SAMPLER_ARG must be endpoint=\.\.\., pollingIntervalMs=\.\.\. and initialSamplingRate=\.\.\. separated by commas, got "endpoint=http:\/\/jaeger:5778,rate=1"$/,
  ],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'endpoint' }, /^OTEL_TRACES_SAMPLER_ARG must be endpoint=/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'endpoint=a=b' }, /^OTEL_TRACES_SAMPLER_ARG must be endpoint=/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'endpoint=jaeger:5778' }, /^OTEL_TRACES_SAMPLER_ARG endpoint must be an http:\/\/ URL, got "jaeger:5778"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'initialSamplingRate=2' }, /^OTEL_TRACES_SAMPLER_ARG initialSamplingRate must be a number from 0 to 1, got "2"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'initialSamplingRate=' }, /^OTEL_TRACES_SAMPLER_ARG initialSamplingRate must be a number from 0 to 1, got ""$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'initialSamplingRate=-0.5' }, /^OTEL_TRACES_SAMPLER_ARG initialSamplingRate must be a number from 0 to 1, got "-0.5"$/],
  [{ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'pollingIntervalMs=10' }, /^OTEL_TRACES_SAMPLER_ARG pollingIntervalMs must be between 100 and 86400000, got 10$/],
  [{ SERVICE_NAME: '1', JAEGER_SAMPLER_TYPE: 'always' }, /^JAEGER_SAMPLER_TYPE must be one of const, probabilistic, ratelimiting, remote/],
  [{ SERVICE_NAME: '1', JAEGER_SAMPLER_PARAM: 'half' }, /^JAEGER_SAMPLER_PARAM must be a number/],
  [{ SERVICE_NAME: '1', JAEGER_AGENT_PORT: '6831/udp' }, /^JAEGER_AGENT_PORT must be a whole number/],
  [{ SERVICE_NAME: '1', JAEGER_SAMPLER_MANAGER_HOST_PORT: 'jaeger' }, /^JAEGER_SAMPLER_MANAGER_HOST_PORT must look like host:port/],
  [
    { SERVICE_NAME: '1', JAEGER_SAMPLER_MANAGER_HOST_PORT: 'jaeger:5778/api/sampling' },
    /^JAEGER_SAMPLER_MANAGER_HOST_PORT must be host:port without a path \(set the path in JAEGER_SAMPLER_SAMPLING_PATH\), got "jaeger:5778\/api\/sampling"$/,
  ],
  [
    { SERVICE_NAME: '1', JAEGER_SAMPLER_MANAGER_HOST_PORT: 'http://jaeger:5778/sampling' },
    /^JAEGER_SAMPLER_MANAGER_HOST_PORT must be host:port without a path/,
  ],
  [{ SERVICE_NAME: '1', JAEGER_SAMPLER_MANAGER_HOST_PORT: 'my jaeger:5778/sampling' }, /^JAEGER_SAMPLER_MANAGER_HOST_PORT must look like host:port/],
  [{ SERVICE_NAME: '1', JAEGER_TAGS: 'team=checkout,region' }, /^JAEGER_TAGS must be key=value pairs separated by commas, got "team=checkout,region"$/],
  [{ SERVICE_NAME: '1', JAEGER_TAGS: 'a=b=c' }, /^JAEGER_TAGS must be key=value pairs/],
  [{ SERVICE_NAME: '1', JAEGER_TAGS: '=nokey' }, /^JAEGER_TAGS must be key=value pairs/],
  [{ SERVICE_NAME: '1', KEEP_ALIVE_TIMEOUT_MS: '3000' }, /^KEEP_ALIVE_TIMEOUT_MS must be between 5000 and 3600000, got 3000$/],
];

test('accepts JAEGER_TAGS as jaeger-client reads them, and host:port with or without a scheme', () => {
  for (const tags of ['team=checkout', 'team=checkout, region = eu-1', 'host=${HOSTNAME:unknown}', 'empty=']) {
    assert.equal(loadConfig({ SERVICE_NAME: '1', JAEGER_TAGS: tags }).serviceNumber, '1', tags);
  }
  for (const hostPort of ['jaeger:5778', 'http://jaeger:5778', 'http://jaeger:5778/']) {
    assert.equal(loadConfig({ SERVICE_NAME: '1', JAEGER_SAMPLER_MANAGER_HOST_PORT: hostPort }).serviceNumber, '1', hostPort);
  }
});

for (const [env, expected] of bad) {
  test(`stops with one line naming the variable for ${JSON.stringify(env)}`, () => {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof ConfigError && expected.test(err.message) && !err.message.includes('\n'),
    );
  });
}

test('reads the OpenTelemetry tracer: W3C headers, its sampler and argument by the specification, and its batch', () => {
  const otel = { SERVICE_NAME: '1', TRACER: 'opentelemetry' };
  const plain = loadConfig(otel);
  assert.equal(plain.tracer, 'opentelemetry');
  assert.equal(plain.propagation, 'w3c');
  assert.deepEqual(plain.otel, { sampler: { name: 'parentbased_always_on' }, batch: { scheduledDelayMillis: 5000, maxExportBatchSize: 512 } });
  assert.equal(plain.otelDisabled, undefined);
  assert.equal(loadConfig({ SERVICE_NAME: '1' }).otel, undefined, 'nothing of it for jaeger-client');
  assert.equal(loadConfig({ ...otel, OTEL_SDK_DISABLED: 'true' }).otelDisabled, true);
  const sampler = (env: Record<string, string>) => loadConfig({ ...otel, ...env }).otel?.sampler;
  assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'always_off' }), { name: 'always_off' });
  assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' }), { name: 'parentbased_traceidratio', ratio: 1 });
  assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }), { name: 'traceidratio', ratio: 0.25 });
  assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: ' ' }), { name: 'traceidratio', ratio: 1 });
  // Both ends of the range are ratios; below it is not.
  assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }), { name: 'traceidratio', ratio: 0 });
  assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }), { name: 'traceidratio', ratio: 1 });
  assert.throws(() => sampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '-0.1' }), /^ConfigError: OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 for a ratio sampler, got "-0\.1"$/);
  assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'ignored' }), { name: 'always_on' });
  assert.deepEqual(
    sampler({ OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: ' endpoint = http://jaeger:5778/ , pollingIntervalMs=5000,initialSamplingRate=1' }),
    { name: 'jaeger_remote', remote: { endpoint: 'http://jaeger:5778', pollingIntervalMs: 5000, initialSamplingRate: 1 } },
  );
  assert.deepEqual(
    sampler({ OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'endpoint=http://jaeger:5778//, ,initialSamplingRate=0' }),
    { name: 'jaeger_remote', remote: { endpoint: 'http://jaeger:5778', pollingIntervalMs: 60_000, initialSamplingRate: 0 } },
    'every trailing slash goes, and a blank item is no item',
  );
  assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }), {
    name: 'jaeger_remote',
    remote: { endpoint: 'http://localhost:5778', pollingIntervalMs: 60_000, initialSamplingRate: 0.001 },
  });
  assert.deepEqual(loadConfig({ ...otel, OTEL_BSP_SCHEDULE_DELAY: '1000', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64' }).otel?.batch, { scheduledDelayMillis: 1000, maxExportBatchSize: 64 });
  // jaeger-client's variables are not the OpenTelemetry tracer's business, and the other way round.
  assert.equal(loadConfig({ ...otel, JAEGER_SAMPLER_TYPE: 'always' }).tracer, 'opentelemetry');
  assert.equal(loadConfig({ SERVICE_NAME: '1', OTEL_TRACES_SAMPLER: 'jaeger' }).tracer, 'jaeger-client');
});

test('asks Jaeger for the sampling strategy at the agent host unless told otherwise', () => {
  assert.deepEqual(tracingDefaults('1', { JAEGER_AGENT_HOST: 'jaeger' }), {
    serviceName: 'service1',
    sampler: { type: 'remote', param: 1, hostPort: 'jaeger:5778' },
  });
});

test('asks localhost for the sampling strategy when no agent host is set', () => {
  assert.deepEqual(tracingDefaults('2', {}), { serviceName: 'service2', sampler: { type: 'remote', param: 1, hostPort: 'localhost:5778' } });
});

test('leaves every JAEGER_* variable that is set to jaeger-client', () => {
  const defaults = tracingDefaults('2', {
    JAEGER_SERVICE_NAME: 'custom',
    JAEGER_SAMPLER_TYPE: 'const',
    JAEGER_SAMPLER_PARAM: '0',
    JAEGER_SAMPLER_MANAGER_HOST_PORT: 'jaeger:5778',
  });
  assert.deepEqual(defaults, { serviceName: 'custom' });
});

test('takes the bounds of each number inclusively, and nothing around the digits', () => {
  assert.equal(loadConfig({ SERVICE_NAME: '1', PORT: '0' }).port, 0);
  assert.equal(loadConfig({ SERVICE_NAME: '1', PORT: '65535' }).port, 65535);
  assert.equal(loadConfig({ SERVICE_NAME: '1', PORT: ' 8081 ' }).port, 8081, 'surrounding blanks are trimmed');
  assert.equal(loadConfig({ SERVICE_NAME: '1', DOWNSTREAM_TIMEOUT_MS: '1' }).downstreamTimeoutMs, 1);
  assert.throws(() => loadConfig({ SERVICE_NAME: '1', PORT: '65536' }), /^ConfigError: PORT must be between 0 and 65535, got 65536$/);
  assert.throws(() => loadConfig({ SERVICE_NAME: '1', PORT: 'x80' }), /PORT must be a whole number, got "x80"/);
  assert.throws(() => loadConfig({ SERVICE_NAME: '1', PORT: '80x' }), /PORT must be a whole number, got "80x"/);
  assert.throws(() => loadConfig({ SERVICE_NAME: '1', JAEGER_SAMPLER_REFRESH_INTERVAL: '99' }), /^ConfigError: JAEGER_SAMPLER_REFRESH_INTERVAL must be between 100 and 86400000, got 99$/);
  assert.throws(() => loadConfig({ SERVICE_NAME: '1', JAEGER_REPORTER_FLUSH_INTERVAL: '0' }), /^ConfigError: JAEGER_REPORTER_FLUSH_INTERVAL must be between 1 and 60000, got 0$/);
});

test('treats an empty variable as unset', () => {
  const config = loadConfig({
    SERVICE_NAME: '1',
    PORT: '',
    DOWNSTREAM_URL: '',
    TRACE_PROPAGATION: '',
    JAEGER_SAMPLER_TYPE: '',
    JAEGER_SAMPLER_PARAM: '',
    JAEGER_SAMPLER_MANAGER_HOST_PORT: '',
    JAEGER_TAGS: '',
  });
  assert.equal(config.port, 8080);
  assert.equal(config.downstreamUrl, undefined);
  assert.equal(config.propagation, 'jaeger');
});

test('takes the service number as 1 to 999, and nothing else', () => {
  assert.equal(loadConfig({ SERVICE_NAME: '999' }).serviceNumber, '999');
  for (const bad of ['0', '1000', 'a1', '1a', '01', '']) {
    assert.throws(() => loadConfig({ SERVICE_NAME: bad }), /^ConfigError: SERVICE_NAME must be the service number \(1, 2, \.\.\.\), got "/, bad);
  }
  assert.throws(() => loadConfig({}), /got ""$/);
});

test('refuses a sampling host:port with anything before or after it', () => {
  for (const bad of ['x http://jaeger:5778', 'jaeger:5778 x', 'ftp://jaeger:5778', 'jaeger:5778/a', 'https//jaeger:5778']) {
    assert.throws(() => loadConfig({ SERVICE_NAME: '1', JAEGER_SAMPLER_MANAGER_HOST_PORT: bad }), /^ConfigError: JAEGER_SAMPLER_MANAGER_HOST_PORT must /, bad);
  }
  assert.equal(loadConfig({ SERVICE_NAME: '1', JAEGER_SAMPLER_MANAGER_HOST_PORT: 'https://jaeger:5778' }).serviceNumber, '1');
});

test('names its errors as configuration errors', () => {
  assert.throws(() => loadConfig({}), (err: Error) => err instanceof ConfigError && err.name === 'ConfigError');
});
