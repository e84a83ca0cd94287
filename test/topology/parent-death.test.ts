import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { pollUntil } from '../../lib/poll';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("a test's child process dies with the test process, even when that is killed outright", async (t) => {
  // A stand-in for a test process: it starts a long-running child the way the tests do, prints its pid, and waits.
  const helper = path.join(__dirname, '..', 'process.js');
  const script = `
    const { startProcess } = require(${JSON.stringify(helper)});
    const started = startProcess({ after() {} }, process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    console.log(started.child.pid);
    setInterval(() => {}, 1000);
  `;
  const testProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => testProcess.kill('SIGKILL'));
  const [line] = await once(testProcess.stdout!, 'data');
  const child = Number(String(line).trim());
  assert.ok(child > 0 && alive(child), `the child ${child} runs`);
  testProcess.kill('SIGKILL');
  await pollUntil(() => assert.ok(!alive(child), `child ${child} still runs`), 'the child to die with its parent', { timeoutMs: 5_000, intervalMs: 20 });
});
