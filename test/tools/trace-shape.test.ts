import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTrace, Span, Trace } from '../../tools/jaeger';
import { ABORTED_HOPS, assertShape, DELAYED_HOPS, FORGOT_HEADERS_HOPS, Hop, LOST_CONTEXT_HOPS, nestings, SERVICE_HOPS, shapeProblems, TRACE_HOPS } from '../../tools/trace-shape';

/** One span of a fixture: [spanId, parentId, service, operation, start µs, duration µs, Envoy?]. */
type Row = [string, string | undefined, string, string, number, number, boolean];

function traceOf(rows: Row[]): Trace {
  const spans: Span[] = rows.map(([spanId, parentId, service, operation, startUs, durationUs, envoy]) => ({
    traceId: 'abc',
    spanId,
    parentId,
    service,
    operation,
    startUs,
    durationUs,
    tags: { 'http.status_code': 200, ...(envoy ? { 'guid:x-request-id': 'rid' } : {}) },
    error: false,
    // The two spans of a request sent; every other span is of a request received.
    kind: operation === 'call downstream' || operation.startsWith('egress ') ? 'client' : 'server',
  }));
  return { traceId: 'abc', spans };
}

/** GET /trace/1 as Jaeger shows it, written out by hand: each span nested in the one above. */
const wholeTrace = (): Trace =>
  traceOf([
    ['a', undefined, 'front-proxy', 'front-proxy /trace', 1_000_000, 10_000, true],
    ['b', 'a', 'service1', 'ingress service1', 1_000_100, 9_800, true],
    ['c', 'b', 'service1', 'GET /trace/:n', 1_000_200, 9_600, false],
    ['d', 'c', 'service1', 'call downstream', 1_000_300, 9_000, false],
    ['e', 'd', 'service1', 'egress service2', 1_000_400, 8_800, true],
    ['f', 'e', 'service2', 'ingress service2', 1_000_500, 8_600, true],
    ['g', 'f', 'service2', 'GET /trace/:n', 1_000_600, 8_400, false],
  ]);

const wholeServiceTrace = (): Trace =>
  traceOf([
    ['a', undefined, 'front-proxy', 'front-proxy /service', 1_000_000, 10_000, true],
    ['b', 'a', 'service1', 'ingress service1', 1_000_100, 9_800, true],
    ['c', 'b', 'service1', 'GET /service/:n', 1_000_200, 9_600, false],
  ]);

const span = (trace: Trace, id: string): Span => trace.spans.find((s) => s.spanId === id)!;

test('finds nothing wrong with a whole trace', () => {
  assert.deepEqual(shapeProblems(wholeTrace(), TRACE_HOPS), []);
  assert.deepEqual(shapeProblems(wholeServiceTrace(), SERVICE_HOPS), []);
});

test('knows /trace/1 as seven hops and /service/1 as three', () => {
  assert.equal(TRACE_HOPS.length, 7);
  assert.equal(SERVICE_HOPS.length, 3);
  assert.notDeepEqual(shapeProblems(wholeServiceTrace(), TRACE_HOPS), []);
  assert.notDeepEqual(shapeProblems(wholeTrace(), SERVICE_HOPS), []);
});

test('names the hop that broke when service1 drops the trace headers', () => {
  const trace = wholeTrace();
  trace.spans = trace.spans.filter((s) => s.spanId !== 'e');
  const problems = shapeProblems(trace, TRACE_HOPS);
  assert.ok(problems.includes('service1 "egress service2" is missing: service1 did not forward its trace headers on the call to service2'), problems.join('\n'));
});

test('reports a span whose parent is not the hop above it', () => {
  const trace = wholeTrace();
  span(trace, 'g').parentId = 'e';
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), [
    'service2 "GET /trace/:n" is not a child of service2 "ingress service2": service2 did not extract the trace headers from its sidecar',
  ]);
});

test('reports a root that has a parent', () => {
  const trace = wholeTrace();
  span(trace, 'a').parentId = 'zz';
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), ['front-proxy "front-proxy /trace" should be the root but has parent zz']);
});

test("checks that the root hangs under a traced caller's span when one is named", () => {
  const trace = wholeTrace();
  span(trace, 'a').parentId = 'caller';
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS, { rootParent: 'caller' }), []);
  span(trace, 'a').parentId = 'someone-else';
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS, { rootParent: 'caller' }), [
    'front-proxy "front-proxy /trace" should hang under the caller\'s span caller but has parent someone-else',
  ]);
  span(trace, 'a').parentId = undefined;
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS, { rootParent: 'caller' }), [
    'front-proxy "front-proxy /trace" should hang under the caller\'s span caller but has parent none',
  ]);
});

test('reports a span of the wrong kind, naming the kind it has and the one its hop has', () => {
  const trace = wholeTrace();
  span(trace, 'a').kind = 'client';
  span(trace, 'e').kind = 'unspecified';
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), [
    'front-proxy "front-proxy /trace" is a client span, expected server',
    'service1 "egress service2" is a unspecified span, expected client',
  ]);
});

test('reports a span from another trace', () => {
  const trace = wholeTrace();
  span(trace, 'd').traceId = 'other';
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), ['service1 "call downstream" has trace id other, not abc']);
});

test('reports a child shifted 2 ms before its parent, and allows half a millisecond', () => {
  const trace = wholeTrace();
  // Shifted 2 ms earlier and 2 ms longer: it still ends where it did, around its own child.
  span(trace, 'c').startUs = 1_000_100 - 2_000;
  span(trace, 'c').durationUs = 9_600 + 2_100;
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), ['service1 "GET /trace/:n" starts 2000 µs before its parent']);
  const skewed = wholeTrace();
  span(skewed, 'c').startUs = 1_000_100 - 500;
  span(skewed, 'c').durationUs = 9_600 + 600;
  assert.deepEqual(shapeProblems(skewed, TRACE_HOPS), []);
});

test('reports a child that ends 2 ms after its parent, and allows half a millisecond', () => {
  const trace = wholeTrace();
  // The parent "ingress service2" ends at 1_009_100.
  span(trace, 'g').durationUs = 1_009_100 + 2_000 - 1_000_600;
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), ['service2 "GET /trace/:n" ends 2000 µs after its parent']);
  const skewed = wholeTrace();
  span(skewed, 'g').durationUs = 1_009_100 + 500 - 1_000_600;
  assert.deepEqual(shapeProblems(skewed, TRACE_HOPS), []);
});

test("with serverSpansEndAtFinish, lets only a service's server span end after its sidecar's, and still checks its start", () => {
  const late = wholeTrace();
  span(late, 'g').durationUs = 1_009_100 + 2_000 - 1_000_600; // service2's server span, 2 ms past its ingress
  assert.deepEqual(shapeProblems(late, TRACE_HOPS, { serverSpansEndAtFinish: true }), []);
  const client = wholeTrace();
  // service1's client span ("d") 2 ms past its parent, service1's server span ("c"): still a problem.
  span(client, 'd').durationUs += 9_000;
  assert.match(shapeProblems(client, TRACE_HOPS, { serverSpansEndAtFinish: true }).join('\n'), /service1 "call downstream" ends \d+ µs after its parent/);
  const early = wholeTrace();
  span(early, 'g').startUs -= 5_000;
  span(early, 'g').durationUs += 5_000;
  assert.deepEqual(shapeProblems(early, TRACE_HOPS, { serverSpansEndAtFinish: true }), ['service2 "GET /trace/:n" starts 4900 µs before its parent']);
});

test("takes an Envoy span's end from the finish it logged when its bar falls short", () => {
  // Envoy's Zipkin tracer: the bar of "ingress service2" ends 3 ms early, its "ss" log is on time.
  const trace = wholeTrace();
  span(trace, 'f').durationUs = 8_600 - 3_000;
  span(trace, 'f').finishUs = 1_009_100;
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), []);
});

test("reports a child that ends 2 ms after its parent's logged finish", () => {
  const trace = wholeTrace();
  span(trace, 'f').durationUs = 8_600 - 3_000;
  span(trace, 'f').finishUs = 1_009_000 - 2_000; // its child ends at 1_009_000
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), ['service2 "GET /trace/:n" ends 2000 µs after its parent']);
});

test('reports an Envoy child whose logged finish comes 2 ms after its parent ends', () => {
  const trace = wholeTrace();
  // "ingress service1" has a short bar but says it finished 2 ms after the front proxy's span.
  span(trace, 'b').finishUs = 1_010_000 + 2_000;
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), ['service1 "ingress service1" ends 2000 µs after its parent']);
});

test('reports a child that starts after its parent has ended', () => {
  const trace = wholeTrace();
  span(trace, 'd').startUs = 1_000_200 + 9_600 + 1_500;
  span(trace, 'd').durationUs = 100;
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS, { status: null }).filter((p) => p.startsWith('service1 "call downstream"')), [
    'service1 "call downstream" ends 1600 µs after its parent',
  ]);
});

test('reports a wrong status, an extra span and differing request ids', () => {
  const trace = wholeTrace();
  span(trace, 'a').tags['http.status_code'] = 503;
  span(trace, 'f').tags['guid:x-request-id'] = 'other';
  trace.spans.push({ ...span(trace, 'g'), spanId: 'x', operation: 'GET /surprise' });
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), [
    'front-proxy "front-proxy /trace" has http.status_code 503, expected 200',
    'the trace has 8 spans, expected 7; unexpected: service2 "GET /surprise"',
    'the Envoy spans carry different x-request-ids: rid, other',
  ]);
});

test('draws the trace as an indented tree with durations', () => {
  const drawn = describeTrace(wholeServiceTrace()).split('\n');
  assert.deepEqual(drawn, [
    'trace abc (3 spans)',
    '  front-proxy: front-proxy /service  10.00 ms  [200]',
    '    service1: ingress service1  9.80 ms  [200]',
    '      service1: GET /service/:n  9.60 ms  [200]',
  ]);
});

test('can leave timing out, for counting complete traces', () => {
  const trace = wholeTrace();
  span(trace, 'c').startUs = 1_000_100 - 5_000;
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS, { timing: false }), []);
});

test('knows each hop of /trace/1 as written here: service, operation, kind, parent, and whether Envoy made it', () => {
  assert.deepEqual(
    TRACE_HOPS.map((h) => [h.service, h.operation, h.kind, h.parent, h.envoy]),
    [
      ['front-proxy', 'front-proxy /trace', 'server', null, true],
      ['service1', 'ingress service1', 'server', 0, true],
      ['service1', 'GET /trace/:n', 'server', 1, false],
      ['service1', 'call downstream', 'client', 2, false],
      ['service1', 'egress service2', 'client', 3, true],
      ['service2', 'ingress service2', 'server', 4, true],
      ['service2', 'GET /trace/:n', 'server', 5, false],
    ],
  );
  assert.deepEqual(
    SERVICE_HOPS.map((h) => [h.service, h.operation, h.parent, h.envoy]),
    [
      ['front-proxy', 'front-proxy /service', null, true],
      ['service1', 'ingress service1', 0, true],
      ['service1', 'GET /service/:n', 1, false],
    ],
  );
  for (const hop of TRACE_HOPS) assert.ok(hop.blame.length > 20, `${hop.operation} says what it means when missing`);
});

test('allows exactly 1 ms of skew at either end, and not a microsecond more', () => {
  const atLimit = wholeTrace();
  span(atLimit, 'g').startUs = 1_000_500 - 1_000;
  span(atLimit, 'g').durationUs = 1_009_100 + 1_000 - (1_000_500 - 1_000);
  assert.deepEqual(shapeProblems(atLimit, TRACE_HOPS), []);
  const past = wholeTrace();
  span(past, 'g').startUs = 1_000_500 - 1_001;
  span(past, 'g').durationUs = 1_009_100 + 1_001 - (1_000_500 - 1_001);
  assert.deepEqual(shapeProblems(past, TRACE_HOPS), [
    'service2 "GET /trace/:n" starts 1001 µs before its parent',
    'service2 "GET /trace/:n" ends 1001 µs after its parent',
  ]);
});

test('measures how far each child sticks out of its parent, for the benchmark', () => {
  const trace = wholeTrace();
  span(trace, 'c').startUs = 1_000_100 - 300;
  assert.deepEqual(nestings(trace, TRACE_HOPS.slice(0, 2)), [{ hop: 'service1 "ingress service1"', early: -100, late: -100 }]);
  const all = nestings(trace, TRACE_HOPS);
  assert.equal(all.length, 6, 'one per hop with a parent');
  assert.deepEqual(all[1], { hop: 'service1 "GET /trace/:n"', early: 300, late: -500 });
  trace.spans = trace.spans.filter((s) => s.spanId !== 'd');
  assert.deepEqual(
    nestings(trace, TRACE_HOPS).map((n) => n.hop),
    ['service1 "ingress service1"', 'service1 "GET /trace/:n"', 'service2 "ingress service2"', 'service2 "GET /trace/:n"'],
    'hops whose span or parent is missing are left out',
  );
});

test('leaves the status out when asked, and checks it otherwise', () => {
  const trace = wholeTrace();
  span(trace, 'c').tags['http.status_code'] = 502;
  delete span(trace, 'd').tags['http.status_code'];
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS, { status: null }), []);
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), [
    'service1 "GET /trace/:n" has http.status_code 502, expected 200',
    'service1 "call downstream" has http.status_code unset, expected 200',
  ]);
});

test('says which request ids differ when an Envoy span has none', () => {
  const trace = wholeTrace();
  delete span(trace, 'e').tags['guid:x-request-id'];
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), ['the Envoy spans carry different x-request-ids: rid, unset']);
});

test('throws every problem and the drawn trace, or nothing when the trace is whole', () => {
  assert.doesNotThrow(() => assertShape(wholeTrace(), TRACE_HOPS));
  const trace = wholeTrace();
  trace.spans = trace.spans.filter((s) => s.spanId !== 'g');
  assert.throws(
    () => assertShape(trace, TRACE_HOPS),
    (err: Error) =>
      err.message.startsWith('service2 "GET /trace/:n" is missing: service2 did not extract the trace headers from its sidecar\nthe trace has 6 spans, expected 7\ntrace abc (6 spans)\n') &&
      err.message.includes('      service1: GET /trace/:n  9.60 ms  [200]'),
  );
});

/** Sets each listed span's status and Envoy response flags. */
function mark(trace: Trace, marks: Record<string, [number, string?]>): Trace {
  for (const [id, [status, flags]] of Object.entries(marks)) {
    span(trace, id).tags['http.status_code'] = status;
    if (flags) span(trace, id).tags['response_flags'] = flags;
  }
  return trace;
}

test('an abort at service1\'s egress: five spans, FI on the egress span, 503 below service1 and 502 above', () => {
  const trace = wholeTrace();
  trace.spans = trace.spans.filter((s) => !['f', 'g'].includes(s.spanId));
  mark(trace, { a: [502, '-'], b: [502, '-'], c: [502], d: [503], e: [503, 'FI'] });
  assert.deepEqual(shapeProblems(trace, ABORTED_HOPS['service1-egress']), []);
  assert.deepEqual(shapeProblems(trace, ABORTED_HOPS['service2-ingress']), [
    'service1 "egress service2" has response_flags FI, expected -',
    'service2 "ingress service2" is missing: service2\'s sidecar did not join service1\'s trace',
    'the trace has 5 spans, expected 6',
  ]);
  span(trace, 'e').tags['response_flags'] = 'UF';
  span(trace, 'a').tags['http.status_code'] = 503;
  span(trace, 'a').tags['response_flags'] = 'FI';
  span(trace, 'b').tags['response_flags'] = 'UC';
  assert.deepEqual(shapeProblems(trace, ABORTED_HOPS['service1-egress']), [
    'front-proxy "front-proxy /trace" has http.status_code 503, expected 502',
    'front-proxy "front-proxy /trace" has response_flags FI, expected -',
    'service1 "ingress service1" has response_flags UC, expected -',
    'service1 "egress service2" has response_flags UF, expected FI',
  ]);
});

test('an abort at service2\'s ingress: six spans, FI on the ingress span only', () => {
  const trace = wholeTrace();
  trace.spans = trace.spans.filter((s) => s.spanId !== 'g');
  mark(trace, { a: [502, '-'], b: [502, '-'], c: [502], d: [503], e: [503, '-'], f: [503, 'FI'] });
  assert.deepEqual(shapeProblems(trace, ABORTED_HOPS['service2-ingress']), []);
  delete span(trace, 'f').tags['response_flags'];
  assert.deepEqual(shapeProblems(trace, ABORTED_HOPS['service2-ingress']), ['service2 "ingress service2" has response_flags unset, expected FI']);
});

test('a delay: the whole trace at 200, DI on the Envoy the hop names and on no other', () => {
  const atEgress = mark(wholeTrace(), { e: [200, 'DI'], f: [200, '-'] });
  assert.deepEqual(shapeProblems(atEgress, DELAYED_HOPS['service1-egress']), []);
  assert.deepEqual(shapeProblems(atEgress, DELAYED_HOPS['service2-ingress']), ['service2 "ingress service2" has response_flags -, expected DI']);
  const atIngress = mark(wholeTrace(), { e: [200, '-'], f: [200, 'DI'] });
  assert.deepEqual(shapeProblems(atIngress, DELAYED_HOPS['service2-ingress']), []);
  assert.deepEqual(shapeProblems(atIngress, DELAYED_HOPS['service1-egress']), ['service1 "egress service2" has response_flags -, expected DI']);
  assert.deepEqual(shapeProblems(atIngress, TRACE_HOPS), [], 'the plain table does not look at flags');
});

test('forget the headers: the front proxy\'s four hops, and a new trace of three rooted at the egress sidecar', () => {
  const whole = wholeTrace();
  const caller: Trace = { traceId: 'abc', spans: whole.spans.filter((s) => ['a', 'b', 'c', 'd'].includes(s.spanId)) };
  const downstream: Trace = {
    traceId: 'def',
    spans: whole.spans.filter((s) => ['e', 'f', 'g'].includes(s.spanId)).map((s) => ({ ...s, traceId: 'def', parentId: s.spanId === 'e' ? undefined : s.parentId })),
  };
  assert.deepEqual(shapeProblems(caller, FORGOT_HEADERS_HOPS.caller), []);
  assert.deepEqual(shapeProblems(downstream, FORGOT_HEADERS_HOPS.downstream), []);
  assert.deepEqual(shapeProblems(whole, FORGOT_HEADERS_HOPS.caller), ['the trace has 7 spans, expected 4; unexpected: service1 "egress service2", service2 "ingress service2", service2 "GET /trace/:n"']);
  assert.notDeepEqual(shapeProblems(downstream, FORGOT_HEADERS_HOPS.caller), [], 'the other half is not the caller\'s');
  const attached: Trace = { ...downstream, spans: downstream.spans.map((s) => (s.spanId === 'e' ? { ...s, parentId: 'd' } : s)) };
  assert.deepEqual(shapeProblems(attached, FORGOT_HEADERS_HOPS.downstream), ['service1 "egress service2" should be the root but has parent d']);
  const noService2: Trace = { ...downstream, spans: downstream.spans.filter((s) => s.spanId !== 'g') };
  assert.deepEqual(shapeProblems(noService2, FORGOT_HEADERS_HOPS.downstream), [
    'service2 "GET /trace/:n" is missing: service2 did not extract the trace headers from its sidecar',
    'the trace has 2 spans, expected 3',
  ]);
  const noRoot: Trace = { ...downstream, spans: downstream.spans.filter((s) => s.spanId !== 'e') };
  assert.equal(shapeProblems(noRoot, FORGOT_HEADERS_HOPS.downstream)[0], 'service1 "egress service2" is missing: service1\'s egress sidecar did not start a trace of its own');
});

test("forget the headers, OpenTelemetry's form: the front proxy's three hops, and a new trace of four rooted at service1's client span", () => {
  const row = (h: Hop) => [h.service, h.operation, h.kind, h.parent, h.envoy];
  assert.deepEqual(LOST_CONTEXT_HOPS.caller.map(row), [
    ['front-proxy', 'front-proxy /trace', 'server', null, true],
    ['service1', 'ingress service1', 'server', 0, true],
    ['service1', 'GET /trace/:n', 'server', 1, false],
  ]);
  assert.deepEqual(LOST_CONTEXT_HOPS.downstream.map(row), [
    ['service1', 'call downstream', 'client', null, false],
    ['service1', 'egress service2', 'client', 0, true],
    ['service2', 'ingress service2', 'server', 1, true],
    ['service2', 'GET /trace/:n', 'server', 2, false],
  ]);
  assert.match(LOST_CONTEXT_HOPS.downstream[0].blame, /client span did not start a trace of its own/);
});
