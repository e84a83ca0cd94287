import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { read, readYaml, ROOT } from './sandbox-files';

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
  assert.match(read('start-service.sh'), /node dist\/services\/server\.js/);
  const compose = readYaml('docker-compose.yml');
  const healthcheck: string[] = compose['x-service'].healthcheck.test;
  assert.deepEqual(healthcheck, ['CMD', 'node', 'dist/services/healthcheck.js']);
  // tsconfig.build.json compiles services/ into dist/services/, as the test build did here.
  assert.deepEqual(readYaml('tsconfig.build.json').include, ['services']);
  for (const file of ['server.js', 'healthcheck.js']) assert.ok(existsSync(path.join(ROOT, 'dist', 'services', file)), file);
});

test('the plugin is fetched, checked and installed in both images', () => {
  for (const dockerfile of ['Dockerfile-frontenvoy', 'Dockerfile-service']) {
    assert.match(read(dockerfile), /RUN \/usr\/local\/bin\/install-jaeger-plugin\.sh/);
  }
  const installer = read('install-jaeger-plugin.sh');
  assert.match(installer, /sha256sum -c/);
  assert.match(installer, /exit 1/);
});
