import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, TestContext } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { ProcessGroup, ProcessSpec, tethered } from '../../topology/processes';

function group(t: TestContext, reports: string[] = []): ProcessGroup {
  const g = new ProcessGroup(mkdtempSync(path.join(os.tmpdir(), 'process-group-')), (report) => reports.push(report));
  t.after(() => g.stopAll(1000));
  return g;
}

/** A node process that prints a line and then waits. */
const sleeper = (name: string, extra: Partial<ProcessSpec> = {}): ProcessSpec => ({
  name,
  command: process.execPath,
  args: ['-e', `console.log('${name} is up'); setInterval(() => {}, 1000)`],
  ready: async () => {},
  readyTimeoutMs: 5_000,
  ...extra,
});

test('reports a process that dies while running: its name, its signal and the end of its log', async (t) => {
  const reports: string[] = [];
  const g = group(t, reports);
  const running = await g.start(sleeper('service1'));
  await pollUntil(() => assert.match(readFileSync(running.logFile, 'utf8'), /service1 is up/), 'the first log line');
  running.child.kill('SIGKILL');
  await pollUntil(() => assert.equal(reports.length, 1), 'the report');
  const lines = reports[0].split('\n');
  assert.equal(lines[0], `service1 exited unexpectedly (signal SIGKILL); the end of its log (${running.logFile}):`);
  assert.equal(lines[1], 'service1 is up');
});

test('reports an exit code too', async (t) => {
  const reports: string[] = [];
  const g = group(t, reports);
  await g.start({ ...sleeper('jaeger'), args: ['-e', 'setTimeout(() => process.exit(3), 200)'] });
  await pollUntil(() => assert.equal(reports.length, 1), 'the report');
  assert.match(reports[0], /^jaeger exited unexpectedly \(exit code 3\)/);
});

test('says nothing of a process it was asked to stop', async (t) => {
  const reports: string[] = [];
  const g = group(t, reports);
  await g.start(sleeper('service2'));
  await g.stop('service2', { signal: 'SIGTERM' });
  await g.start(sleeper('service2'));
  await g.stopAll(1000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(reports, []);
});

test('is not ready while another program answers on its address', async (t) => {
  // The test process holds the port and would answer any readiness check; the child never listens.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const g = group(t);
  await assert.rejects(
    g.start(sleeper('front-envoy', { listens: [{ owner: 'front-envoy admin', host: '127.0.0.1', port, protocol: 'tcp' }], readyTimeoutMs: 600 })),
    new RegExp(`127\\.0\\.0\\.1:${port} \\(front-envoy admin\\) is not held by front-envoy \\(pid \\d+\\)`),
  );
});

test('is ready once the process itself listens on its address', async (t) => {
  const g = group(t);
  const script = `require('node:net').createServer().listen(0, '127.0.0.1', function () { require('node:fs').writeFileSync(process.argv[1], String(this.address().port)); })`;
  const portFile = path.join(g.logDir, 'port');
  // The port is only known once the child listens, so the spec reads it lazily.
  const listen = { owner: 'service1', host: '127.0.0.1', port: 0, protocol: 'tcp' as const };
  const running = await g.start({
    name: 'service1',
    command: process.execPath,
    args: ['-e', script, portFile],
    listens: [listen],
    ready: async () => {
      listen.port = Number(readFileSync(portFile, 'utf8'));
    },
    readyTimeoutMs: 5_000,
  });
  assert.ok(listen.port > 0);
  assert.equal(running.child.exitCode, null);
});

test('reports a process that dies while its last readiness check runs', async (t) => {
  const reports: string[] = [];
  const g = group(t, reports);
  // The check starts while the process runs and passes after it has exited.
  await g.start({
    ...sleeper('service1'),
    args: ['-e', 'setTimeout(() => process.exit(4), 200)'],
    ready: () => new Promise((resolve) => setTimeout(resolve, 800)),
  });
  await pollUntil(() => assert.equal(reports.length, 1), 'the report');
  assert.match(reports[0], /^service1 exited unexpectedly \(exit code 4\)/);
});

/** A node process that runs the script and then waits. */
const running = (name: string, script: string, extra: Partial<ProcessSpec> = {}): ProcessSpec => sleeper(name, { args: ['-e', `${script}; setInterval(() => {}, 1000)`], ...extra });

test('knows what it runs by name, and refuses to start a name twice', async (t) => {
  const g = group(t);
  const first = await g.start(sleeper('service1'));
  await g.start(sleeper('service2'));
  assert.deepEqual(g.names(), ['service1', 'service2']);
  assert.equal(g.get('service1'), first);
  assert.equal(g.get('jaeger'), undefined);
  await assert.rejects(g.start(sleeper('service1')), { message: 'service1 is already running' });
  await g.stop('service1');
  assert.deepEqual(g.names(), ['service2']);
  await g.stop('no-such-process');
});

test('begins a log anew on the first start, and appends to it on a restart', async (t) => {
  const g = group(t);
  const log = path.join(g.logDir, 'service1.log');
  writeFileSync(log, 'a line from an earlier run\n');
  await g.start(sleeper('service1'));
  await pollUntil(() => assert.equal(readFileSync(log, 'utf8'), 'service1 is up\n'), 'the first line');
  await g.stop('service1');
  await g.start(sleeper('service1'));
  await pollUntil(() => assert.equal(readFileSync(log, 'utf8'), 'service1 is up\nservice1 is up\n'), 'the second line');
});

test("puts a process's files in order before every start, a restart included, and before the process runs", async (t) => {
  const g = group(t);
  const marker = path.join(g.logDir, 'prepared');
  let calls = 0;
  const spec = sleeper('jaeger', {
    // The process sees the file the hook wrote: the hook ran first.
    args: ['-e', `console.log(require('node:fs').readFileSync(${JSON.stringify(marker)}, 'utf8')); setInterval(() => {}, 1000)`],
    beforeStart: () => writeFileSync(marker, `prepared ${++calls}`),
  });
  const log = path.join(g.logDir, 'jaeger.log');
  await g.start(spec);
  await pollUntil(() => assert.equal(readFileSync(log, 'utf8'), 'prepared 1\n'), 'the first start saw the hook');
  await g.stop('jaeger');
  await g.start(spec);
  assert.equal(calls, 2);
  await pollUntil(() => assert.equal(readFileSync(log, 'utf8'), 'prepared 1\nprepared 2\n'), 'both starts saw the hook');
});

test('gives a process PATH, HOME and its own variables, and nothing else of this one', async (t) => {
  process.env.PROCESS_GROUP_TEST_SECRET = 'not for children';
  t.after(() => delete process.env.PROCESS_GROUP_TEST_SECRET);
  const g = group(t);
  const r = await g.start(running('service1', 'console.log(JSON.stringify(process.env))', { env: { SERVICE_NAME: '1' } }));
  const env = await pollUntil(() => JSON.parse(readFileSync(r.logFile, 'utf8')) as Record<string, string>, 'the environment');
  assert.equal(env.PATH, process.env.PATH);
  assert.equal(env.HOME, process.env.HOME);
  assert.equal(env.SERVICE_NAME, '1');
  assert.equal(env.PROCESS_GROUP_TEST_SECRET, undefined);
});

test('runs each process in a process group of its own, tethered to this one', async (t) => {
  const g = group(t);
  const r = await g.start(sleeper('service1'));
  // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; the command has no spaces here.
  const fields = readFileSync(`/proc/${r.child.pid}/stat`, 'utf8').split(' ');
  assert.equal(fields[4], String(r.child.pid), 'its own process group');
  assert.notEqual(fields[4], readFileSync('/proc/self/stat', 'utf8').split(' ')[4]);
  assert.deepEqual(tethered('envoy', ['-c', 'x.yaml']), ['/usr/bin/setpriv', ['--pdeathsig', 'SIGKILL', '--', 'envoy', '-c', 'x.yaml']]);
});

test('keeps no file open for a log once the process has started', async (t) => {
  const g = group(t);
  const openLogs = () => readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(g.logDir);
    } catch {
      return false;
    }
  });
  await g.start(sleeper('service1'));
  assert.deepEqual(openLogs(), []);
});

test('says why a process could not start at all', async (t) => {
  const g = group(t);
  const notYet = async () => Promise.reject(new Error('not yet'));
  await assert.rejects(g.start(sleeper('service1', { cwd: path.join(g.logDir, 'no-such-folder'), ready: notYet })), (err: Error) => {
    assert.match(err.message, /^service1 could not start: spawn \S+ ENOENT$/);
    return true;
  });
  await g.stopAll(1000); // and a process that never ran stops at once
  assert.deepEqual(g.names(), []);
});

test('says, at once and with its log, that a process exited before it was ready', async (t) => {
  const reports: string[] = [];
  const g = group(t, reports);
  let checks = 0;
  const failing = sleeper('service2', {
    args: ['-e', "console.log('bad config'); process.exit(5)"],
    ready: async () => {
      checks++;
      throw new Error('not yet');
    },
    readyTimeoutMs: 60_000,
  });
  await assert.rejects(g.start(failing), { message: 'service2 exited (5) before it was ready:\nbad config' });
  assert.ok(checks < 100, `gave up at once, not after ${checks} checks`);
  assert.deepEqual(reports, [], 'a process that never was ready is no unexpected exit');
});

test('gives up after the readiness timeout, naming the process, its log and the last error', async (t) => {
  const g = group(t);
  const never = sleeper('service1', { ready: async () => Promise.reject(new Error('connection refused')), readyTimeoutMs: 300 });
  await assert.rejects(g.start(never), {
    message: `timed out after 300 ms waiting for service1 to be ready (log: ${path.join(g.logDir, 'service1.log')}); last error: connection refused`,
  });
});

test('stops with SIGTERM, and with SIGKILL what still runs after the grace time', async (t) => {
  const g = group(t);
  const polite = await g.start(running('service1', "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); }); console.log('up')"));
  await pollUntil(() => assert.match(readFileSync(polite.logFile, 'utf8'), /up/), 'the handler');
  await g.stop('service1');
  assert.equal(polite.child.exitCode, 0);
  assert.match(readFileSync(polite.logFile, 'utf8'), /got SIGTERM/);
  const stubborn = await g.start(running('service2', "process.on('SIGTERM', () => console.log('ignored')); console.log('up')"));
  await pollUntil(() => assert.match(readFileSync(stubborn.logFile, 'utf8'), /up/), 'the handler');
  await g.stop('service2', { graceMs: 300 });
  assert.equal(stubborn.child.signalCode, 'SIGKILL');
});

test('reports a process that dies after it was stopped once and started again', async (t) => {
  const reports: string[] = [];
  const g = group(t, reports);
  await g.start(sleeper('service1'));
  await g.stop('service1');
  const again = await g.start(sleeper('service1'));
  again.child.kill('SIGKILL');
  await pollUntil(() => assert.equal(reports.length, 1), 'the report');
});

test("stops everything newest first, and then no longer listens for this process's exit", async (t) => {
  const before = process.listenerCount('exit');
  const g = group(t);
  assert.equal(process.listenerCount('exit'), before + 1);
  const order = path.join(g.logDir, 'order');
  const recordsStop = (name: string) => running(name, `process.on('SIGTERM', () => { require('node:fs').appendFileSync(${JSON.stringify(order)}, '${name} '); process.exit(0); }); console.log('up')`);
  for (const name of ['jaeger', 'service2', 'front-envoy']) {
    const r = await g.start(recordsStop(name));
    await pollUntil(() => assert.match(readFileSync(r.logFile, 'utf8'), /up/), `${name}'s handler`);
  }
  await g.stopAll(5_000);
  assert.equal(readFileSync(order, 'utf8'), 'front-envoy service2 jaeger ');
  assert.equal(process.listenerCount('exit'), before);
});

test("kills what still runs when this process exits", async (t) => {
  const g = group(t);
  const r = await g.start(sleeper('service1'));
  const onExit = process.listeners('exit').at(-1) as (code: number) => void;
  onExit(0);
  await r.exited;
  assert.equal(r.child.signalCode, 'SIGKILL');
});

test('the last lines of every log, for a failure report', async (t) => {
  const g = group(t);
  const one = await g.start(running('service1', "console.log('a\\nb\\nc')"));
  const two = await g.start(running('service2', "console.log('x')"));
  await pollUntil(() => assert.match(readFileSync(one.logFile, 'utf8'), /c/), 'the lines');
  await pollUntil(() => assert.match(readFileSync(two.logFile, 'utf8'), /x/), 'the line');
  assert.equal(g.tails(2), `--- service1 (${one.logFile})\nb\nc\n--- service2 (${two.logFile})\nx`);
});

test('says that a process was killed by a signal before it was ready', async (t) => {
  const g = group(t);
  const killed = sleeper('service2', {
    args: ['-e', "console.log('going'); process.kill(process.pid, 'SIGKILL')"],
    ready: async () => Promise.reject(new Error('not yet')),
    readyTimeoutMs: 60_000,
  });
  await assert.rejects(g.start(killed), { message: 'service2 exited (SIGKILL) before it was ready:\ngoing' });
});

test('reports a process killed by a signal while its last readiness check runs', async (t) => {
  const reports: string[] = [];
  const g = group(t, reports);
  await g.start({
    ...sleeper('service1'),
    args: ['-e', "setTimeout(() => process.kill(process.pid, 'SIGKILL'), 100)"],
    ready: () => new Promise((resolve) => setTimeout(resolve, 400)),
  });
  await pollUntil(() => assert.equal(reports.length, 1), 'the report');
  assert.match(reports[0], /^service1 exited unexpectedly \(signal SIGKILL\)/);
});

test('stopAll gives each process the grace it is given, then kills it', { timeout: 5_000 }, async (t) => {
  const g = group(t);
  const stubborn = await g.start(running('service1', "process.on('SIGTERM', () => console.log('ignored')); console.log('up')"));
  await pollUntil(() => assert.match(readFileSync(stubborn.logFile, 'utf8'), /up/), 'the handler');
  await g.stopAll(300);
  assert.equal(stubborn.child.signalCode, 'SIGKILL');
});

test('without a reporter of its own, a group reports an unexpected exit on stderr', async (t) => {
  const printed: string[] = [];
  t.mock.method(console, 'error', (line: string) => printed.push(line));
  const g = new ProcessGroup(mkdtempSync(path.join(os.tmpdir(), 'process-group-')));
  t.after(() => g.stopAll(1000));
  const r = await g.start(sleeper('jaeger'));
  r.child.kill('SIGKILL');
  await pollUntil(() => assert.equal(printed.length, 1), 'the report');
  assert.match(printed[0], /^jaeger exited unexpectedly \(signal SIGKILL\)/);
});
