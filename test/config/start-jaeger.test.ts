import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'jaeger', 'start-jaeger.sh');

/** A stand-in for the Jaeger binary that prints the arguments and the settings it was started with. */
const bin = path.join(mkdtempSync(path.join(os.tmpdir(), 'start-jaeger-')), 'fake-jaeger.sh');
const print = 'console.log(JSON.stringify({ args: process.argv.slice(1), share: process.env.TAIL_SAMPLING_PERCENTAGE, threshold: process.env.TAIL_SAMPLING_THRESHOLD_MS, target: process.env.ADAPTIVE_SAMPLING_TARGET, interval: process.env.ADAPTIVE_SAMPLING_INTERVAL }))';
writeFileSync(bin, `#!/bin/sh\nexec ${process.execPath} -e '${print}' -- "$@"\n`, { mode: 0o755 });
after(() => rmSync(path.dirname(bin), { recursive: true, force: true }));

/** jaeger/start-jaeger.sh with only these variables set. */
function start(env: Record<string, string>, ...args: string[]) {
  const run = spawnSync('sh', [SCRIPT, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', JAEGER_BIN: bin, ...env } });
  return { status: run.status, stderr: run.stderr, got: run.status === 0 && args[0] !== '--check' ? JSON.parse(run.stdout) : undefined, stdout: run.stdout };
}
const configs = (...names: string[]) => names.flatMap((n) => ['--config', path.join(ROOT, 'jaeger', n)]);

test('head, the default: config.yaml with the strategies file, and the arguments it was given after them', () => {
  for (const env of [{}, { JAEGER_SAMPLING: 'head' }, { JAEGER_SAMPLING: '' }] as Array<Record<string, string>>) {
    assert.deepEqual(start(env, '--set', 'x=y').got.args, [...configs('config.yaml', 'strategies-file.yaml'), '--set', 'x=y']);
  }
});

test('tail: the tail-sampling file over both, the share as a percentage, the defaults 0.1 and 500 ms', () => {
  const tail = start({ JAEGER_SAMPLING: 'tail' }).got;
  assert.deepEqual(tail.args, configs('config.yaml', 'strategies-file.yaml', 'tail-sampling.yaml'));
  assert.equal(tail.share, '10');
  assert.equal(tail.threshold, '500');
  const set = start({ JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: '0.25', TAIL_SAMPLING_THRESHOLD_MS: '0' }).got;
  assert.deepEqual([set.share, set.threshold], ['25', '0']);
  for (const share of ['0', '1', '1.0', '.5', '0.005']) assert.equal(start({ JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: share }).status, 0, share);
  assert.equal(start({ JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: '0.005' }).got.share, '0.5');
});

test('adaptive: the adaptive strategies in place of the file, defaults 1 trace a second every 30 s', () => {
  const adaptive = start({ JAEGER_SAMPLING: 'adaptive' }).got;
  assert.deepEqual(adaptive.args, configs('config.yaml', 'strategies-adaptive.yaml'));
  assert.deepEqual([adaptive.target, adaptive.interval], ['1', '30s']);
  const set = start({ JAEGER_SAMPLING: 'adaptive', ADAPTIVE_SAMPLING_TARGET: '0.5', ADAPTIVE_SAMPLING_INTERVAL: '500ms' }).got;
  assert.deepEqual([set.target, set.interval], ['0.5', '500ms']);
});

test('a bad setting stops the start with one line naming it, and Jaeger never runs', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ JAEGER_SAMPLING: 'Tail' }, "JAEGER_SAMPLING must be head, tail or adaptive, got 'Tail'"],
    [{ JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: '1.5' }, "TAIL_SAMPLING_SHARE must be a number from 0 to 1, got '1.5'"],
    [{ JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: '-0.1' }, "TAIL_SAMPLING_SHARE must be a number from 0 to 1, got '-0.1'"],
    [{ JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: '10%' }, "TAIL_SAMPLING_SHARE must be a number from 0 to 1, got '10%'"],
    [{ JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_THRESHOLD_MS: '-1' }, "TAIL_SAMPLING_THRESHOLD_MS must be a whole number of milliseconds, 0 or more, got '-1'"],
    [{ JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_THRESHOLD_MS: '2.5' }, "TAIL_SAMPLING_THRESHOLD_MS must be a whole number of milliseconds, 0 or more, got '2.5'"],
    [{ JAEGER_SAMPLING: 'adaptive', ADAPTIVE_SAMPLING_TARGET: '0' }, "ADAPTIVE_SAMPLING_TARGET must be a number of traces a second above 0, got '0'"],
    [{ JAEGER_SAMPLING: 'adaptive', ADAPTIVE_SAMPLING_INTERVAL: '10' }, "ADAPTIVE_SAMPLING_INTERVAL must be a duration such as 500ms, 30s or 1m, got '10'"],
  ];
  for (const [env, message] of cases) {
    const run = start(env);
    assert.equal(run.status, 2, JSON.stringify(env));
    assert.equal(run.stderr, `start-jaeger: ${message}\n`);
    assert.equal(run.stdout, '');
  }
});

test('--check prints the command it would run, and runs nothing', () => {
  const run = start({ JAEGER_SAMPLING: 'tail' }, '--check');
  assert.equal(run.status, 0);
  assert.match(run.stdout, /fake-jaeger\.sh --config .*config\.yaml --config .*strategies-file\.yaml --config .*tail-sampling\.yaml\n$/);
});
