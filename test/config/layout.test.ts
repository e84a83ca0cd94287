import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { ROOT } from './sandbox-files';

/** What each folder may import from, itself included: the dependencies run one way. */
const MAY_IMPORT: Record<string, string[]> = {
  services: ['services'],
  lib: ['lib'],
  toolchain: ['lib', 'toolchain'],
  topology: ['lib', 'toolchain', 'topology'],
  checks: ['lib', 'toolchain', 'topology', 'checks'],
  tools: ['lib', 'toolchain', 'topology', 'tools'],
  bench: ['lib', 'toolchain', 'topology', 'tools', 'bench'],
};

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const file = path.join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path.join(ROOT, file)).isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** The project files a file imports, as paths from the root, read by TypeScript's own parser. */
export function localImports(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((ref) => ref.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.normalize(path.join(path.dirname(file), spec)).replace(/\.ts$/, '') + '.ts');
}

const folderOf = (file: string) => file.split(path.sep)[0];

/** Every import that runs the wrong way, as "from -> to". */
export function wrongWay(graph: Map<string, string[]>): string[] {
  return [...graph].flatMap(([file, imports]) =>
    imports.filter((to) => !(MAY_IMPORT[folderOf(file)] ?? [folderOf(to)]).includes(folderOf(to))).map((to) => `${file} -> ${to}`),
  );
}

/** The first import circle found, as the files around it, or undefined. */
export function circle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of graph.keys()) {
    const found = visit(file);
    if (found) return found;
  }
  return undefined;
}

const graph = new Map([...Object.keys(MAY_IMPORT), 'test'].flatMap(sources).map((file) => [file, localImports(file)]));

test('the dependencies run one way: services/ stands alone, tools/ never imports the benchmark, and nothing imports up into bench/', () => {
  assert.deepEqual(wrongWay(graph), []);
});

test('no file imports itself back through others', () => {
  assert.equal(circle(graph)?.join(' -> '), undefined);
});

test('the checks find an import the wrong way and a circle', () => {
  const bad = new Map([
    ['toolchain/a.ts', ['tools/b.ts']],
    ['tools/b.ts', ['tools/c.ts']],
    ['tools/c.ts', ['tools/b.ts']],
    ['services/s.ts', ['lib/poll.ts']],
  ]);
  assert.deepEqual(wrongWay(bad), ['toolchain/a.ts -> tools/b.ts', 'services/s.ts -> lib/poll.ts']);
  assert.deepEqual(circle(bad), ['tools/b.ts', 'tools/c.ts', 'tools/b.ts']);
  assert.deepEqual(localImports('topology/x.ts', "import { a } from '../lib/poll';\nimport type { B } from './y';\nimport fs from 'node:fs';"), [
    'lib/poll.ts',
    'topology/y.ts',
  ]);
});

test('nothing calls the query endpoints Jaeger removed after 2.20 (jaegertracing/jaeger#9260): every read goes through /api/v3', () => {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter((f) => /\.(md|ts|ya?ml|sh)$/.test(f) && f !== 'test/config/layout.test.ts');
  const removed = /\/api\/(traces|services|operations)\b/;
  const offenders = files.flatMap((f) =>
    readFileSync(path.join(ROOT, f), 'utf8')
      .split('\n')
      .flatMap((line, i) => (removed.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
  );
  assert.deepEqual(offenders, []);
  assert.match(readFileSync(path.join(ROOT, 'tools', 'jaeger.ts'), 'utf8'), /\/api\/v3\/traces/);
});
