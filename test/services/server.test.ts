import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { promises as dns } from 'node:dns';
import os from 'node:os';
import path from 'node:path';
import { test, TestContext } from 'node:test';
import fetch from 'node-fetch';
import { pollUntil } from '../../lib/poll';
import { startProcess, Started } from '../process';
import { ConfigError } from '../../services/config';
import { Service, startService } from '../../services/server';
import { recordingDownstream } from './helpers';

const SERVER = path.join(__dirname, '..', '..', 'services', 'server.js');
/** As start-service.sh runs it: the OpenTelemetry SDK, when TRACER asks for it, starts before the app. */
const SERVER_ARGS = ['--require', path.join(__dirname, '..', '..', 'services', 'instrumentation.js'), SERVER];

interface Running extends Started {
  base: string;
}

/** Starts the compiled service as its own process; it is killed when the test ends, pass or fail. */
async function startServer(t: TestContext, env: Record<string, string>): Promise<Running> {
  const started = startProcess(t, process.execPath, SERVER_ARGS, {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      JAEGER_SAMPLER_MANAGER_HOST_PORT: '127.0.0.1:1',
      // Under `npm run mutate`, the mutant under test is switched on in this process too.
      ...(process.env.__STRYKER_ACTIVE_MUTANT__ ? { __STRYKER_ACTIVE_MUTANT__: process.env.__STRYKER_ACTIVE_MUTANT__ } : {}),
      ...env,
    },
  });
  const port = await pollUntil(
    () => {
      const match = /listening on [\d.]+:(\d+)/.exec(started.output());
      if (!match) throw new Error(started.output() || 'no output yet');
      return match[1];
    },
    'the service to listen',
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  return { ...started, base: `http://127.0.0.1:${port}` };
}

/** A UDP socket standing in for the agent port, counting what the reporter sends. */
async function udpSink(t: TestContext): Promise<{ port: number; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (msg) => received.push(msg));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  t.after(() => socket.close());
  return { port: socket.address().port, received };
}

test('stops start-up with one line naming a bad variable', async (t) => {
  const started = startProcess(t, process.execPath, SERVER_ARGS, { env: { PATH: process.env.PATH, SERVICE_NAME: '1', PORT: 'eighty' } });
  assert.equal(await started.exited, 2);
  assert.equal(started.stderr(), 'configuration error: PORT must be a whole number, got "eighty"\n');
});

test('keeps answering when Jaeger is unreachable', async (t) => {
  const server = await startServer(t, {
    SERVICE_NAME: '2',
    JAEGER_AGENT_HOST: '127.0.0.1',
    JAEGER_AGENT_PORT: '9',
    JAEGER_REPORTER_FLUSH_INTERVAL: '10',
    JAEGER_SAMPLER_REFRESH_INTERVAL: '100',
  });
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${server.base}/trace/2`);
    assert.equal(res.status, 200);
    await res.text();
  }
  assert.equal(server.child.exitCode, null, 'the process is still running');
});

test('serves without a trace id and shuts down cleanly when JAEGER_DISABLED=true', async (t) => {
  const downstream = await recordingDownstream(t);
  const server = await startServer(t, { SERVICE_NAME: '1', DOWNSTREAM_URL: downstream.url, JAEGER_DISABLED: 'true' });
  const res = await fetch(`${server.base}/trace/1`, { headers: { 'x-request-id': 'rid' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-trace-id'), null);
  assert.equal(downstream.requests[0]['x-request-id'], 'rid', 'request-scoped headers still travel');
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0, server.output());
  assert.match(server.output(), /service1: spans flushed, bye/, 'it left through the shutdown path, not an emptied event loop');
});

/** Milliseconds from SIGTERM to the process's exit. */
async function timeToExit(server: Running): Promise<{ ms: number; code: number | null }> {
  const started = performance.now();
  server.child.kill('SIGTERM');
  const code = await server.exited;
  return { ms: performance.now() - started, code };
}

test('on SIGTERM closes idle keep-alive connections instead of waiting out their timeout', { timeout: 30_000 }, async (t) => {
  const server = await startServer(t, { SERVICE_NAME: '2', JAEGER_DISABLED: 'true', KEEP_ALIVE_TIMEOUT_MS: '60000' });
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const res = await fetch(`${server.base}/trace/2`, { agent });
  assert.equal(res.status, 200);
  await res.text();
  // The connection now idles in the agent; left alone, the server would wait 60 s for it.
  const { ms, code } = await timeToExit(server);
  assert.equal(code, 0, server.output());
  assert.ok(ms < 20_000, `exited ${ms.toFixed(0)} ms after SIGTERM`);
});

test('on SIGTERM gives up on a request that never finishes once SHUTDOWN_TIMEOUT_MS has passed', { timeout: 30_000 }, async (t) => {
  const downstream = await recordingDownstream(t, () => {});
  const server = await startServer(t, {
    SERVICE_NAME: '1',
    DOWNSTREAM_URL: downstream.url,
    DOWNSTREAM_TIMEOUT_MS: '120000',
    SHUTDOWN_TIMEOUT_MS: '300',
    JAEGER_DISABLED: 'true',
  });
  const hanging = fetch(`${server.base}/trace/1`).catch((err: Error) => err);
  await pollUntil(() => assert.equal(downstream.requests.length, 1), 'the request to reach the downstream');
  const { ms, code } = await timeToExit(server);
  assert.equal(code, 0, server.output());
  assert.match(server.output(), /service1: in-flight requests still open after 300 ms, closing them/);
  assert.ok(ms < 20_000, `exited ${ms.toFixed(0)} ms after SIGTERM, not when the 120 s downstream timeout ran out`);
  assert.ok((await hanging) instanceof Error, 'the hanging request was cut off');
});

test('on SIGTERM finishes the in-flight request, flushes its spans and exits 0', async (t) => {
  const agent = await udpSink(t);
  const downstream = await recordingDownstream(t, (res) => setTimeout(() => res.end('ok'), 400));
  const server = await startServer(t, {
    SERVICE_NAME: '1',
    DOWNSTREAM_URL: downstream.url,
    JAEGER_SAMPLER_TYPE: 'const',
    JAEGER_SAMPLER_PARAM: '1',
    JAEGER_AGENT_HOST: '127.0.0.1',
    JAEGER_AGENT_PORT: String(agent.port),
    // Longer than the test: only the flush on shutdown can deliver the spans.
    JAEGER_REPORTER_FLUSH_INTERVAL: '60000',
  });
  const inFlight = fetch(`${server.base}/trace/1`);
  await pollUntil(() => assert.equal(downstream.requests.length, 1), 'the request to reach the downstream');
  server.child.kill('SIGTERM');
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.match(await res.text(), /service 1/);
  assert.equal(await server.exited, 0, server.output());
  const sent = Buffer.concat(agent.received).toString('latin1');
  assert.ok(sent.includes('GET /trace/:n') && sent.includes('call downstream'), 'both spans reached the agent port');
  // Thrift binary (0x8001), which Jaeger takes on 6832; its 6831 expects compact (0x82) and drops these.
  assert.deepEqual([...agent.received[0].subarray(0, 2)], [0x80, 0x01]);
  await assert.rejects(fetch(`${server.base}/trace/1`), /ECONNREFUSED/);
});

test('keeps an idle keep-alive connection for KEEP_ALIVE_TIMEOUT_MS, says so in Keep-Alive, then closes it', { timeout: 30_000 }, async (t) => {
  const server = await startServer(t, { SERVICE_NAME: '2', JAEGER_DISABLED: 'true', KEEP_ALIVE_TIMEOUT_MS: '6000' });
  const socket = net.connect(Number(new URL(server.base).port), '127.0.0.1');
  t.after(() => socket.destroy());
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  const closed = once(socket, 'close').then(() => performance.now());
  socket.write('GET /healthz HTTP/1.1\r\nHost: service2\r\n\r\n');
  await pollUntil(() => assert.match(answer, /\r\n\r\nok\n$/), 'the answer');
  const answered = performance.now();
  assert.match(answer, /^keep-alive: timeout=6\r$/im);
  // Node's own default would have closed it after 5 s.
  await new Promise((resolve) => setTimeout(resolve, 5500));
  assert.equal(socket.destroyed, false, 'still open after 5.5 s');
  const idleMs = (await closed) - answered;
  assert.ok(idleMs < 15_000, `closed after ${idleMs.toFixed(0)} ms idle`);
});

/** The service started in this process, as the entry point starts it; shut down when the test ends. */
async function startInProcess(t: TestContext, env: Record<string, string>): Promise<{ service: Service; logged: string[] }> {
  const logged: string[] = [];
  t.mock.method(console, 'log', (line: string) => logged.push(line));
  const service = await startService({ HOST: '127.0.0.1', PORT: '0', JAEGER_SAMPLER_MANAGER_HOST_PORT: '127.0.0.1:1', ...env });
  t.after(() => service.shutdown('test end'));
  return { service, logged };
}

test('startService listens where the config says, with its keep-alive timeout, and says what it is', async (t) => {
  const { service, logged } = await startInProcess(t, { SERVICE_NAME: '2', KEEP_ALIVE_TIMEOUT_MS: '7000', JAEGER_DISABLED: 'true' });
  const { address, port } = service.server.address() as net.AddressInfo;
  assert.equal(address, '127.0.0.1');
  assert.equal(service.server.keepAliveTimeout, 7000);
  assert.equal(logged[0], `service2 listening on 127.0.0.1:${port} (leaf, jaeger headers)`);
  const res = await fetch(`http://127.0.0.1:${port}/trace/2`);
  assert.equal(res.status, 200);
  // The address its own host name resolves to, as the original sandbox's services said.
  const resolved = (await dns.lookup(os.hostname())).address;
  assert.equal(await res.text(), `Hello from behind Envoy (service 2)! hostname: ${os.hostname()} resolvedhostname: ${resolved}\n`);
});

test('startService names its downstream and header format, and its shutdown closes the server', async (t) => {
  const { service, logged } = await startInProcess(t, {
    SERVICE_NAME: '1',
    DOWNSTREAM_URL: 'http://127.0.0.1:1/trace/2',
    TRACE_PROPAGATION: 'b3',
    JAEGER_DISABLED: 'true',
  });
  const { port } = service.server.address() as net.AddressInfo;
  assert.equal(logged[0], `service1 listening on 127.0.0.1:${port} (downstream http://127.0.0.1:1/trace/2, b3 headers)`);
  await service.shutdown('SIGTERM');
  assert.equal(service.server.listening, false);
  assert.ok(logged.includes('service1: spans flushed, bye'), logged.join('\n'));
});

test('startService rejects a bad variable with the configuration error', async () => {
  await assert.rejects(startService({ SERVICE_NAME: '1', PORT: 'eighty' }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, 'PORT must be a whole number, got "eighty"');
    return true;
  });
});

test('startService rejects a taken address in one line that names the service and the address', async (t) => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => holder.close());
  const { port } = holder.address() as net.AddressInfo;
  await assert.rejects(startService({ SERVICE_NAME: '1', HOST: '127.0.0.1', PORT: String(port), JAEGER_DISABLED: 'true' }), {
    message: `service1 cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
  });
});
