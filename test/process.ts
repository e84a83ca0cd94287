import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { TestContext } from 'node:test';
import { tethered } from '../topology/processes';

export interface Started {
  child: ChildProcess;
  /** stdout and stderr as they arrived, interleaved. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** The exit code once the process has exited and its output is complete. */
  exited: Promise<number | null>;
}

/** Starts a process with its output captured; it is killed when the test ends, pass or fail, or dies. */
export function startProcess(t: Pick<TestContext, 'after'>, command: string, args: string[], options: SpawnOptions = {}): Started {
  const child = spawn(...tethered(command, args), { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    output += d;
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
    stderr += d;
  });
  const exited = once(child, 'close').then(([code]) => code as number | null);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr, exited };
}
