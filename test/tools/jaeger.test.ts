import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { test, TestContext } from 'node:test';
import { describeTrace, httpStatus, JaegerClient, JaegerUnavailable, spanTree, Trace } from '../../tools/jaeger';
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

/** A Jaeger stand-in for the client's own tests: answers every GET with the given status and body, and records the paths. */
async function answering(t: TestContext, status: number, body: unknown): Promise<{ base: string; asked: string[] }> {
  const asked: string[] = [];
  const base = await listen(t, (req, res) => {
    asked.push(req.url ?? '');
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  return { base, asked };
}

const apiSpan = (spanID: string, startTime: number, extra: object = {}) => ({
  traceID: 't',
  spanID,
  operationName: `op ${spanID}`,
  startTime,
  duration: 10,
  processID: 'p1',
  ...extra,
});

test('lists traces newest first, asking with the defaults or the given limit, lookback and tags', async (t) => {
  const older = { traceID: 'old', processes: { p1: { serviceName: 'front-proxy' } }, spans: [apiSpan('o1', 1_000)] };
  const newer = { traceID: 'new', processes: { p1: { serviceName: 'front-proxy' } }, spans: [apiSpan('n1', 5_000)] };
  const empty = { traceID: 'none', processes: {}, spans: [] };
  const { base, asked } = await answering(t, 200, { data: [empty, older, newer] });
  const client = new JaegerClient(base);
  assert.deepEqual((await client.traces('front-proxy')).map((tr) => tr.traceId), ['new', 'old', 'none']);
  await client.traces('service1', { limit: 3, lookback: '5m', tags: { 'guid:x-request-id': 'r1' } });
  assert.deepEqual(asked, [
    '/api/traces?service=front-proxy&limit=20&lookback=1h',
    '/api/traces?service=service1&limit=3&lookback=5m&tags=%7B%22guid%3Ax-request-id%22%3A%22r1%22%7D',
  ]);
});

test('reads no traces and no services from an empty answer', async (t) => {
  const { base } = await answering(t, 200, { data: null });
  const client = new JaegerClient(base);
  assert.deepEqual(await client.traces('front-proxy'), []);
  assert.deepEqual(await client.services(), []);
  assert.equal(await client.trace('a1'), undefined);
});

test('lists the services Jaeger knows, and links a trace in its UI', async (t) => {
  const { base, asked } = await answering(t, 200, { data: ['front-proxy', 'service1'] });
  const client = new JaegerClient(base);
  assert.deepEqual(await client.services(), ['front-proxy', 'service1']);
  assert.deepEqual(asked, ['/api/services']);
  assert.equal(client.uiLink('abc'), `${base}/trace/abc`);
});

test('a trace Jaeger does not have (404, or an empty list) is undefined', async (t) => {
  const missing = await answering(t, 404, { data: null, errors: [{ code: 404, msg: 'trace not found' }] });
  assert.equal(await new JaegerClient(missing.base).trace('a1'), undefined);
  const empty = await answering(t, 200, { data: [] });
  assert.equal(await new JaegerClient(empty.base).trace('a1'), undefined);
});

test('an error status, a body that is not JSON, and a refused connection each give one line', async (t) => {
  const failing = await answering(t, 500, { data: ['x'] });
  await assert.rejects(new JaegerClient(failing.base).services(), {
    name: 'Error',
    message: `Jaeger at ${failing.base} answered 500 to ${failing.base}/api/services`,
  });
  const garbled = await answering(t, 200, '<html>');
  await assert.rejects(new JaegerClient(garbled.base).services(), (err: Error) => {
    assert.ok(err instanceof JaegerUnavailable);
    assert.match(err.message, new RegExp(`^Jaeger at ${garbled.base} did not answer \\(Unexpected token '<'`));
    return true;
  });
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(new JaegerClient(`http://127.0.0.1:${port}`).services(), {
    message: `Jaeger at http://127.0.0.1:${port} did not answer (ECONNREFUSED)`,
  });
});

test('a body that stops halfway times out naming the call, and a long call is cut at 120 characters', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"data": ['); // and never the rest
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await assert.rejects(new JaegerClient(base, 200).trace('a1'), {
    message: `Jaeger at ${base} did not answer GET /api/traces/a1 within 200 ms (a busy machine? ask for fewer traces, or try again)`,
  });
  const long = 's'.repeat(200);
  const cut = `/api/traces?service=${long}`.slice(0, 120);
  assert.equal(cut.length, 120);
  await assert.rejects(new JaegerClient(base, 200).traces(long), {
    message: `Jaeger at ${base} did not answer GET ${cut} within 200 ms (a busy machine? ask for fewer traces, or try again)`,
  });
});

test('reads parents from CHILD_OF only, services from the processes, errors from the tag, and orders spans by start', async (t) => {
  const spans = [
    apiSpan('late', 3_000, { references: [{ refType: 'FOLLOWS_FROM', spanID: 'x' }, { refType: 'CHILD_OF', spanID: 'early' }], tags: [{ key: 'error', value: 'true' }] }),
    apiSpan('early', 1_000, { processID: 'gone', tags: [{ key: 'error', value: false }] }),
    apiSpan('follows', 2_000, {
      references: [{ refType: 'FOLLOWS_FROM', spanID: 'early' }],
      logs: [
        { timestamp: 2_004, fields: [{ key: 'message', value: 'ss' }] },
        { timestamp: 2_009, fields: [{ key: 'event', value: 'ss' }, { key: 'note', value: 'sent' }] },
      ],
    }),
  ];
  const { base } = await answering(t, 200, { data: [{ traceID: 't', processes: { p1: { serviceName: 'service2' } }, spans }] });
  const trace = await new JaegerClient(base).trace('t');
  assert.deepEqual(trace?.spans.find((s) => s.spanId === 'follows')?.tags, {}, 'a span without tags has none');
  assert.deepEqual(
    trace?.spans.map((s) => [s.spanId, s.parentId, s.service, s.error, s.finishUs]),
    [
      ['early', undefined, '?', false, undefined],
      ['follows', undefined, 'service2', false, 2_009],
      ['late', 'early', 'service2', true, undefined],
    ],
  );
});

const span = (spanId: string, parentId: string | undefined, extra: Partial<Trace['spans'][0]> = {}) => ({
  traceId: 'f',
  spanId,
  parentId,
  service: 'service1',
  operation: `op ${spanId}`,
  startUs: 0,
  durationUs: 1_500,
  tags: {},
  error: false,
  ...extra,
});

test('draws the tree parent before child, an orphan as a root, with status and error marks', () => {
  const trace: Trace = {
    traceId: 'f',
    spans: [
      span('root', undefined, { service: 'front-proxy', tags: { 'http.status_code': 503 }, error: true }),
      span('orphan', 'lost'),
      span('child', 'root', { durationUs: 250 }),
    ],
  };
  assert.deepEqual(
    spanTree(trace).map(({ span: s, depth }) => `${depth} ${s.spanId}`),
    ['0 root', '1 child', '0 orphan'],
  );
  assert.equal(
    describeTrace(trace),
    [
      'trace f (3 spans)',
      '  front-proxy: op root  1.50 ms  [503]  ERROR',
      '    service1: op child  0.25 ms  [-]',
      '  service1: op orphan  1.50 ms  [-]',
    ].join('\n'),
  );
});

test("reads a span's HTTP status from either convention's tag, and none when it has neither", () => {
  const span = (tags: Record<string, string | number>) => ({ traceId: 't', spanId: 's', service: 'x', operation: 'y', startUs: 0, durationUs: 1, tags, error: false });
  assert.equal(httpStatus(span({ 'http.status_code': '503' })), 503);
  assert.equal(httpStatus(span({ 'http.response.status_code': 404 })), 404);
  assert.equal(httpStatus(span({ 'http.status_code': 200, 'http.response.status_code': 500 })), 200);
  assert.equal(httpStatus(span({})), undefined);
});
