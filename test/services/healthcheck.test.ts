import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { healthUrls, SIDECAR_ADMIN_PORT } from '../../services/healthcheck';

const ROOT = path.join(__dirname, '..', '..', '..');

test("asks the sidecar's admin page on the port every sidecar config gives it", () => {
  for (const file of ['service-envoy-jaeger.yaml', 'service-envoy-zipkin.yaml', 'service-envoy-otel.yaml']) {
    const admin = parse(readFileSync(path.join(ROOT, file), 'utf8')).admin.address.socket_address;
    assert.deepEqual([admin.address, admin.port_value], ['127.0.0.1', SIDECAR_ADMIN_PORT], file);
  }
  assert.equal(SIDECAR_ADMIN_PORT, 8001);
});

test("asks the service's /healthz where the service listens, 127.0.0.1:8080 unless HOST and PORT say otherwise", () => {
  assert.deepEqual(healthUrls({}), ['http://127.0.0.1:8001/ready', 'http://127.0.0.1:8080/healthz']);
  assert.deepEqual(healthUrls({ HOST: '10.0.0.5', PORT: '9090', ENVOY_ADMIN_PORT: '9901' }), ['http://127.0.0.1:8001/ready', 'http://10.0.0.5:9090/healthz']);
});

test('checks one part of the pod when asked: the sidecar, or the service; anything else is refused in one line', () => {
  assert.deepEqual(healthUrls({}, 'sidecar'), ['http://127.0.0.1:8001/ready']);
  assert.deepEqual(healthUrls({ PORT: '9090' }, 'app'), ['http://127.0.0.1:9090/healthz']);
  assert.throws(() => healthUrls({}, 'envoy'), { message: "the argument must be sidecar or app (none checks both), got 'envoy'" });
});

/** Listens on the address given, answering every request with the status given; closed when the test ends. */
async function answering(t: import('node:test').TestContext, port: number, status: () => number): Promise<number> {
  const server = http.createServer((_req, res) => {
    res.statusCode = status();
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`127.0.0.1:${port} is taken (${err.message}): stop what runs there, e.g. npm run local, and run the test again`)));
    server.listen(port, '127.0.0.1', resolve);
  });
  t.after(() => server.close());
  return (server.address() as AddressInfo).port;
}

const HEALTHCHECK = path.join(__dirname, '..', '..', 'services', 'healthcheck.js');

test('as the container runs it: exits 0 when both answer, and 1 with one line naming the one that does not', async (t) => {
  let serviceStatus = 200;
  await answering(t, SIDECAR_ADMIN_PORT, () => 200);
  const port = await answering(t, 0, () => serviceStatus);
  const run = () => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [HEALTHCHECK], {
        env: {
          PATH: process.env.PATH,
          HOST: '127.0.0.1',
          PORT: String(port),
          // Under `npm run mutate`, the mutant under test is switched on in the child too.
          ...(process.env.__STRYKER_ACTIVE_MUTANT__ ? { __STRYKER_ACTIVE_MUTANT__: process.env.__STRYKER_ACTIVE_MUTANT__ } : {}),
        },
        timeout: 10_000,
      }, (err, _out, stderr) =>
      resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr }),
    );
    void child;
  });
  assert.deepEqual(await run(), { code: 0, stderr: '' });
  serviceStatus = 503;
  assert.deepEqual(await run(), { code: 1, stderr: `unhealthy: http://127.0.0.1:${port}/healthz answered 503\n` });
});
