import assert from 'node:assert/strict';
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
