import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { test, TestContext } from 'node:test';
import { describeTrace, httpStatus, JaegerClient, JaegerUnavailable, lookbackMs, spanKind, spanTree, Trace } from '../../tools/jaeger';
import { listen } from '../services/helpers';

/** An OTLP attribute as /api/v3 writes it. */
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });
const resource = (service: string, spans: object[], more: object[] = []) => ({ resource: { attributes: [str('service.name', service), ...more] }, scopeSpans: [{ scope: {}, spans }] });

/**
 * Two spans of one trace as Jaeger 2.13's /api/v3 returns them for this sandbox: an Envoy one
 * (Zipkin, 64-bit ids, its "ss" annotation an event) and a Node one that failed, whose process
 * names its host (a pod).
 */
const answer = {
  result: {
    resourceSpans: [
      resource('service1', [
        {
          traceId: '000000000000000000000000000000a1',
          spanId: '00000000000000e1',
          name: 'ingress service1',
          kind: 2,
          startTimeUnixNano: '1795620298128856000',
          endTimeUnixNano: '1795620298143830000',
          attributes: [str('guid:x-request-id', 'r1'), str('http.status_code', '200')],
          events: [{ timeUnixNano: '1795620298143912000', name: 'ss' }],
          status: {},
        },
      ]),
      resource('service1', [
        {
          traceId: '000000000000000000000000000000a1',
          spanId: '00000000000000b1',
          parentSpanId: '00000000000000e1',
          name: 'GET /trace/:n',
          kind: 2,
          startTimeUnixNano: '1795620298130299000',
          endTimeUnixNano: '1795620298143412999',
          attributes: [int('http.response.status_code', 502)],
          events: [{ timeUnixNano: '1795620298131000000', name: 'exception' }],
          status: { code: 2 },
        },
      ], [str('host.name', 'service1-5d8f7c9b6-x2x7k')]),
    ],
  },
};

test('reads a trace from /api/v3, in OTLP JSON, with the finish an Envoy span logged', async (t) => {
  const base = await listen(t, (req, res) => {
    assert.equal(req.url, '/api/v3/traces/a1');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
  const trace = await new JaegerClient(base).trace('a1');
  assert.deepEqual(trace, {
    traceId: '00000000000000a1',
    spans: [
      {
        traceId: '00000000000000a1',
        spanId: '00000000000000e1',
        service: 'service1',
        operation: 'ingress service1',
        startUs: 1_795_620_298_128_856,
        durationUs: 14_974,
        finishUs: 1_795_620_298_143_912,
        tags: { 'guid:x-request-id': 'r1', 'http.status_code': '200' },
        error: false,
        kind: 'server',
      },
      {
        traceId: '00000000000000a1',
        spanId: '00000000000000b1',
        parentId: '00000000000000e1',
        service: 'service1',
        operation: 'GET /trace/:n',
        startUs: 1_795_620_298_130_299,
        durationUs: 13_113,
        tags: { 'http.response.status_code': 502 },
        host: 'service1-5d8f7c9b6-x2x7k',
        error: true,
        kind: 'server',
      },
    ],
  });
});

test("reads OTLP's span kind written as its number or its name, and anything else as unspecified", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(spanKind), ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer', 'unspecified']);
  assert.deepEqual(['SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_BOGUS', 'server', undefined].map(spanKind), [
    'server',
    'client',
    'internal',
    'unspecified',
    'unspecified',
    'unspecified',
  ]);
});

/** What Jaeger 2.13's /api/metrics/calls answered for this sandbox, cut to two operations. */
const callRates = {
  name: 'service_operation_call_rate',
  type: 'GAUGE',
  help: 'calls/sec, grouped by service & operation',
  metrics: [
    {
      labels: [{ name: 'service_name', value: 'service1' }, { name: 'operation', value: 'GET /trace/:n' }],
      metricPoints: [
        { gaugeValue: { doubleValue: 1.5 }, timestamp: '2026-12-05T15:35:11.749Z' },
        { gaugeValue: { doubleValue: 1.7703066666666665 }, timestamp: '2026-12-05T15:35:12.749Z' },
      ],
    },
    {
      labels: [{ name: 'operation', value: 'ingress service2' }, { name: 'service_name', value: 'service2' }],
      metricPoints: [{ gaugeValue: { doubleValue: 'NaN' }, timestamp: '2026-12-05T15:35:12.749Z' }],
    },
  ],
};

test("asks for the Monitor tab's figures as its UI does, per operation of server spans, and reads each series", async (t) => {
  const { base, asked } = await answering(t, 200, callRates);
  const series = await new JaegerClient(base).metrics('calls', { services: ['front-proxy', 'service1'], endMs: 1_795_000_000_000, lookbackMs: 60_000, stepMs: 1000, ratePerMs: 20_000 });
  assert.deepEqual(asked, [
    '/api/metrics/calls?groupByOperation=true&endTs=1795000000000&lookback=60000&step=1000&ratePer=20000&service=front-proxy&service=service1&spanKind=server',
  ]);
  assert.deepEqual(series, [
    {
      service: 'service1',
      operation: 'GET /trace/:n',
      points: [
        { timeMs: Date.parse('2026-12-05T15:35:11.749Z'), value: 1.5 },
        { timeMs: Date.parse('2026-12-05T15:35:12.749Z'), value: 1.7703066666666665 },
      ],
    },
    { service: 'service2', operation: 'ingress service2', points: [{ timeMs: Date.parse('2026-12-05T15:35:12.749Z'), value: NaN }] },
  ]);
});

test('a latency query names its quantile (0.95 unless given) and the span kinds asked for; an empty family is no series', async (t) => {
  const { base, asked } = await answering(t, 200, { name: 'service_operation_latencies', metrics: [] });
  const client = new JaegerClient(base, 3000, () => 1_795_000_000_000);
  const query = { services: ['service2'], lookbackMs: 1000, stepMs: 1000, ratePerMs: 30_000 };
  assert.deepEqual(await client.metrics('latencies', query), []);
  await client.metrics('latencies', { ...query, quantile: 0.5, spanKinds: ['server', 'client'] });
  await client.metrics('errors', query);
  assert.deepEqual(asked, [
    '/api/metrics/latencies?groupByOperation=true&endTs=1795000000000&lookback=1000&step=1000&ratePer=30000&service=service2&spanKind=server&quantile=0.95',
    '/api/metrics/latencies?groupByOperation=true&endTs=1795000000000&lookback=1000&step=1000&ratePer=30000&service=service2&spanKind=server&spanKind=client&quantile=0.5',
    '/api/metrics/errors?groupByOperation=true&endTs=1795000000000&lookback=1000&step=1000&ratePer=30000&service=service2&spanKind=server',
  ]);
});

test('a Jaeger with no metrics storage answers the Monitor tab with an error, which is one line', async (t) => {
  const { base } = await answering(t, 501, { errors: [{ code: 501, msg: 'metrics querying is currently disabled' }] });
  await assert.rejects(
    new JaegerClient(base).metrics('calls', { services: ['x'], lookbackMs: 1, stepMs: 1, ratePerMs: 1000 }),
    (err: Error) => err instanceof JaegerUnavailable && /^Jaeger at http:\/\/127\.0\.0\.1:\d+ answered 501 to http:\/\/127\.0\.0\.1:\d+\/api\/metrics\/calls\?/.test(err.message),
  );
});

const otlpSpan = (spanId: string, startUs: number, extra: object = {}) => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId,
  name: `op ${spanId}`,
  startTimeUnixNano: `${startUs}000`,
  endTimeUnixNano: `${startUs + 10}000`,
  ...extra,
});

test("reads a client Envoy span's finish from its cr event, and ignores other events", async (t) => {
  const client = otlpSpan('c1', 1_000_000, { events: [{ timeUnixNano: '1000500000', name: 'cs' }, { timeUnixNano: '1002700000', name: 'cr' }] });
  const other = otlpSpan('c2', 1_000_000, { events: [{ timeUnixNano: '1009000000', name: 'sr' }] });
  const { base } = await answering(t, 200, { result: { resourceSpans: [resource('service1', [client, other])] } });
  const trace = await new JaegerClient(base).trace('0af7651916cd43dd8448eb211c80319c');
  assert.equal(trace?.traceId, '0af7651916cd43dd8448eb211c80319c', 'a 128-bit id stays whole');
  assert.equal(trace?.spans.find((s) => s.spanId === 'c1')?.finishUs, 1_002_700);
  assert.equal(trace?.spans.find((s) => s.spanId === 'c2')?.finishUs, undefined);
});

/** The moment the searches below are made at, and the window they ask for. */
const NOW = Date.parse('2026-12-05T10:00:00.000Z');

test('a Jaeger that takes too long is named with the call, the time it was given and what to try', async (t) => {
  const server = http.createServer(() => {}); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const started = performance.now();
  await assert.rejects(new JaegerClient(base, 200, () => NOW).traces('front-proxy', { limit: 7000 }), {
    message: `Jaeger at ${base} did not answer GET /api/v3/traces?query.service_name=front-proxy&query.start_time_min=2026-12-05T09%3A00%3A00.000Z&query.start_time_max=202 within 200 ms (a busy machine? ask for fewer traces, or try again)`,
  });
  assert.ok(performance.now() - started < 2000, 'it gives up after its own timeout');
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

test('a search answers with the spans of many traces in one: they are told apart by trace id, newest first', async (t) => {
  const span = (traceId: string, spanId: string, startUs: number) => otlpSpan(spanId, startUs, { traceId });
  const search = {
    result: {
      resourceSpans: [
        resource('front-proxy', [span('0000000000000000000000000000000b', 'o1', 1_000), span('0000000000000000000000000000000c', 'n1', 5_000)]),
        resource('service1', [span('0000000000000000000000000000000b', 'o2', 1_500)]),
      ],
    },
  };
  const { base, asked } = await answering(t, 200, search);
  const client = new JaegerClient(base, 3000, () => NOW);
  const traces = await client.traces('front-proxy');
  assert.deepEqual(
    traces.map((tr) => [tr.traceId, tr.spans.map((s) => `${s.service} ${s.spanId}`)]),
    [
      ['000000000000000c', ['front-proxy n1']],
      ['000000000000000b', ['front-proxy o1', 'service1 o2']],
    ],
  );
  await client.traces('service1', { limit: 3, lookback: '5m' });
  assert.deepEqual(asked, [
    '/api/v3/traces?query.service_name=front-proxy&query.start_time_min=2026-12-05T09%3A00%3A00.000Z&query.start_time_max=2026-12-05T10%3A00%3A00.000Z&query.num_traces=20',
    '/api/v3/traces?query.service_name=service1&query.start_time_min=2026-12-05T09%3A55%3A00.000Z&query.start_time_max=2026-12-05T10%3A00%3A00.000Z&query.num_traces=3',
  ]);
});

test('a search for tags keeps the traces with a span that has every one of them', async (t) => {
  const tagged = (traceId: string, attributes: object[]) => otlpSpan(`s${traceId}`, 1_000, { traceId, attributes });
  const search = {
    result: {
      resourceSpans: [
        resource('front-proxy', [
          tagged('0000000000000000000000000000000a', [str('guid:x-request-id', 'r1'), int('http.status_code', 200)]),
          otlpSpan('sibling', 1_200, { traceId: '0000000000000000000000000000000a' }),
          tagged('0000000000000000000000000000000b', [str('guid:x-request-id', 'r2'), int('http.status_code', 200)]),
          tagged('0000000000000000000000000000000c', [str('guid:x-request-id', 'r1')]),
          tagged('0000000000000000000000000000000d', []),
        ]),
      ],
    },
  };
  const { base } = await answering(t, 200, search);
  const found = await new JaegerClient(base).traces('front-proxy', { tags: { 'guid:x-request-id': 'r1', 'http.status_code': '200' } });
  assert.deepEqual(found.map((tr) => tr.traceId), ['000000000000000a']);
});

test('a search that finds nothing is a 404 in /api/v3, and reads as no traces', async (t) => {
  const { base } = await answering(t, 404, { error: { httpCode: 404, message: 'No traces found' } });
  assert.deepEqual(await new JaegerClient(base).traces('front-proxy'), []);
});

test('reads no traces and no services from an empty answer', async (t) => {
  const { base } = await answering(t, 200, {});
  const client = new JaegerClient(base);
  assert.deepEqual(await client.traces('front-proxy'), []);
  assert.deepEqual(await client.services(), []);
  assert.equal(await client.trace('a1'), undefined);
});

test('lists the services Jaeger knows, and links a trace in its UI', async (t) => {
  const { base, asked } = await answering(t, 200, { services: ['front-proxy', 'service1'] });
  const client = new JaegerClient(base);
  assert.deepEqual(await client.services(), ['front-proxy', 'service1']);
  assert.deepEqual(asked, ['/api/v3/services']);
  assert.equal(client.uiLink('abc'), `${base}/trace/abc`);
});

test('a trace Jaeger does not have (404, or an empty answer) is undefined', async (t) => {
  const missing = await answering(t, 404, { error: { httpCode: 404, message: 'trace not found' } });
  assert.equal(await new JaegerClient(missing.base).trace('a1'), undefined);
  const empty = await answering(t, 200, { result: { resourceSpans: [] } });
  assert.equal(await new JaegerClient(empty.base).trace('a1'), undefined);
});

test('an error status, a body that is not JSON, and a refused connection each give one line', async (t) => {
  const failing = await answering(t, 500, { services: ['x'] });
  await assert.rejects(new JaegerClient(failing.base).services(), {
    name: 'Error',
    message: `Jaeger at ${failing.base} answered 500 to ${failing.base}/api/v3/services`,
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
    res.write('{"result": {'); // and never the rest
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await assert.rejects(new JaegerClient(base, 200).trace('a1'), {
    message: `Jaeger at ${base} did not answer GET /api/v3/traces/a1 within 200 ms (a busy machine? ask for fewer traces, or try again)`,
  });
  const long = 's'.repeat(200);
  const cut = `/api/v3/traces?query.service_name=${long}`.slice(0, 120);
  assert.equal(cut.length, 120);
  await assert.rejects(new JaegerClient(base, 200).traces(long), {
    message: `Jaeger at ${base} did not answer GET ${cut} within 200 ms (a busy machine? ask for fewer traces, or try again)`,
  });
});

test('reads parents from parentSpanId, services from the resource, errors from the status alone, and orders spans by start', async (t) => {
  const spans = [
    otlpSpan('late', 3_000, { parentSpanId: 'early', status: { code: 'STATUS_CODE_ERROR' } }),
    otlpSpan('tagged', 2_500, { parentSpanId: 'early', attributes: [{ key: 'error', value: { boolValue: true } }], status: { code: 1 } }),
    otlpSpan('follows', 2_000, {
      parentSpanId: '',
      attributes: [{ key: 'ratio', value: { doubleValue: 0.5 } }, { key: 'empty', value: {} }, { key: 'none' }],
      events: [{ timeUnixNano: '2004000', name: 'message' }, { timeUnixNano: '2009000', name: 'ss' }],
    }),
  ];
  const orphanResource = { scopeSpans: [{ spans: [otlpSpan('early', 1_000, { attributes: [{ key: 'error', value: { stringValue: 'false' } }] })] }] };
  const hollow = [{ resource: { attributes: [str('service.name', 'idle')] } }, { scopeSpans: [{ scope: {} }] }];
  const { base } = await answering(t, 200, { result: { resourceSpans: [resource('service2', spans), orphanResource, ...hollow] } });
  const trace = await new JaegerClient(base).trace('0af7651916cd43dd8448eb211c80319c');
  assert.deepEqual(trace?.spans.find((s) => s.spanId === 'late')?.tags, {}, 'a span without attributes has no tags');
  assert.deepEqual(trace?.spans.find((s) => s.spanId === 'tagged')?.tags, { error: true });
  assert.deepEqual(trace?.spans.find((s) => s.spanId === 'follows')?.tags, { ratio: 0.5, empty: '', none: '' });
  assert.deepEqual(
    trace?.spans.map((s) => [s.spanId, s.parentId, s.service, s.error, s.finishUs]),
    [
      ['early', undefined, '?', false, undefined],
      ['follows', undefined, 'service2', false, 2_009],
      ['tagged', 'early', 'service2', false, undefined],
      ['late', 'early', 'service2', true, undefined],
    ],
  );
});

test('a lookback is a number of seconds, minutes or hours; anything else is refused in one line', () => {
  assert.equal(lookbackMs('90s'), 90_000);
  assert.equal(lookbackMs('5m'), 300_000);
  assert.equal(lookbackMs('1h'), 3_600_000);
  for (const bad of ['1d', 'm', '5 m', '-5m', '500ms', '']) assert.throws(() => lookbackMs(bad), { message: `lookback must be a number of s, m or h, got "${bad}"` });
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
  kind: 'server' as const,
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
  const span = (tags: Record<string, string | number>) => ({ traceId: 't', spanId: 's', service: 'x', operation: 'y', startUs: 0, durationUs: 1, tags, error: false, kind: 'client' as const });
  assert.equal(httpStatus(span({ 'http.status_code': '503' })), 503);
  assert.equal(httpStatus(span({ 'http.response.status_code': 404 })), 404);
  assert.equal(httpStatus(span({ 'http.status_code': 200, 'http.response.status_code': 500 })), 200);
  assert.equal(httpStatus(span({})), undefined);
});

test('reads a family without metrics as no series, and a metric without labels or a point without a value as empty and NaN', async (t) => {
  const query = { services: ['x'], lookbackMs: 1, stepMs: 1, ratePerMs: 1000 };
  const { base: empty } = await answering(t, 200, { name: 'service_call_rate' });
  assert.deepEqual(await new JaegerClient(empty).metrics('calls', query), []);
  const { base } = await answering(t, 200, {
    metrics: [{ metricPoints: [{ timestamp: '2026-12-05T15:35:12.749Z' }] }, { labels: [{ name: 'service_name', value: 'service1' }] }],
  });
  assert.deepEqual(await new JaegerClient(base).metrics('calls', query), [
    { service: '', operation: '', points: [{ timeMs: Date.parse('2026-12-05T15:35:12.749Z'), value: NaN }] },
    { service: 'service1', operation: '', points: [] },
  ]);
});
