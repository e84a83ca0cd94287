import assert from 'node:assert/strict';
import path from 'node:path';
import { test, TestContext } from 'node:test';
import { Trace } from '../../tools/jaeger';
import { formatDuration, waterfall } from '../../tools/waterfall';
import { startProcess } from '../process';
import { listen } from '../services/helpers';

const CLI = path.join(__dirname, '..', '..', 'tools', 'trace-cli.js');

const trace: Trace = {
  traceId: 'feed',
  spans: [
    { traceId: 'feed', spanId: 'a', service: 'front-proxy', operation: 'front-proxy /trace', startUs: 0, durationUs: 10_000, tags: { 'http.status_code': 502, response_flags: '-' }, error: true, kind: 'server' },
    { traceId: 'feed', spanId: 'b', parentId: 'a', service: 'service1', operation: 'GET /trace/:n', startUs: 5_000, durationUs: 5_000, tags: {}, error: false, kind: 'server' },
    { traceId: 'feed', spanId: 'c', parentId: 'b', service: 'service1', operation: 'call downstream', startUs: 7_500, durationUs: 250, tags: { response_flags: 'FI' }, error: false, kind: 'server' },
  ],
};

test('draws one row per span, indented by parent, with bars placed and sized by time, and the response flags Envoy set', () => {
  const lines = waterfall(trace, { barWidth: 20 }).split('\n');
  assert.equal(lines[0], 'trace feed: 3 spans, 2 services, 10.00 ms');
  assert.equal(lines[1], 'front-proxy: front-proxy /trace  │████████████████████│  10.00 ms 502  ✖ error');
  assert.equal(lines[2], '  service1: GET /trace/:n        │          ██████████│   5.00 ms');
  assert.equal(lines[3], '    service1: call downstream    │               █    │    250 µs FI');
});

test('places bars from the trace\'s own start, a span at its very end in the last column; an empty trace is said so', () => {
  const late: Trace = {
    traceId: 'beef',
    spans: [
      { traceId: 'beef', spanId: 'a', service: 'front-proxy', operation: 'front-proxy /trace', startUs: 5_000_000, durationUs: 2_000, tags: {}, error: false, kind: 'server' },
      { traceId: 'beef', spanId: 'b', parentId: 'a', service: 'service1', operation: 'GET /trace/:n', startUs: 5_001_000, durationUs: 1_000, tags: {}, error: false, kind: 'server' },
      { traceId: 'beef', spanId: 'c', parentId: 'b', service: 'service1', operation: 'call downstream', startUs: 5_002_000, durationUs: 0, tags: {}, error: false, kind: 'server' },
    ],
  };
  assert.deepEqual(waterfall(late, { barWidth: 10 }).split('\n'), [
    'trace beef: 3 spans, 2 services, 2.00 ms',
    'front-proxy: front-proxy /trace  │██████████│   2.00 ms',
    '  service1: GET /trace/:n        │     █████│   1.00 ms',
    '    service1: call downstream    │         █│      0 µs',
  ]);
  assert.equal(waterfall({ traceId: 'cafe', spans: [] }), 'trace cafe has no spans');
});

test('formats durations in µs below a millisecond', () => {
  assert.equal(formatDuration(1000), '1.00 ms');
  assert.equal(formatDuration(999), '999 µs');
  assert.equal(formatDuration(1500), '1.50 ms');
});

/** The trace above as Jaeger's /api/v3 answers it: OTLP JSON, one resource a service. */
function apiTrace() {
  const otlp = (s: (typeof trace.spans)[number]) => ({
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentId ? { parentSpanId: s.parentId } : {}),
    name: s.operation,
    startTimeUnixNano: `${s.startUs}000`,
    endTimeUnixNano: `${s.startUs + s.durationUs}000`,
    attributes: Object.entries(s.tags).map(([key, value]) => ({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: String(value) } })),
    status: s.error ? { code: 2 } : {},
  });
  const ofService = (service: string) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scopeSpans: [{ scope: {}, spans: trace.spans.filter((s) => s.service === service).map(otlp) }],
  });
  return { result: { resourceSpans: [ofService('front-proxy'), ofService('service1')] } };
}

test('npm run trace fetches a trace from the Jaeger query API and ends with its UI link', async (t) => {
  const asked: string[] = [];
  const jaeger = await listen(t, (req, res) => {
    asked.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(apiTrace()));
  });
  const byId = await run(t, [CLI, 'feed', '--jaeger', jaeger]);
  assert.equal(byId.status, 0, byId.stderr);
  assert.match(byId.stdout, /^trace feed: 3 spans/);
  assert.match(byId.stdout, /service1: call downstream/);
  assert.ok(byId.stdout.trimEnd().endsWith(`Jaeger UI: ${jaeger}/trace/feed`));
  const last = await run(t, [CLI, '--last', '--jaeger', jaeger]);
  assert.equal(last.status, 0, last.stderr);
  const two = await run(t, [CLI, 'feed', 'beef', '--jaeger', jaeger]);
  assert.equal(two.status, 0, two.stderr);
  assert.equal(two.stdout.match(/^trace feed: 3 spans/gm)?.length, 2, 'both drawn, one under the other');
  assert.equal(two.stdout.match(/^Jaeger UI: /gm)?.length, 2);
  assert.deepEqual(asked.map((url) => url.replace(/&query\.start_time_m(in|ax)=[^&]+/g, '')), [
    '/api/v3/traces/feed',
    '/api/v3/traces?query.service_name=front-proxy&query.num_traces=1',
    '/api/v3/traces/feed',
    '/api/v3/traces/beef',
  ]);
});

test('npm run trace says in one line that Jaeger did not answer, or has no such trace', async (t) => {
  const down = await run(t, [CLI, 'feed', '--jaeger', 'http://127.0.0.1:9']);
  assert.equal(down.status, 1);
  assert.match(down.stderr, /^npm run trace: Jaeger at http:\/\/127\.0\.0\.1:9 did not answer \([^)]+\)\n$/);
  const jaeger = await listen(t, (_req, res) => {
    res.statusCode = 404;
    res.end('{"error":{"httpCode":404,"message":"trace not found"}}');
  });
  const missing = await run(t, [CLI, 'abc', '--jaeger', jaeger]);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, `npm run trace: trace abc is not in Jaeger at ${jaeger} (yet?)\n`);
  const bad = await run(t, [CLI, 'not-a-trace']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'npm run trace: "not-a-trace" is not a trace id (1 to 32 hex digits)\n');
  const secondBad = await run(t, [CLI, 'abc', 'xyz']);
  assert.equal(secondBad.status, 2);
  assert.equal(secondBad.stderr, 'npm run trace: "xyz" is not a trace id (1 to 32 hex digits)\n');
  const both = await run(t, [CLI, 'abc', '--last']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /^npm run trace: usage: npm run trace -- TRACE_ID\.\.\. \| --last/);
});

/** Runs the CLI as its own process without blocking this one (the test's server must keep answering). */
async function run(t: TestContext, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const started = startProcess(t, process.execPath, args);
  const status = await started.exited;
  return { status, stdout: started.stdout(), stderr: started.stderr() };
}
