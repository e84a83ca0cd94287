import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The variables a settings table row names: every `NAME` in its first column. */
function documented(): Set<string> {
  const names = new Set<string>();
  for (const line of read('docs/settings.md').split('\n')) {
    const first = line.startsWith('|') ? line.split('|')[1] : '';
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]);
  }
  return names;
}

/** Every variable the services read: env.NAME, process.env.NAME, and names given to config.ts's readers. */
function readByServices(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(path.join(ROOT, 'services')).filter((f) => f.endsWith('.ts'))) {
    const source = read(path.join('services', file));
    for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]);
    for (const m of source.matchAll(/\b(?:integer|oneOf|httpUrl)\(env, '([A-Z][A-Z0-9_]+)'/g)) names.add(m[1]);
  }
  return names;
}

test('the settings page documents every variable the services, start-service.sh and the Compose files read', () => {
  const read_ = new Set([...readByServices()]);
  for (const m of read('start-service.sh').matchAll(/\$\{([A-Z][A-Z0-9_]+)/g)) read_.add(m[1]);
  for (const file of ['docker-compose.yml', 'docker-compose.zipkin.yml', 'docker-compose.otel.yml', 'prometheus/publish-yes.yml']) {
    const text = read(file);
    for (const m of text.matchAll(/\$\{([A-Z][A-Z0-9_]+)/g)) read_.add(m[1]);
    const compose = parse(text, { merge: true });
    for (const service of Object.values(compose.services ?? {}) as Array<{ environment?: Record<string, string> }>) {
      for (const name of Object.keys(service.environment ?? {})) read_.add(name);
    }
  }
  // The sanity of the collection itself: a few that must be there.
  for (const name of ['PORT', 'TRACER', 'OTEL_TRACES_SAMPLER_ARG', 'ENVOY_TEMPLATE', 'PROXY_PORT', 'JAEGER_AGENT_HOST']) assert.ok(read_.has(name), name);
  const missing = [...read_].filter((name) => !documented().has(name)).sort();
  assert.deepEqual(missing, [], `read but not in docs/settings.md: ${missing.join(', ')}`);
});

/** Every name the tracers' own packages read from the environment, from their shipped code. */
function readByTracerPackages(): Set<string> {
  const names = new Set<string>();
  const scan = (dir: string, pattern: RegExp) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !/\.c?js$/.test(entry.name)) continue;
      for (const m of readFileSync(path.join(entry.parentPath, entry.name), 'utf8').matchAll(pattern)) names.add(m[1]);
    }
  };
  scan('node_modules/jaeger-client/dist/src', /\b(JAEGER_[A-Z_]+)\b/g);
  scan('node_modules/@opentelemetry', /['"`](OTEL_[A-Z_]+)['"`]/g);
  return names;
}

test('every variable the settings page offers is read by something: the services, their tracers, the container, Compose or Jaeger', () => {
  const readers = new Set([...readByServices(), ...readByTracerPackages()]);
  for (const file of ['start-service.sh', 'docker-compose.yml', 'docker-compose.zipkin.yml', 'docker-compose.otel.yml', 'prometheus/publish-yes.yml', 'jaeger/config.yaml', 'jaeger/strategies-file.yaml', 'jaeger/start-jaeger.sh']) {
    for (const m of read(file).matchAll(/\$\{(?:env:)?([A-Z][A-Z0-9_]+)/g)) readers.add(m[1]);
  }
  // The sanity of the collection itself: one from each kind of reader.
  for (const name of ['PORT', 'JAEGER_SAMPLER_PORT', 'OTEL_RESOURCE_ATTRIBUTES', 'SPAN_FLUSH_SECONDS', 'JAEGER_LISTEN_HOST', 'PROXY_PORT']) assert.ok(readers.has(name), name);
  const unread = [...documented()].filter((name) => !readers.has(name)).sort();
  assert.deepEqual(unread, [], `in docs/settings.md but read by nothing: ${unread.join(', ')}`);
});

test('the settings page documents every npm script', () => {
  const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
  const page = read('docs/settings.md');
  const missing = scripts.filter((script) => !page.includes(`npm run ${script}`) && !page.includes(`\`npm ${script}\``) && !page.includes(`\`${script}\``));
  assert.deepEqual(missing, []);
});

test('every `npm run` that a file of the repository names is a script of package.json', () => {
  const scripts = new Set(Object.keys(JSON.parse(read('package.json')).scripts));
  const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => /\.(md|ts|ya?ml|sh|json)$|^\.ci\/run$|^Dockerfile/.test(f) && f !== 'package-lock.json');
  const named: string[] = [];
  for (const file of files) {
    for (const m of read(file).matchAll(/npm run ([a-z][a-z0-9-]*(?::[a-z0-9-]+)?)/g)) named.push(`${m[1]} (${file})`);
  }
  assert.ok(named.some((n) => n.startsWith('render:envoy ')), 'the collection itself finds the names');
  const unknown = named.filter((n) => !scripts.has(n.split(' ')[0]));
  assert.deepEqual(unknown, []);
});
