/** The end of a process's log, for a person reading a failure. */
import { readFileSync } from 'node:fs';

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
