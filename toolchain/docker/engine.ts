/**
 * The Docker engine the Compose run uses. If one already answers, it is used
 * and left alone. Otherwise Debian's dockerd is started in the background and
 * remembered by its process id, so that stopEngine() stops exactly that one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { command, CommandOptions } from '../../lib/command';
import { alive } from '../../lib/pids';
import { pollUntil } from '../../lib/poll';
import { TOOLS_DIR } from '../binaries';
import { tail } from '../../lib/logs';

export const DOCKER_DIR = path.join(TOOLS_DIR, 'docker');
export const ENGINE_PID_FILE = path.join(DOCKER_DIR, 'dockerd.pid');
export const ENGINE_LOG = path.join(DOCKER_DIR, 'dockerd.log');

/** Runs the docker CLI; throws with its last lines of output when it fails. */
export function docker(args: string[], options: CommandOptions = {}): string {
  return command('docker', args, options);
}

export function engineAnswers(): boolean {
  return spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' }).status === 0;
}


function ourPid(): number | undefined {
  if (!existsSync(ENGINE_PID_FILE)) return undefined;
  const pid = Number(readFileSync(ENGINE_PID_FILE, 'utf8'));
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/** Starts dockerd unless an engine answers; resolves once it does. True when this call started it. */
export async function startEngine(): Promise<boolean> {
  if (engineAnswers()) return false;
  if (!existsSync('/usr/sbin/dockerd')) throw new Error('dockerd is not installed: run `npm run toolchain -- docker`');
  mkdirSync(DOCKER_DIR, { recursive: true });
  const log = openSync(ENGINE_LOG, 'a');
  const child = spawn('/usr/sbin/dockerd', [], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  writeFileSync(ENGINE_PID_FILE, String(child.pid));
  await pollUntil(
    () => {
      if (!alive(child.pid!)) throw new Fatal(`dockerd exited at start; the end of ${ENGINE_LOG}:\n${tail(ENGINE_LOG, 10)}`);
      if (!engineAnswers()) throw new Error('docker info does not answer yet');
    },
    'dockerd to answer',
    { timeoutMs: 60_000, intervalMs: 250, stopOn: (err) => err instanceof Fatal },
  );
  return true;
}

/** Stops the dockerd that startEngine() started, by its process id; an engine it did not start is left alone. */
export async function stopEngine(): Promise<boolean> {
  const pid = ourPid();
  rmSync(ENGINE_PID_FILE, { force: true });
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  try {
    await pollUntil(() => {
      if (alive(pid)) throw new Error(`dockerd (pid ${pid}) is still running`);
    }, 'dockerd to stop', { timeoutMs: 30_000, intervalMs: 200 });
  } catch {
    process.kill(pid, 'SIGKILL');
  }
  return true;
}

class Fatal extends Error {}
