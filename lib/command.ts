/** A command run to its end: its output, or one error naming it with the end of what it said. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export interface CommandOptions {
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Its standard output; throws when it cannot start or exits other than 0. */
export function command(file: string, args: string[], options: CommandOptions = {}): string {
  const run = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  const name = path.basename(file);
  if (run.error) throw new Error(`${name} could not run: ${run.error.message}`);
  if (run.status !== 0) {
    // Standard error last, so that its reason survives a long output.
    const reason = `${run.stdout}${run.stderr}`.trim().split('\n').slice(-8).join('\n');
    throw new Error(`${name} ${args.slice(0, 4).join(' ')} failed (exit ${run.status}):\n${reason}`);
  }
  return run.stdout;
}
