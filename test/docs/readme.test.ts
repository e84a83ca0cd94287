import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The README's "What is where" section. */
function whatIsWhere(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /^## What is where\n([\s\S]*?)^## /m.exec(readme)?.[1];
  assert.ok(section, 'README.md has a "What is where" section');
  return section;
}

/** How the section names an entry at the root: `file`, or [folder/](folder/). */
export function unnamed(section: string, entries: string[], folders: Set<string>): string[] {
  return entries.filter((entry) => (folders.has(entry) ? !section.includes(`${entry}/`) : !section.includes(`\`${entry}\``)));
}

test('"What is where" in the README names everything at the root of the repository', () => {
  const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
  const folders = new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]));
  const entries = [...new Set(files.map((f) => f.split('/')[0]))].filter((e) => e !== 'README.md');
  assert.ok(entries.includes('bench') && entries.includes('stryker.config.json'), 'the listing itself works');
  assert.deepEqual(unnamed(whatIsWhere(), entries, folders), []);
});

test('the check misses nothing it is given: a file not named in code, and a folder not named with its slash', () => {
  const section = '| `a.yml`, [lib/](lib/) | ... mentions b.yml and bench without either form |';
  assert.deepEqual(unnamed(section, ['a.yml', 'b.yml', 'lib', 'bench'], new Set(['lib', 'bench'])), ['b.yml', 'bench']);
});

test('the README is one page: at most 200 lines, the rest in docs/', () => {
  const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length - 1;
  assert.ok(lines <= 200, `README.md has ${lines} lines`);
});
