/**
 * `npm run local` as a user meets it when something goes wrong: started twice,
 * and with one of its processes killed. Runs after the topology suites, on the
 * same real Envoy and Jaeger, as the user's command itself.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it, after } from 'node:test';
import { ROOT } from '../../toolchain/binaries';
import { holderOf, Listen, takenListens } from '../../topology/ports';
import { RUN_DIR, sandboxPlan } from '../../topology/sandbox';
import { pollUntil } from '../../lib/poll';
import { startProcess } from '../process';

const RUN = [path.join(ROOT, 'dist', 'topology', 'run.js')];

/** Every file of a run folder with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const { size, mtimeMs } = statSync(file);
    files.set(file, `${size} ${mtimeMs}`);
  }
  return files;
}

describe('npm run local, when something goes wrong', () => {
  const listens: Listen[] = sandboxPlan().specs.flatMap((s) => s.listens ?? []);
  after(async () => {
    // Whatever happened above, nothing of the runs is left listening.
    await pollUntil(async () => assert.deepEqual(await takenListens(listens), []), 'every address of the topology to be free', { timeoutMs: 15_000 });
  });

  it('refuses a second run, naming the taken address, and leaves the first run alone; then reports a killed process and stops', async (t) => {
    const first = startProcess(t, process.execPath, RUN);
    await pollUntil(() => assert.match(first.stdout(), /local sandbox running/), 'the first npm run local to be up', {
      timeoutMs: 60_000,
      intervalMs: 200,
    }).catch((err) => {
      throw new Error(`${err.message}\n${first.output()}`);
    });
    const before = snapshot(RUN_DIR);

    const second = startProcess(t, process.execPath, RUN);
    assert.equal(await second.exited, 1, second.output());
    assert.match(second.stderr(), /^npm run local: the sandbox cannot start:$/m);
    assert.match(second.stderr(), /^ {2}127\.0\.0\.1:8000 \(front-envoy front_proxy\) is in use, held by pid \d+: \S*envoy -c /m);
    assert.doesNotMatch(second.stdout(), /local sandbox running/);
    const after = snapshot(RUN_DIR);
    for (const [file, stamp] of before) {
      if (file.endsWith('.log')) assert.ok(statSync(file).size >= Number(stamp.split(' ')[0]), `${file} was truncated`);
      else assert.equal(after.get(file), stamp, `${file} was rewritten`);
    }
    assert.equal((await fetch('http://127.0.0.1:8000/trace/1')).status, 200, 'the first run still serves');

    const service1 = holderOf({ owner: 'service1', host: '127.0.0.2', port: 8080, protocol: 'tcp' });
    const pid = Number(/^pid (\d+)/.exec(service1 ?? '')?.[1]);
    assert.ok(pid > 0, `service1's process: ${service1}`);
    process.kill(pid, 'SIGKILL');
    assert.equal(await first.exited, 1, first.output());
    assert.match(first.stderr(), /^npm run local: service1 exited unexpectedly \(signal SIGKILL\); the end of its log \(.*service1\.log\):$/m);
    assert.match(first.stderr(), /^service1 listening on 127\.0\.0\.2:8080/m, 'the tail of its log follows');
    assert.match(first.stdout(), /^a process died: stopping /m);
  });

  it('refuses a bad sampling setting in one line before anything starts', async (t) => {
    const run = startProcess(t, process.execPath, [...RUN, 'otel', '--sampling', 'tail'], { env: { ...process.env, TAIL_SAMPLING_THRESHOLD_MS: '-100' } });
    assert.equal(await run.exited, 1, run.output());
    assert.equal(run.stderr(), "npm run local: start-jaeger: TAIL_SAMPLING_THRESHOLD_MS must be a whole number of milliseconds, 0 or more, got '-100'\n");
    assert.equal(run.stdout(), '');
    assert.deepEqual(await takenListens(listens), [], 'nothing was started');
  });

  it('stops in order, quietly and cleanly when Ctrl-C signals the whole foreground process group', async (t) => {
    // A terminal runs the command in a process group of its own and sends Ctrl-C's SIGINT to all of it.
    const run = startProcess(t, process.execPath, RUN, { detached: true });
    await pollUntil(() => assert.match(run.stdout(), /local sandbox running/), 'npm run local to be up', {
      timeoutMs: 60_000,
      intervalMs: 200,
    }).catch((err) => {
      throw new Error(`${err.message}\n${run.output()}`);
    });
    process.kill(-run.child.pid!, 'SIGINT');
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.stdout(), /^SIGINT: stopping front-envoy, service1-envoy, service1, service2-envoy, service2, prometheus, jaeger$/m);
    assert.doesNotMatch(run.output(), /unexpectedly/);
    assert.equal(run.stderr(), '');
  });
});
