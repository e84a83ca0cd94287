import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTrace, Span, Trace } from '../../tools/jaeger';
import { SERVICE_HOPS, shapeProblems, TRACE_HOPS } from '../../tools/trace-shape';

/** A whole /trace/1 trace, built from the hop table: each span 100 µs into its parent. */
function wholeTrace(hops = TRACE_HOPS): Trace {
  const spans: Span[] = hops.map((hop, i) => ({
    traceId: 'abc',
    spanId: `s${i}`,
    parentId: hop.parent === null ? undefined : `s${hop.parent}`,
    service: hop.service,
    operation: hop.operation,
    startUs: 1_000_000 + i * 100,
    durationUs: 10_000 - i * 200,
    tags: { 'http.status_code': 200, ...(hop.envoy ? { 'guid:x-request-id': 'rid' } : {}) },
    error: false,
  }));
  return { traceId: 'abc', spans };
}

const without = (trace: Trace, operation: string): Trace => ({
  ...trace,
  spans: trace.spans.filter((s) => !(s.operation === operation && s.service === 'service1')),
});

test('finds nothing wrong with a whole trace', () => {
  assert.deepEqual(shapeProblems(wholeTrace(), TRACE_HOPS), []);
  assert.deepEqual(shapeProblems(wholeTrace(SERVICE_HOPS), SERVICE_HOPS), []);
});

test('names the hop that broke when service1 drops the trace headers', () => {
  const trace = wholeTrace();
  // service1's egress Envoy started a trace of its own: its span is not in this one.
  const problems = shapeProblems(without(trace, 'egress service2'), TRACE_HOPS);
  assert.ok(problems.includes('service1 "egress service2" is missing: service1 did not forward its trace headers on the call to service2'), problems.join('\n'));
});

test('reports a span whose parent is not the previous hop', () => {
  const trace = wholeTrace();
  trace.spans[6].parentId = 's4';
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS), [
    'service2 "GET /trace/:n" is not a child of service2 "ingress service2": service2 did not extract the trace headers from its sidecar',
  ]);
});

test('reports a child that starts outside its parent, beyond the allowed skew', () => {
  const trace = wholeTrace();
  trace.spans[2].startUs = trace.spans[1].startUs - 5000;
  assert.match(shapeProblems(trace, TRACE_HOPS).join('\n'), /service1 "GET \/trace\/:n" starts outside its parent/);
  const skewed = wholeTrace();
  skewed.spans[2].startUs = skewed.spans[1].startUs - 500;
  assert.deepEqual(shapeProblems(skewed, TRACE_HOPS), [], 'half a millisecond of skew is allowed');
});

test('reports a wrong status, an extra span and differing request ids', () => {
  const trace = wholeTrace();
  trace.spans[0].tags['http.status_code'] = 503;
  trace.spans[5].tags['guid:x-request-id'] = 'other';
  trace.spans.push({ ...trace.spans[6], spanId: 'x', operation: 'GET /surprise' });
  const problems = shapeProblems(trace, TRACE_HOPS);
  assert.ok(problems.includes('front-proxy "front-proxy /trace" has http.status_code 503, expected 200'));
  assert.ok(problems.includes('the trace has 8 spans, expected 7; unexpected: service2 "GET /surprise"'));
  assert.ok(problems.includes('the Envoy spans carry different x-request-ids: rid, other'));
});

test('draws the trace as an indented tree with durations', () => {
  const drawn = describeTrace(wholeTrace(SERVICE_HOPS)).split('\n');
  assert.deepEqual(drawn, [
    'trace abc (3 spans)',
    '  front-proxy: front-proxy /service  10.00 ms  [200]',
    '    service1: ingress service1  9.80 ms  [200]',
    '      service1: GET /service/:n  9.60 ms  [200]',
  ]);
});

test('can leave timing out, for counting complete traces', () => {
  const trace = wholeTrace();
  trace.spans[2].startUs = trace.spans[1].startUs - 5000;
  assert.deepEqual(shapeProblems(trace, TRACE_HOPS, { timing: false }), []);
});
