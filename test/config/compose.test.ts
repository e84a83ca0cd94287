import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dockerStages, read, readYaml, ROOT } from './sandbox-files';

const DCLINT = path.join(ROOT, 'node_modules', '.bin', 'dclint');

function dclint(file: string) {
  const run = spawnSync(DCLINT, [file, '--formatter', 'json', '--config', path.join(ROOT, '.dclintrc.yaml')], {
    encoding: 'utf8',
  });
  const results = JSON.parse(run.stdout) as Array<{ messages: Array<{ rule: string; message: string }> }>;
  return results.flatMap((r) => r.messages);
}

const compose = readYaml('docker-compose.yml');

test('docker-compose.yml is valid Compose and passes the linter with no findings', () => {
  assert.deepEqual(dclint(path.join(ROOT, 'docker-compose.yml')), []);
});

test('the Compose check rejects a file that breaks the Compose specification', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-'));
  const broken = read('docker-compose.yml').replace('    healthcheck:\n', '    health_check:\n');
  writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
  const messages = dclint(path.join(dir, 'docker-compose.yml'));
  assert.ok(messages.some((m) => m.rule === 'invalid-schema'), JSON.stringify(messages));
});

test('runs front-envoy, service1, service2, jaeger and prometheus on the envoymesh network', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['front-envoy', 'jaeger', 'prometheus', 'service1', 'service2']);
  for (const [name, service] of Object.entries<Record<string, unknown>>(compose.services)) {
    assert.deepEqual(service.networks, ['envoymesh'], name);
  }
  assert.equal(compose.version, undefined, 'the obsolete version key is absent');
});

test('every service has a health check and waits for healthy dependencies', () => {
  for (const [name, service] of Object.entries<Record<string, any>>(compose.services)) {
    assert.ok(service.healthcheck?.test, `${name} has a healthcheck`);
    for (const [dependency, condition] of Object.entries<Record<string, string>>(service.depends_on ?? {})) {
      assert.equal(condition.condition, 'service_healthy', `${name} waits for ${dependency} to be healthy`);
    }
  }
  assert.deepEqual(Object.keys(compose.services['front-envoy'].depends_on).sort(), ['jaeger', 'service1']);
  assert.deepEqual(Object.keys(compose.services.service1.depends_on).sort(), ['jaeger', 'service2']);
});

test('every image and base image is pinned to an exact version', () => {
  const pinned = /^[\w./-]+:v?\d+\.\d+\.\d+[\w.-]*$/;
  const images: string[] = Object.values<Record<string, string>>(compose.services)
    .map((s) => s.image)
    .filter(Boolean);
  for (const dockerfile of readdirSync(ROOT).filter((f) => f.startsWith('Dockerfile'))) {
    images.push(...dockerStages(dockerfile).filter((s) => !s.fromStage).map((s) => s.base));
  }
  for (const image of images) assert.match(image, pinned, `${image} is pinned`);
  assert.deepEqual([...new Set(images)].sort(), [
    'envoyproxy/envoy:v1.29.12',
    'envoyproxy/envoy:v1.40.0',
    'jaegertracing/jaeger:2.20.0',
    'node:26.12.1-trixie-slim',
    'prom/prometheus:v3.16.0',
  ]);
});

test('the Envoy-carrying services run as linux/amd64, where the plugin exists', () => {
  for (const name of ['front-envoy', 'service1', 'service2']) {
    assert.equal(compose.services[name].platform, 'linux/amd64', name);
  }
});

test('host ports default to the documented ones and can be changed in .env', () => {
  const env = Object.fromEntries(
    read('.env')
      .split('\n')
      .filter((line) => /^\w+=/.test(line))
      .map((line) => line.split('=')),
  );
  assert.deepEqual(env, {
    PUBLISH_ADDRESS: '127.0.0.1',
    PROXY_PORT: '8000',
    ADMIN_PORT: '8001',
    JAEGER_UI_PORT: '16686',
    SAMPLING_PORT: '5778',
    PUBLISH_PROMETHEUS: 'no',
    PROMETHEUS_PORT: '9090',
    JAEGER_SAMPLING: 'head',
  });
  assert.deepEqual(compose.services['front-envoy'].ports, ['${PUBLISH_ADDRESS:-127.0.0.1}:${PROXY_PORT:-8000}:8000', '127.0.0.1:${ADMIN_PORT:-8001}:8001']);
  assert.deepEqual(compose.services.jaeger.ports, ['${PUBLISH_ADDRESS:-127.0.0.1}:${JAEGER_UI_PORT:-16686}:16686', '127.0.0.1:${SAMPLING_PORT:-5778}:5778']);
});

test('Jaeger listens beyond localhost, reads the strategies from the mounted folder, keeps Badger in a named volume and reads metrics from prometheus', () => {
  const jaeger = compose.services.jaeger;
  assert.deepEqual(jaeger.environment, {
    JAEGER_LISTEN_HOST: '0.0.0.0',
    BADGER_DIRECTORY: '/tmp/jaeger',
    PROMETHEUS_URL: 'http://prometheus:9090',
    // The sampling mode, and its settings passed on from .env or the shell only when set.
    JAEGER_SAMPLING: '${JAEGER_SAMPLING:-head}',
    TAIL_SAMPLING_SHARE: null,
    TAIL_SAMPLING_THRESHOLD_MS: null,
    ADAPTIVE_SAMPLING_TARGET: null,
    ADAPTIVE_SAMPLING_INTERVAL: null,
  });
  // The start script in the mounted folder picks the config files and runs the image's entrypoint.
  assert.deepEqual(jaeger.entrypoint, ['/bin/sh', '/etc/sandbox-jaeger/start-jaeger.sh']);
  assert.equal(jaeger.command, undefined);
  assert.deepEqual(jaeger.volumes, ['./jaeger:/etc/sandbox-jaeger:ro', 'jaeger-data:/tmp']);
  // A start that Badger refuses (an empty memtable file, badger#2207) is followed by one that works.
  assert.equal(jaeger.restart, 'on-failure:3');
  assert.deepEqual(compose.volumes, { 'jaeger-data': {}, 'prometheus-data': {} });
  assert.match(jaeger.healthcheck.test.join(' '), /wget .*:13133\/status/);
});

test("Prometheus scrapes Jaeger's span metrics, with its config mounted, a health check, and a host port only when .env asks", () => {
  const prometheus = compose.services.prometheus;
  assert.deepEqual(prometheus.extends, { file: 'prometheus/publish-${PUBLISH_PROMETHEUS:-no}.yml', service: 'prometheus-port' });
  assert.deepEqual(readYaml('prometheus/publish-no.yml').services, { 'prometheus-port': {} });
  assert.deepEqual(readYaml('prometheus/publish-yes.yml').services['prometheus-port'].ports, ['127.0.0.1:${PROMETHEUS_PORT:-9090}:9090']);
  assert.deepEqual(prometheus.volumes, ['./prometheus:/etc/sandbox-prometheus:ro', 'prometheus-data:/prometheus']);
  assert.ok(prometheus.command.includes('--config.file=/etc/sandbox-prometheus/prometheus.yml'));
  assert.equal(prometheus.ports, undefined);
  assert.match(prometheus.healthcheck.test.join(' '), /wget .*:9090\/-\/ready/);
  const config = readYaml('prometheus/prometheus.yml');
  assert.deepEqual(config.scrape_configs[0].static_configs[0].targets, ['jaeger:8889']);
  // The port the target names is the one Jaeger's prometheus exporter listens on.
  assert.equal(readYaml('jaeger/config.yaml').exporters.prometheus.endpoint, '${env:JAEGER_LISTEN_HOST:-0.0.0.0}:8889');
});

test('service1 calls service2 through its egress listener, service2 is a leaf', () => {
  assert.equal(compose.services.service1.environment.DOWNSTREAM_URL, 'http://127.0.0.1:9000/trace/2');
  assert.equal(compose.services.service2.environment.DOWNSTREAM_URL, undefined);
  for (const name of ['service1', 'service2']) {
    const env = compose.services[name].environment;
    assert.equal(env.SERVICE_NAME, name.slice(-1));
    assert.equal(env.TRACE_PROPAGATION, 'jaeger', 'the native plugin reads uber-trace-id');
    assert.equal(env.JAEGER_AGENT_HOST, 'jaeger');
    // jaeger-client (Node) sends Thrift binary, which Jaeger receives on 6832, not compact on 6831.
    assert.equal(env.JAEGER_AGENT_PORT, '6832');
    assert.equal(env.JAEGER_SAMPLER_TYPE, 'remote');
    assert.equal(env.JAEGER_SAMPLER_MANAGER_HOST_PORT, 'jaeger:5778');
  }
});

test('both variants are one Compose project, so a plain docker compose down stops either', () => {
  assert.equal(readYaml('docker-compose.yml').name, 'envoy-jaeger');
  assert.equal(readYaml('docker-compose.zipkin.yml').name, undefined, 'the override keeps the project name');
  assert.deepEqual(Object.keys(readYaml('docker-compose.zipkin.yml').services).sort(), ['front-envoy', 'service1', 'service2']);
});
