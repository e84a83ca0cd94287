/**
 * The service container's entry point (start-service.sh), with a stand-in for
 * Envoy: a process that records how it was started and stops on SIGTERM.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, TestContext } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { startProcess } from '../process';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function fakeEnvoy(dir: string): void {
  const script = `#!${process.execPath}
const fs = require('node:fs');
const dir = ${JSON.stringify(dir)};
const config = process.argv[process.argv.indexOf('-c') + 1];
fs.writeFileSync(dir + '/envoy-config.yaml', fs.readFileSync(config));
fs.writeFileSync(dir + '/envoy-args', process.argv.slice(2).join(' '));
fs.writeFileSync(dir + '/envoy-pid', String(process.pid));
// On SIGTERM, note whether the service (a sibling process) is still running.
const siblingApp = () => fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).some((p) => {
  try {
    const cmd = fs.readFileSync('/proc/' + p + '/cmdline', 'utf8');
    const ppid = fs.readFileSync('/proc/' + p + '/stat', 'utf8').split(') ')[1].split(' ')[1];
    return cmd.includes('services/server.js') && Number(ppid) === process.ppid;
  } catch { return false; }
});
// When the service was last seen, so the stand-in can say how long it outlived it.
let lastSeen = Date.now();
setInterval(() => { if (siblingApp()) lastSeen = Date.now(); }, 20);
process.on('SIGTERM', () => {
  fs.writeFileSync(dir + '/envoy-stopped', siblingApp() ? 'service still running' : 'service gone');
  fs.writeFileSync(dir + '/envoy-outlived-ms', String(Date.now() - lastSeen));
  process.exit(0);
});
`;
  writeFileSync(path.join(dir, 'envoy'), script);
  chmodSync(path.join(dir, 'envoy'), 0o755);
}

/** Starts the script; a variable given as undefined is left out of its environment. */
async function startContainer(t: TestContext, env: Record<string, string | undefined>, args: string[] = []) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'start-service-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  fakeEnvoy(dir);
  const all: Record<string, string | undefined> = {
    PATH: `${dir}:${process.env.PATH}`,
    ENVOY_TEMPLATE: path.join(ROOT, 'service-envoy-jaeger.yaml'),
    PORT: '0',
    JAEGER_SAMPLER_MANAGER_HOST_PORT: '127.0.0.1:9',
    SPAN_FLUSH_SECONDS: '1',
    ...env,
  };
  const started = startProcess(t, 'bash', [path.join(ROOT, 'start-service.sh'), ...args], {
    cwd: ROOT,
    env: Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined)) as Record<string, string>,
  });
  return { dir, ...started };
}

/** SIGTERM to the container once its service listens; resolves to how long Envoy outlived the service. */
async function stopAndMeasureFlush(c: Awaited<ReturnType<typeof startContainer>>, service: string): Promise<number> {
  await pollUntil(() => assert.match(c.output(), new RegExp(`${service} listening on`)), 'the service to listen', { timeoutMs: 10_000 });
  await pollUntil(() => assert.ok(existsSync(path.join(c.dir, 'envoy-args'))), 'envoy to start');
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0, c.output());
  return Number(readFileSync(path.join(c.dir, 'envoy-outlived-ms'), 'utf8'));
}

test('renders the sidecar for its service and stops Envoy only after the service has finished', async (t) => {
  const c = await startContainer(t, { SERVICE_NAME: '2' });
  await pollUntil(() => assert.match(c.output(), /service2 listening on/), 'the service to listen', { timeoutMs: 10_000 });
  await pollUntil(() => assert.ok(existsSync(path.join(c.dir, 'envoy-args'))), 'envoy to start');
  const config = readFileSync(path.join(c.dir, 'envoy-config.yaml'), 'utf8');
  assert.match(config, /service_name: service2\n/);
  assert.match(config, /operation: "ingress service2"/);
  assert.doesNotMatch(config, /\$\{SERVICE_NAME\}/);
  assert.match(readFileSync(path.join(c.dir, 'envoy-args'), 'utf8'), /--service-cluster service2/);

  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0, c.output());
  assert.match(c.output(), /service2: spans flushed, bye/);
  assert.equal(readFileSync(path.join(c.dir, 'envoy-stopped'), 'utf8'), 'service gone', 'Envoy is stopped after the service exits');
  // SPAN_FLUSH_SECONDS=1: Envoy keeps running a second after the service, to send its last spans.
  const outlived = Number(readFileSync(path.join(c.dir, 'envoy-outlived-ms'), 'utf8'));
  assert.ok(outlived >= 900, `Envoy outlived the service by ${outlived} ms`);
});

test('exits when Envoy dies, and takes the service with it', async (t) => {
  const c = await startContainer(t, { SERVICE_NAME: '1' });
  await pollUntil(() => assert.match(c.output(), /service1 listening on/), 'the service to listen', { timeoutMs: 10_000 });
  await pollUntil(() => assert.ok(existsSync(path.join(c.dir, 'envoy-args'))), 'envoy to start');
  // Find the stand-in among the script's children and kill it hard.
  const children = readFileSync(`/proc/${c.child.pid}/task/${c.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const envoyPid = children.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(path.join(c.dir, 'envoy')));
  assert.ok(envoyPid, `the stand-in Envoy among ${children.join(', ')}`);
  process.kill(envoyPid, 'SIGKILL');
  const code = await c.exited;
  assert.notEqual(code, 0);
  assert.match(c.output(), /start-service: a process of service1 exited \(status 137\); stopping the container/);
});

test('refuses a SERVICE_NAME that is not a number, in one line', async (t) => {
  const c = await startContainer(t, { SERVICE_NAME: 'two' });
  assert.equal(await c.exited, 2);
  assert.equal(c.output(), "start-service: SERVICE_NAME must be the service number (1, 2), got 'two'\n");
});

test('without SPAN_FLUSH_SECONDS, keeps the sidecar two seconds after the service, two flushes of its tracer', async (t) => {
  const c = await startContainer(t, { SERVICE_NAME: '2', SPAN_FLUSH_SECONDS: undefined });
  const outlived = await stopAndMeasureFlush(c, 'service2');
  assert.ok(outlived >= 1900 && outlived < 4000, `Envoy outlived the service by ${outlived} ms, expected about 2000`);
});

test('`sidecar` runs only the rendered Envoy, as the container\'s own process, and it stops at SIGTERM', async (t) => {
  const c = await startContainer(t, { SERVICE_NAME: '1' }, ['sidecar']);
  await pollUntil(() => assert.ok(existsSync(path.join(c.dir, 'envoy-pid'))), 'envoy to start');
  // exec: the script became Envoy, so the kubelet's signals reach Envoy itself.
  assert.equal(Number(readFileSync(path.join(c.dir, 'envoy-pid'), 'utf8')), c.child.pid);
  assert.match(readFileSync(path.join(c.dir, 'envoy-config.yaml'), 'utf8'), /operation: "ingress service1"/);
  assert.match(readFileSync(path.join(c.dir, 'envoy-args'), 'utf8'), /--service-cluster service1/);
  assert.doesNotMatch(c.output(), /listening on/);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0, c.output());
});

test('`app` runs only the service, as the container\'s own process, and renders no Envoy config', async (t) => {
  const c = await startContainer(t, { SERVICE_NAME: '2' }, ['app']);
  await pollUntil(() => assert.match(c.output(), /service2 listening on/), 'the service to listen', { timeoutMs: 10_000 });
  assert.equal(existsSync(path.join(c.dir, 'envoy-args')), false);
  const cmdline = readFileSync(`/proc/${c.child.pid}/cmdline`, 'utf8').split('\0');
  // exec: the script became node, so the kubelet's SIGTERM reaches the service itself.
  assert.ok(path.basename(cmdline[0]) === 'node' && cmdline.includes('dist/services/server.js'), cmdline.join(' '));
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0, c.output());
});

test('refuses any other argument with one line and status 2, starting nothing', async (t) => {
  const c = await startContainer(t, { SERVICE_NAME: '1' }, ['envoy']);
  assert.equal(await c.exited, 2);
  assert.equal(c.output(), "start-service: the argument must be sidecar or app (none runs both), got 'envoy'\n");
  assert.equal(existsSync(path.join(c.dir, 'envoy-args')), false);
});
