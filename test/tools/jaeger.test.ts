import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { JaegerClient } from '../../tools/jaeger';
import { listen } from '../services/helpers';

/** Two spans as Jaeger's query API returns them for this sandbox: an Envoy one (Zipkin) and a Node one. */
const answer = {
  data: [
    {
      traceID: 'a1',
      processes: { p1: { serviceName: 'service1' }, p2: { serviceName: 'service1' } },
      spans: [
        {
          traceID: 'a1',
          spanID: 'e1',
          operationName: 'ingress service1',
          references: [],
          startTime: 1_795_620_298_128_856,
          duration: 14_974,
          tags: [{ key: 'guid:x-request-id', value: 'r1' }, { key: 'http.status_code', value: '200' }],
          logs: [{ timestamp: 1_795_620_298_143_912, fields: [{ key: 'event', type: 'string', value: 'ss' }] }],
          processID: 'p1',
        },
        {
          traceID: 'a1',
          spanID: 'n1',
          operationName: 'GET /trace/:n',
          references: [{ refType: 'CHILD_OF', traceID: 'a1', spanID: 'e1' }],
          startTime: 1_795_620_298_130_299,
          duration: 13_113,
          tags: [{ key: 'error', value: true }],
          logs: [{ timestamp: 1_795_620_298_131_000, fields: [{ key: 'event', type: 'string', value: 'error' }] }],
          processID: 'p2',
        },
      ],
    },
  ],
};

test('reads a trace from the query API, with the finish an Envoy span logged', async (t) => {
  const base = await listen(t, (req, res) => {
    assert.equal(req.url, '/api/traces/a1');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
  const trace = await new JaegerClient(base).trace('a1');
  assert.deepEqual(trace, {
    traceId: 'a1',
    spans: [
      {
        traceId: 'a1',
        spanId: 'e1',
        parentId: undefined,
        service: 'service1',
        operation: 'ingress service1',
        startUs: 1_795_620_298_128_856,
        durationUs: 14_974,
        finishUs: 1_795_620_298_143_912,
        tags: { 'guid:x-request-id': 'r1', 'http.status_code': '200' },
        error: false,
      },
      {
        traceId: 'a1',
        spanId: 'n1',
        parentId: 'e1',
        service: 'service1',
        operation: 'GET /trace/:n',
        startUs: 1_795_620_298_130_299,
        durationUs: 13_113,
        tags: { error: true },
        error: true,
      },
    ],
  });
});

test("reads a client Envoy span's finish from its cr log, and ignores other events", async (t) => {
  const clientSpan = {
    traceID: 'a2',
    spanID: 'c1',
    operationName: 'egress service2',
    references: [],
    startTime: 1_000_000,
    duration: 2_000,
    tags: [],
    logs: [
      { timestamp: 1_000_500, fields: [{ key: 'event', type: 'string', value: 'cs' }] },
      { timestamp: 1_002_700, fields: [{ key: 'event', type: 'string', value: 'cr' }] },
    ],
    processID: 'p1',
  };
  const other = { ...clientSpan, spanID: 'c2', logs: [{ timestamp: 1_009_000, fields: [{ key: 'event', type: 'string', value: 'sr' }] }] };
  const base = await listen(t, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: [{ traceID: 'a2', processes: { p1: { serviceName: 'service1' } }, spans: [clientSpan, other] }] }));
  });
  const trace = await new JaegerClient(base).trace('a2');
  assert.equal(trace?.spans.find((s) => s.spanId === 'c1')?.finishUs, 1_002_700);
  assert.equal(trace?.spans.find((s) => s.spanId === 'c2')?.finishUs, undefined);
});

test('a Jaeger that takes too long is named with the call, the time it was given and what to try', async (t) => {
  const server = http.createServer(() => {}); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await assert.rejects(new JaegerClient(base, 200).traces('front-proxy', { limit: 7000 }), {
    message: `Jaeger at ${base} did not answer GET /api/traces?service=front-proxy&limit=7000&lookback=1h within 200 ms (a busy machine? ask for fewer traces, or try again)`,
  });
});
