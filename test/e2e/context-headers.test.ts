/**
 * What a Zipkin or OpenTelemetry Envoy forwards when the caller sends trace
 * context in more than one form: only the context it wrote, never a stale copy
 * beside it. One real Envoy, rendered from the shipped config as the sandbox
 * renders it, on an address of its own, forwards to a recorder in this process.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http, { IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { requireBinaries, ROOT } from '../../toolchain/binaries';
import { httpOk } from '../../lib/http';
import { ProcessGroup } from '../../topology/processes';
import { OTLP_CLUSTER, renderEnvoy, ZIPKIN_CLUSTER } from '../../topology/render';
import type { EnvoyTracer } from '../../topology/variants';
import { ContainerName } from '../../topology/topology';
import { get } from './http';

/** Outside the topology's 127.0.0.1-3 and the span-cost Envoy's 127.0.0.4. */
const HOST = '127.0.0.5';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Every header that carries a trace context, in any of the forms a caller may use. */
const CONTEXT = /^(b3|x-b3-.*|traceparent|tracestate|uber-trace-id)$/;

/** The rendered config, every listener and the admin moved to HOST, every upstream but Jaeger's to the recorder. */
function relocated(shipped: string, inside: ContainerName, recorderPort: number, tracer: EnvoyTracer): string {
  const config = parse(renderEnvoy(readFileSync(path.join(ROOT, shipped), 'utf8'), inside, { tracer }).yaml);
  config.admin.address.socket_address.address = HOST;
  for (const listener of config.static_resources.listeners) listener.address.socket_address.address = HOST;
  for (const cluster of config.static_resources.clusters) {
    if (cluster.name === ZIPKIN_CLUSTER || cluster.name === OTLP_CLUSTER) continue;
    cluster.type = 'STATIC';
    for (const { lb_endpoints } of cluster.load_assignment.endpoints) {
      for (const { endpoint } of lb_endpoints) endpoint.address.socket_address = { address: HOST, port_value: recorderPort };
    }
  }
  return stringify(config);
}

/** One real Envoy rendered from the shipped config, and the context headers its upstream got for a request. */
function envoyWithRecorder(shipped: string, inside: ContainerName, port: number, tracer: EnvoyTracer): (headers: Record<string, string>) => Promise<Record<string, string>> {
  const received: IncomingHttpHeaders[] = [];
  const recorder = http.createServer((req, res) => {
    received.push(req.headers);
    res.end('ok');
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'context-headers-'));
  const group = new ProcessGroup(dir);

  before(async () => {
    await new Promise<void>((resolve) => recorder.listen(0, HOST, resolve));
    const file = path.join(dir, 'envoy.yaml');
    const yaml = relocated(shipped, inside, (recorder.address() as AddressInfo).port, tracer).replaceAll('${SERVICE_NAME}', '1');
    writeFileSync(file, yaml);
    await group.start({
      name: 'envoy',
      command: requireBinaries().envoy,
      args: ['-c', file, '--use-dynamic-base-id', '--log-level', 'warn'],
      ready: () => httpOk(`http://${HOST}:8001/ready`),
      readyTimeoutMs: 20_000,
    });
  });
  after(async () => {
    await group.stopAll();
    recorder.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The context headers the upstream got for one request with these headers. */
  async function forwarded(headers: Record<string, string>): Promise<Record<string, string>> {
    received.length = 0;
    const answer = await get(`http://${HOST}:${port}/trace/1`, headers);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(received.length, 1);
    return Object.fromEntries(Object.entries(received[0]).filter(([name]) => CONTEXT.test(name))) as Record<string, string>;
  }
  return forwarded;
}

const SHIPPED = [
  ['front-envoy-jaeger.yaml', 'front-envoy', 8000],
  ['service-envoy-jaeger.yaml', 'service1', 8000],
] as const;

for (const [shipped, inside, port] of SHIPPED) {
  describe(`a Zipkin Envoy rendered from ${shipped}`, () => {
    const forwarded = envoyWithRecorder(shipped, inside, port, 'zipkin');

    it('answers a single b3 header in that form, and drops stale x-b3, traceparent and uber-trace-id beside it', async () => {
      const [trace, caller] = [hex(16), hex(8)];
      const sent = await forwarded({
        b3: `${trace}-${caller}-1`,
        'x-b3-traceid': hex(16),
        'x-b3-spanid': hex(8),
        'x-b3-sampled': '1',
        traceparent: `00-${hex(16)}-${hex(8)}-01`,
        'uber-trace-id': `${hex(8)}:${hex(8)}:0:1`,
      });
      assert.deepEqual(Object.keys(sent).sort(), ['b3', 'traceparent']);
      const [t, span, sampled, parent] = sent.b3.split('-');
      assert.deepEqual([t, sampled, parent], [trace, '1', caller], sent.b3);
      assert.notEqual(span, caller, "Envoy's own span");
      assert.equal(sent.traceparent, `00-${trace}-${span}-01`);
    });

    it('answers x-b3 headers in that form, and drops a stale uber-trace-id beside them', async () => {
      const [trace, caller] = [hex(8), hex(8)];
      const sent = await forwarded({ 'x-b3-traceid': trace, 'x-b3-spanid': caller, 'x-b3-sampled': '1', 'uber-trace-id': `${hex(8)}:${hex(8)}:0:1` });
      assert.deepEqual(Object.keys(sent).sort(), ['traceparent', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
      assert.equal(sent['x-b3-traceid'], trace);
      assert.equal(sent['x-b3-parentspanid'], caller);
      assert.notEqual(sent['x-b3-spanid'], caller);
      assert.equal(sent.traceparent, `00-0000000000000000${trace}-${sent['x-b3-spanid']}-01`);
    });

    it('continues a W3C traceparent in both forms, and drops a stale uber-trace-id beside it', async () => {
      const [trace, caller] = [hex(16), hex(8)];
      const sent = await forwarded({ traceparent: `00-${trace}-${caller}-01`, 'uber-trace-id': `${hex(8)}:${hex(8)}:0:1` });
      assert.deepEqual(Object.keys(sent).sort(), ['traceparent', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
      assert.equal(sent['x-b3-traceid'], trace);
      assert.equal(sent['x-b3-parentspanid'], caller);
      assert.equal(sent.traceparent, `00-${trace}-${sent['x-b3-spanid']}-01`);
    });
  });
}

for (const [shipped, inside, port] of SHIPPED) {
  describe(`an OpenTelemetry Envoy rendered from ${shipped}`, () => {
    const forwarded = envoyWithRecorder(shipped, inside, port, 'opentelemetry');

    it('continues a W3C traceparent with its tracestate, and drops stale b3, x-b3 and uber-trace-id beside it', async () => {
      const [trace, caller] = [hex(16), hex(8)];
      const sent = await forwarded({
        traceparent: `00-${trace}-${caller}-01`,
        tracestate: 'caller=kept',
        b3: `${hex(16)}-${hex(8)}-1`,
        'x-b3-traceid': hex(16),
        'x-b3-spanid': hex(8),
        'uber-trace-id': `${hex(8)}:${hex(8)}:0:1`,
      });
      assert.deepEqual(Object.keys(sent).sort(), ['traceparent', 'tracestate']);
      const [version, t, span, flags] = sent.traceparent.split('-');
      assert.deepEqual([version, t, flags], ['00', trace, '01'], sent.traceparent);
      assert.match(span, /^[0-9a-f]{16}$/);
      assert.notEqual(span, caller, "Envoy's own span");
      assert.equal(sent.tracestate, 'caller=kept');
    });

    it('starts a trace of its own for a caller without W3C context, and writes only traceparent', async () => {
      const sent = await forwarded({ 'uber-trace-id': `${hex(8)}:${hex(8)}:0:1`, b3: `${hex(16)}-${hex(8)}-1` });
      assert.deepEqual(Object.keys(sent).filter((name) => name !== 'tracestate'), ['traceparent']);
      assert.match(sent.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    });
  });
}
