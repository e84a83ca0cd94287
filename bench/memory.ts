/** Resident memory per process, from /proc (Linux). */
import { readFileSync } from 'node:fs';

/** A process's resident set size in MiB, or undefined when it is gone. */
export function rssMiB(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) / 1024;
}

/** The resident memory of every named process at one moment, in MiB. */
export function rssOf(pids: Record<string, number>): Record<string, number> {
  const sample: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const rss = rssMiB(pid);
    if (rss !== undefined) sample[name] = rss;
  }
  return sample;
}
