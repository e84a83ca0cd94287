/**
 * Start, wait until ready, stop. Each process logs to its own file in one
 * folder; stopping sends SIGTERM, then SIGKILL to whatever is still running.
 */
import { ChildProcess, spawn } from 'node:child_process';

import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { tail } from '../lib/logs';
import { pollUntil } from '../lib/poll';
import { describeListen, Listen, listensOn } from './ports';

/**
 * util-linux's setpriv sets the parent-death signal and then becomes the command (same pid):
 * should its starter be killed outright, with no chance to stop it, the process dies too.
 */
const SETPRIV = '/usr/bin/setpriv';

export function tethered(command: string, args: string[]): [string, string[]] {
  return existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args]] : [command, args];
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** The addresses it listens on: free before start, held by this very process once ready. */
  listens?: Listen[];
  /** Checks the process's configuration before start; throws with the reason. */
  validate?: () => void;
  /** Runs right before every start, restarts included: puts the process's files in order. */
  beforeStart?: () => void;
  /** Resolves when the process serves; throws (to be polled again) until then. */
  ready: () => Promise<void>;
  /** How long to poll ready() before giving up. */
  readyTimeoutMs: number;
}

export interface Running {
  spec: ProcessSpec;
  child: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

export class ProcessGroup {
  private readonly running = new Map<string, Running>();
  /** Names started before in this group: a restart appends to the log, a first start begins it anew. */
  private readonly started = new Set<string>();
  /** Names being stopped on purpose: their exit is no news. */
  private readonly stopping = new Set<string>();
  private readonly onExit = () => this.killAll('SIGKILL');

  /**
   * @param onUnexpectedExit hears, in one message, of a ready process that exits
   *   without stop() having been asked: its name, exit code or signal, and log tail.
   */
  constructor(
    readonly logDir: string,
    private readonly onUnexpectedExit: (report: string) => void = (report) => console.error(report),
  ) {
    process.on('exit', this.onExit);
  }

  get(name: string): Running | undefined {
    return this.running.get(name);
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  async start(spec: ProcessSpec): Promise<Running> {
    if (this.running.has(spec.name)) throw new Error(`${spec.name} is already running`);
    const logFile = path.join(this.logDir, `${spec.name}.log`);
    spec.beforeStart?.();
    const fd = openSync(logFile, this.started.has(spec.name) ? 'a' : 'w');
    this.started.add(spec.name);
    const child = spawn(...tethered(spec.command, spec.args), {
      cwd: spec.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...spec.env },
      stdio: ['ignore', fd, fd],
      // A process group of its own: Ctrl-C in a terminal signals the whole foreground
      // group, and only this group's owner may decide the order things stop in.
      detached: true,
    });
    closeSync(fd);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const entry: Running = { spec, child, logFile, exited };
    this.running.set(spec.name, entry);
    let ready = false;
    const reportExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (!ready || this.stopping.has(spec.name) || this.running.get(spec.name) !== entry) return;
      this.onUnexpectedExit(`${spec.name} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}); the end of its log (${logFile}):\n${tail(logFile)}`);
    };
    child.once('exit', reportExit);
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    await pollUntil(
      async () => {
        if (spawnError) throw new Fatal(`${spec.name} could not start: ${spawnError.message}`);
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Fatal(`${spec.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`);
        }
        await spec.ready();
        for (const listen of spec.listens ?? []) {
          // Another program on the address would answer the readiness check too.
          if (listensOn(child.pid!, listen) === false) throw new Error(`${describeListen(listen)} is not held by ${spec.name} (pid ${child.pid})`);
        }
      },
      `${spec.name} to be ready (log: ${logFile})`,
      { timeoutMs: spec.readyTimeoutMs, intervalMs: 100, stopOn: (err) => err instanceof Fatal },
    );
    ready = true;
    if (child.exitCode !== null || child.signalCode !== null) reportExit(child.exitCode, child.signalCode);
    return entry;
  }

  /** SIGTERM, wait up to graceMs, then SIGKILL. */
  async stop(name: string, { graceMs = 10_000, signal = 'SIGTERM' as NodeJS.Signals } = {}): Promise<void> {
    const entry = this.running.get(name);
    if (!entry) return;
    this.stopping.add(name);
    try {
      if (entry.child.exitCode === null && entry.child.signalCode === null) {
        entry.child.kill(signal);
        const timer = setTimeout(() => entry.child.kill('SIGKILL'), graceMs);
        await entry.exited;
        clearTimeout(timer);
      }
    } finally {
      this.running.delete(name);
      this.stopping.delete(name);
    }
  }

  /** Stops every process, newest first, so callers go before the things they call. */
  async stopAll(graceMs = 5_000): Promise<void> {
    for (const name of [...this.running.keys()].reverse()) await this.stop(name, { graceMs });
    process.off('exit', this.onExit);
  }

  private killAll(signal: NodeJS.Signals): void {
    for (const { child } of this.running.values()) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
  }

  /** The last lines of every log, for a person reading a failure. */
  tails(lines = 15): string {
    return [...this.running.values()].map((r) => `--- ${r.spec.name} (${r.logFile})\n${tail(r.logFile, lines)}`).join('\n');
  }
}

class Fatal extends Error {}


