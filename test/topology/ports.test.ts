import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, createServer, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test, TestContext } from 'node:test';
import { canBind, holderOf, Listen, listensOn, takenListens } from '../../topology/ports';
import { pollUntil } from '../../lib/poll';
import { startProcess } from '../process';

async function holdTcp(t: TestContext): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return (server.address() as AddressInfo).port;
}

async function holdUdp(t: TestContext): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => socket.close());
  return socket.address().port;
}

const tcp = (port: number, owner = 'test'): Listen => ({ owner, host: '127.0.0.1', port, protocol: 'tcp' });
const udp = (port: number, owner = 'test'): Listen => ({ owner, host: '127.0.0.1', port, protocol: 'udp' });

test('says which TCP and UDP addresses are taken, and by which process', async (t) => {
  const tcpPort = await holdTcp(t);
  const udpPort = await holdUdp(t);
  const taken = await takenListens([tcp(tcpPort, 'front-envoy admin'), udp(udpPort, 'jaeger thrift_binary')]);
  // The command line as the kernel keeps it: how this test process was started, path or bare name.
  const me = `held by pid ${process.pid}: ${readFileSync('/proc/self/cmdline', 'utf8').split('\0')[0]}`;
  assert.equal(taken.length, 2, taken.join('\n'));
  assert.ok(taken[0].startsWith(`127.0.0.1:${tcpPort} (front-envoy admin) is in use, ${me}`), taken[0]);
  assert.ok(taken[1].startsWith(`127.0.0.1:${udpPort}/udp (jaeger thrift_binary) is in use, ${me}`), taken[1]);
});

test('finds nothing taken once the addresses are free again', async (t) => {
  const port = await holdTcp(t);
  assert.equal(await canBind(tcp(port)), false);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const freed = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.deepEqual(await takenListens([tcp(freed), udp(freed)]), []);
});

test('tells whether a given process is the one listening', async (t) => {
  const port = await holdTcp(t);
  const udpPort = await holdUdp(t);
  assert.equal(listensOn(process.pid, tcp(port)), true);
  assert.equal(listensOn(process.pid, udp(udpPort)), true);
  assert.equal(listensOn(1, tcp(port)), false, 'pid 1 does not hold it');
  assert.equal(listensOn(process.pid, udp(port)), false, 'the TCP port is not a UDP one');
});

test('a TCP socket that is only connected does not count as listening', async (t) => {
  const port = await holdTcp(t);
  const client = await new Promise<Socket>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
  });
  t.after(() => client.destroy());
  const local = client.localPort!;
  assert.equal(listensOn(process.pid, tcp(local)), false, `the connection's own port ${local} is not listened on`);
  assert.equal(holderOf(tcp(local)), undefined);
});

test('closes its probe socket when a UDP address is taken', async (t) => {
  const port = await holdUdp(t);
  const udpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
  // Earlier tests' sockets close in the background: wait until only the one held here is open.
  await pollUntil(() => assert.equal(udpSockets(), 1), 'only the held socket', { timeoutMs: 2_000, intervalMs: 10 });
  assert.equal(await canBind(udp(port)), false);
  await pollUntil(() => assert.equal(udpSockets(), 1), 'the probe to close', { timeoutMs: 2_000, intervalMs: 10 });
});

test('names the holding process by its command line, cut at 160 characters', async (t) => {
  const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'holder-')), 'listen.js');
  writeFileSync(script, "require('node:net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port); });\n");
  const start = async (extra: string) => {
    const child = startProcess(t, process.execPath, [script, extra]);
    const port = await pollUntil(() => {
      const out = child.stdout().trim();
      if (!out) throw new Error('no port yet');
      return Number(out);
    }, 'the port');
    return { child, port };
  };
  const short = await start('marker');
  // startProcess runs it through setpriv, which becomes the command: the kernel keeps node's own arguments.
  assert.equal(holderOf(tcp(short.port)), `pid ${short.child.child.pid}: ${process.execPath} ${script} marker`);
  const long = await start('x'.repeat(300));
  const full = `${process.execPath} ${script} ${'x'.repeat(300)}`;
  assert.equal(holderOf(tcp(long.port)), `pid ${long.child.child.pid}: ${full.slice(0, 160)}…`);
  // Exactly 160 characters are shown whole.
  const fits = 'y'.repeat(160 - `${process.execPath} ${script} `.length);
  const exact = await start(fits);
  assert.equal(holderOf(tcp(exact.port)), `pid ${exact.child.child.pid}: ${process.execPath} ${script} ${fits}`);
});

// Two sockets on one address, as Envoy's workers open with SO_REUSEPORT. Node.js sets that
// option for TCP only from 22.12 and 23.1 on; SO_REUSEADDR on UDP does the same on every Node.js.
test('counts a process as listening when it shares the address with another (SO_REUSEADDR)', async (t) => {
  const script = "const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true }); s.bind(Number(process.argv[1]), '127.0.0.1', () => console.log('up'))";
  const mine = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => mine.bind(0, '127.0.0.1', resolve));
  t.after(() => mine.close());
  const port = mine.address().port;
  const other = startProcess(t, process.execPath, ['-e', script, String(port)]);
  await pollUntil(() => assert.equal(other.stdout().trim(), 'up'), 'the other listener');
  assert.equal(listensOn(process.pid, udp(port)), true);
  assert.equal(listensOn(other.child.pid!, udp(port)), true);
  assert.match(holderOf(udp(port)) ?? 'none', new RegExp(`^pid (${process.pid}|${other.child.pid}): `), 'either holder is named');
});
