import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { imageKey, standIns } from '../../toolchain/docker/standins';
import { composeFiles } from '../e2e/compose-files';

function fakeBinaries() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'standin-bins-'));
  const envoy = path.join(dir, 'envoy');
  const jaeger = path.join(dir, 'jaeger');
  const prometheus = path.join(dir, 'prometheus');
  const node = path.join(dir, 'node');
  const npm = path.join(dir, 'npm');
  writeFileSync(envoy, 'envoy 1');
  writeFileSync(jaeger, 'jaeger 1');
  writeFileSync(prometheus, 'prometheus 1');
  writeFileSync(node, 'node 26');
  mkdirSync(npm);
  writeFileSync(path.join(npm, 'package.json'), '{"version":"11"}');
  return { envoy, jaeger, prometheus, node, npm };
}

type Fakes = ReturnType<typeof fakeBinaries>;
const standInsOf = (bins: Fakes) => standIns(bins, bins.node, () => bins.npm);

function build(image: string, bins = fakeBinaries()) {
  const standIn = standInsOf(bins).find((s) => s.image === image)!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'standin-context-'));
  return { standIn, dir, body: standIn.context(dir).split('\n'), bins };
}

test('stands in for the four images the current variants pin, under names of its own', () => {
  assert.deepEqual(
    standInsOf(fakeBinaries()).map((s) => [s.image, s.for]),
    [
      ['sandbox-standin/node:26.12.1-trixie-slim', 'node:26.12.1-trixie-slim'],
      ['sandbox-standin/envoy:v1.40.0', 'envoyproxy/envoy:v1.40.0'],
      ['sandbox-standin/jaeger:2.13.0', 'jaegertracing/jaeger:2.20.0'],
      ['sandbox-standin/prometheus:v3.16.0', 'prom/prometheus:v3.16.0'],
    ],
  );
});

test("the Node stand-in has the pinned node, the installer's npm, the node user, and this machine's CA bundle", () => {
  const { body, dir, bins } = build('sandbox-standin/node:26.12.1-trixie-slim');
  assert.ok(body.includes('COPY node /usr/local/bin/node'));
  assert.ok(body.some((l) => /apt-get install .*\blibatomic1\b/.test(l)), 'the library the official binary links');
  assert.ok(body.includes('COPY npm /usr/local/lib/node_modules/npm'));
  assert.ok(body.some((l) => l.includes("echo 'node:x:1000:1000::/home/node:/bin/bash' >> /etc/passwd")));
  assert.ok(body.includes('ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'));
  assert.equal(readFileSync(path.join(dir, 'node'), 'utf8'), readFileSync(bins.node, 'utf8'));
  assert.equal(readFileSync(path.join(dir, 'npm', 'package.json'), 'utf8'), '{"version":"11"}');
  assert.deepEqual(readFileSync(path.join(dir, 'ca-certificates.crt')), readFileSync('/etc/ssl/certs/ca-certificates.crt'));
});

test('the Envoy stand-in runs its command, with Envoy where the official image has it', () => {
  const { body, dir, bins } = build('sandbox-standin/envoy:v1.40.0');
  assert.ok(body.includes('COPY envoy /usr/local/bin/envoy'));
  assert.ok(body.includes('ENTRYPOINT ["/docker-entrypoint.sh"]'));
  assert.equal(readFileSync(path.join(dir, 'docker-entrypoint.sh'), 'utf8'), '#!/bin/sh\nexec "$@"\n');
  assert.equal(readFileSync(path.join(dir, 'envoy'), 'utf8'), readFileSync(bins.envoy, 'utf8'));
});

test("the Jaeger stand-in has the official image's entry point, user and wget for the health check", () => {
  const { body } = build('sandbox-standin/jaeger:2.13.0');
  assert.ok(body.includes('COPY jaeger /cmd/jaeger/jaeger-linux'));
  assert.ok(body.includes('ENTRYPOINT ["/cmd/jaeger/jaeger-linux"]'));
  assert.ok(body.includes('USER 10001'));
  assert.ok(body.includes('ENV JAEGER_LISTEN_HOST=0.0.0.0'));
  assert.ok(body.includes('VOLUME ["/tmp"]'), 'the folder Compose mounts its named volume on');
  assert.ok(body.some((l) => /apt-get install .*\bwget\b/.test(l)));
});

test("the Prometheus stand-in has the official image's entry point, user, data folder and wget for the health check", () => {
  const { body, dir, bins } = build('sandbox-standin/prometheus:v3.16.0');
  assert.ok(body.includes('COPY prometheus /bin/prometheus'));
  assert.ok(body.includes('ENTRYPOINT ["/bin/prometheus"]'));
  assert.ok(body.includes('USER 65534'));
  assert.ok(body.includes('RUN mkdir /prometheus && chown 65534:65534 /prometheus'));
  assert.ok(body.includes('WORKDIR /prometheus'));
  assert.ok(body.some((l) => /apt-get install .*\bwget\b/.test(l)));
  assert.equal(readFileSync(path.join(dir, 'prometheus'), 'utf8'), readFileSync(bins.prometheus, 'utf8'));
});

test('rebuilds a stand-in when its binary changes, and only then', () => {
  const bins = fakeBinaries();
  const key = (image: string) => standInsOf(bins).find((s) => s.image === image)!.key();
  const [envoy, jaeger] = [key('sandbox-standin/envoy:v1.40.0'), key('sandbox-standin/jaeger:2.13.0')];
  assert.equal(key('sandbox-standin/envoy:v1.40.0'), envoy);
  writeFileSync(bins.envoy, 'envoy 2');
  assert.notEqual(key('sandbox-standin/envoy:v1.40.0'), envoy);
  assert.equal(key('sandbox-standin/jaeger:2.13.0'), jaeger);
  const node = key('sandbox-standin/node:26.12.1-trixie-slim');
  writeFileSync(bins.node, 'node 26.1');
  assert.notEqual(key('sandbox-standin/node:26.12.1-trixie-slim'), node);
});

test("rebuilds a stand-in when its Dockerfile's body changes, with the same files", () => {
  const { standIn, body } = build('sandbox-standin/node:26.12.1-trixie-slim');
  const text = body.join('\n');
  assert.equal(imageKey(standIn, text), imageKey(standIn, text));
  assert.notEqual(imageKey(standIn, `${text}\nRUN true`), imageKey(standIn, text));
});

test('the Compose e2e picks its files from the environment, and refuses a variant it does not know', () => {
  assert.deepEqual(composeFiles({}), ['docker-compose.yml']);
  assert.deepEqual(composeFiles({ E2E_VARIANT: 'zipkin', E2E_STANDINS: 'true' }), [
    'docker-compose.yml',
    'docker-compose.zipkin.yml',
    'toolchain/docker/compose.standins.yml',
  ]);
  assert.deepEqual(composeFiles({ E2E_VARIANT: 'otel' }), ['docker-compose.yml', 'docker-compose.otel.yml']);
  assert.throws(() => composeFiles({ E2E_VARIANT: 'opentelemetry' }), /^Error: E2E_VARIANT must be native, zipkin or otel under Compose, got "opentelemetry"$/);
});
