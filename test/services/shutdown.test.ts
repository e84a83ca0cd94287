import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, TestContext } from 'node:test';
import fetch from 'node-fetch';
import { pollUntil } from '../../lib/poll';
import { gracefulShutdown } from '../../services/shutdown';

interface Harness {
  server: http.Server;
  base: string;
  events: string[];
  shutdown: (signal: string) => Promise<void>;
}

async function harness(t: TestContext, handler: http.RequestListener, timeoutMs = 10_000): Promise<Harness> {
  const events: string[] = [];
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('close', () => events.push('server closed'));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const tracing = { close: (done: () => void) => setImmediate(() => (events.push('tracer closed'), done())) };
  const shutdown = gracefulShutdown({
    server,
    tracing,
    name: 'service9',
    timeoutMs,
    log: (line) => events.push(line),
    warn: (line) => events.push(`warn: ${line}`),
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, events, shutdown };
}

test('lets an in-flight request finish, then closes the server, then the tracer', async (t) => {
  let answer: (() => void) | undefined;
  const h = await harness(t, (_req, res) => {
    answer = () => res.end('done');
  });
  const inFlight = fetch(`${h.base}/`);
  await pollUntil(() => assert.ok(answer), 'the request to arrive');
  const stopped = h.shutdown('SIGTERM');
  await assert.rejects(fetch(`${h.base}/`), /ECONNREFUSED/, 'no new connections');
  answer!();
  assert.equal(await (await inFlight).text(), 'done');
  await stopped;
  assert.deepEqual(h.events, ['service9: SIGTERM, finishing in-flight requests', 'server closed', 'tracer closed', 'service9: spans flushed, bye']);
});

test('closes keep-alive connections as their last answer is sent, instead of waiting out their 60 s timeout', { timeout: 20_000 }, async (t) => {
  // Node's close() ends connections idle at that moment; one whose request is in flight gets its
  // answer with keep-alive and would stay open until the deadline without the sweep.
  let answer: (() => void) | undefined;
  const h = await harness(t, (req, res) => (req.url === '/slow' ? (answer = () => res.end('late')) : res.end('ok')), 60_000);
  const idleAgent = new http.Agent({ keepAlive: true });
  const busyAgent = new http.Agent({ keepAlive: true });
  t.after(() => (idleAgent.destroy(), busyAgent.destroy()));
  await (await fetch(`${h.base}/`, { agent: idleAgent })).text();
  const [idle] = Object.values(idleAgent.freeSockets).flat();
  assert.ok(idle, 'the connection idles in the agent');
  const slow = fetch(`${h.base}/slow`, { agent: busyAgent });
  await pollUntil(() => assert.ok(answer), 'the slow request to arrive');
  const [busy] = Object.values(busyAgent.sockets).flat();
  assert.ok(busy, 'the slow request holds a connection');
  const stopped = h.shutdown('SIGTERM');
  answer!();
  const res = await slow;
  assert.equal(res.headers.get('connection'), 'keep-alive', 'the answer itself keeps the connection');
  assert.equal(await res.text(), 'late');
  await stopped;
  // The agents keep idle sockets unreferenced: poll, so the event loop stays up to see them closed.
  await pollUntil(() => assert.ok(idle!.destroyed && busy!.destroyed), 'the server to close both connections', { timeoutMs: 5_000, intervalMs: 20 });
  assert.deepEqual(h.events, ['service9: SIGTERM, finishing in-flight requests', 'server closed', 'tracer closed', 'service9: spans flushed, bye'], 'closed by the sweep, not the deadline');
});

test('closes the connections of requests that outlive the deadline, and says so', { timeout: 20_000 }, async (t) => {
  const h = await harness(t, () => {}, 100);
  const hanging = fetch(`${h.base}/`).catch((err: Error) => err);
  await pollUntil(() => assert.equal(h.server.listenerCount('request'), 1), 'the server to run');
  await new Promise((resolve) => setTimeout(resolve, 50));
  await h.shutdown('SIGINT');
  assert.ok((await hanging) instanceof Error, 'the hanging request was cut off');
  assert.deepEqual(h.events.slice(0, 2), ['service9: SIGINT, finishing in-flight requests', 'warn: service9: in-flight requests still open after 100 ms, closing them']);
  assert.equal(h.events.at(-1), 'service9: spans flushed, bye');
});

test('shuts down once, whatever the number of signals', async (t) => {
  const h = await harness(t, (_req, res) => res.end('ok'));
  const first = h.shutdown('SIGTERM');
  const second = h.shutdown('SIGINT');
  assert.equal(first, second);
  await first;
  assert.equal(h.events.filter((e) => e.includes('finishing in-flight')).length, 1);
  assert.equal(h.events.filter((e) => e === 'tracer closed').length, 1);
});

test('does not warn when everything finished before the deadline', async (t) => {
  const h = await harness(t, (_req, res) => res.end('ok'), 200);
  await h.shutdown('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(h.events.some((e) => e.startsWith('warn:')), false, h.events.join('\n'));
});
