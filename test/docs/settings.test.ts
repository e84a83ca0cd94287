import assert from 'node:assert/strict';
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
  for (const file of ['docker-compose.yml', 'docker-compose.zipkin.yml', 'docker-compose.otel.yml']) {
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

test('the settings page documents every npm script', () => {
  const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
  const page = read('docs/settings.md');
  const missing = scripts.filter((script) => !page.includes(`npm run ${script}`) && !page.includes(`\`npm ${script}\``) && !page.includes(`\`${script}\``));
  assert.deepEqual(missing, []);
});
