import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, TestContext } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { ProcessGroup, ProcessSpec } from '../../topology/processes';

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
