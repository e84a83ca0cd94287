/** Resident memory per process, from /proc (Linux), and the disk a folder takes. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * A process's resident set size in MiB, or undefined when it is gone. `anon` counts only its
 * own memory (RssAnon: heap, stacks), leaving out the files it has mapped into memory, whose
 * pages the kernel can drop and read again (Badger maps its tables and logs so).
 */
export function rssMiB(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) / 1024;
}

/** The resident memory of every named process at one moment, in MiB (RssAnon alone with field 'RssAnon'). */
export function rssOf(pids: Record<string, number>, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): Record<string, number> {
  const sample: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const rss = rssMiB(pid, field);
    if (rss !== undefined) sample[name] = rss;
  }
  return sample;
}

/**
 * The disk a folder's files take, in MiB: their allocated blocks, as `du` counts them, so a
 * file that is reserved but not yet written (Badger's value log) counts what it uses.
 * 0 when the folder does not exist.
 */
export function diskMiB(dir: string): number {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let bytes = 0;
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += diskMiB(file) * 1024 * 1024;
    else if (entry.isFile()) bytes += statSync(file).blocks * 512;
  }
  return bytes / 1024 / 1024;
}
