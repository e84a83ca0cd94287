/**
 * The addresses the local topology listens on: whether one is free before
 * anything starts, which process holds it when it is not, and whether a given
 * process is the one listening. Linux's /proc answers the last two; where there
 * is no /proc they answer "unknown" and the harness goes by the bind test alone.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

export interface Listen {
  /** What listens there, for messages: "front-envoy admin". */
  owner: string;
  host: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

export const describeListen = (l: Listen) => `${l.host}:${l.port}${l.protocol === 'udp' ? '/udp' : ''} (${l.owner})`;

/** True when this process could bind the address now (and has let it go again). */
export function canBind({ host, port, protocol }: Listen): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const socket = createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, host, () => socket.close(() => resolve(true)));
      return;
    }
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** /proc/net/tcp's "0100007F:1F40" for 127.0.0.1:8000 (address bytes in host order, little-endian here). */
function procAddress(host: string, port: number): string {
  const bytes = host.split('.').map(Number).reverse();
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  return `${bytes.map((b) => hex(b, 2)).join('')}:${hex(port, 4)}`;
}

/** Socket inodes bound to the address: TCP in LISTEN state (0A), UDP bound (07). */
function socketInodes({ host, port, protocol }: Listen): Set<string> | undefined {
  let table: string;
  try {
    table = readFileSync(`/proc/net/${protocol}`, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = procAddress(host, port);
  const state = protocol === 'tcp' ? '0A' : '07';
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === wanted && fields[3] === state) inodes.add(fields[9]);
  }
  return inodes;
}

function socketsOf(pid: number | string): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/** Whether the process listens on the address; undefined where /proc cannot tell. */
export function listensOn(pid: number, listen: Listen): boolean | undefined {
  const inodes = socketInodes(listen);
  if (!inodes) return undefined;
  const own = socketsOf(pid);
  return [...inodes].some((inode) => own.has(inode));
}

/** "pid 1234: envoy -c .local/front-envoy.yaml", or undefined when /proc does not say. */
export function holderOf(listen: Listen): string | undefined {
  const inodes = socketInodes(listen);
  if (!inodes || inodes.size === 0) return undefined;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const own = socketsOf(pid);
    if (![...inodes].some((inode) => own.has(inode))) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      return `pid ${pid}: ${command.length > 160 ? `${command.slice(0, 160)}…` : command}`;
    } catch {
      return `pid ${pid}`;
    }
  }
  return undefined;
}

/** One line per address that is taken, with what probably holds it; empty when all are free. */
export async function takenListens(listens: Listen[]): Promise<string[]> {
  const taken: string[] = [];
  for (const listen of listens) {
    if (await canBind(listen)) continue;
    const holder = holderOf(listen) ?? 'a process this user cannot see (another `npm run local`, or `docker compose up` publishing the port?)';
    taken.push(`${describeListen(listen)} is in use, held by ${holder}`);
  }
  return taken;
}
