/** CPU time per process, from /proc (Linux), to see which process saturates. */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux architecture

/** Seconds of CPU (user + system) a process has used, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Measures what share of one core each process used between start() and stop(). */
export function cpuMeter(pids: Record<string, number>) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid) ?? 0]));
  const self = process.cpuUsage();
  const started = performance.now();
  return {
    /** Percent of one core per process, and for this process (the load generator). */
    stop(): Record<string, number> {
      const elapsedS = (performance.now() - started) / 1000;
      const result: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) {
        result[name] = (((cpuSeconds(pid) ?? before[name]) - before[name]) / elapsedS) * 100;
      }
      const used = process.cpuUsage(self);
      result['load generator'] = ((used.user + used.system) / 1e6 / elapsedS) * 100;
      return result;
    },
  };
}

/** Datagrams the kernel dropped on loopback UDP sockets bound to these ports (receive buffer full). */
export function udpDrops(ports: number[]): Record<number, number> {
  const drops: Record<number, number> = Object.fromEntries(ports.map((p) => [p, 0]));
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13) continue;
      const port = parseInt(cols[1].split(':')[1], 16);
      if (port in drops) drops[port] += Number(cols[cols.length - 1]);
    }
  }
  return drops;
}
