import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test, TestContext } from 'node:test';
import { canBind, Listen, listensOn, takenListens } from '../../topology/ports';

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
