import assert from 'node:assert/strict';
import { test } from 'node:test';
import fetch from 'node-fetch';
import { FORWARDED_HEADERS } from '../../services/propagation';
import { createJaegerClientTracer } from '../../services/jaeger-client';
import { pollUntil } from '../../lib/poll';
import { recordingDownstream, RecordedSpan, spanNamed, startApp, withEnv } from './helpers';

const TRACE_ID = '4bf92f3577b34da6';
const ENVOY_SPAN_ID = 'a3ce929d0e0e4736';

/** Every forwarded header, with a value that shows whether it arrived unchanged. */
function requestScopedHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) headers[name] = `value-of-${name}`;
  headers['uberctx-tenant'] = 'acme';
  headers['x-request-id'] = '5f0ac3b2-3f1c-4b7e-9d2a-0c9b1e6f7a11';
  return headers;
}

async function settledSpans(spans: RecordedSpan[]) {
  const server = await pollUntil(() => spanNamed(spans, 'GET /trace/:n'), 'the server span');
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  return { server, client };
}

test('joins the uber-trace-id of the caller and passes its own client span downstream', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const res = await fetch(`${base}/trace/1`, { headers: { 'uber-trace-id': `${TRACE_ID}:${ENVOY_SPAN_ID}:0:1` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-trace-id'), TRACE_ID);

  const { server, client } = await settledSpans(spans);
  assert.equal(server.context().traceIdStr, TRACE_ID);
  assert.equal(server.context().parentIdStr, ENVOY_SPAN_ID, 'the server span is a child of the Envoy span');
  assert.equal(client.context().parentIdStr, server.context().spanIdStr, 'the client span is a child of the server span');

  const sent = downstream.requests[0]['uber-trace-id'];
  assert.equal(sent, `${TRACE_ID}:${client.context().spanIdStr}:${server.context().spanIdStr}:1`);
});

test('forwards every request-scoped header unchanged to the downstream', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const incoming = requestScopedHeaders();
  const res = await fetch(`${base}/trace/1`, { headers: { ...incoming, 'uber-trace-id': `${TRACE_ID}:${ENVOY_SPAN_ID}:0:1` } });
  assert.equal(res.status, 200);
  const received = downstream.requests[0];
  for (const [name, value] of Object.entries(incoming)) {
    assert.equal(received[name], value, `${name} did not reach the downstream unchanged`);
  }
});

test('does not forward headers that are not request-scoped', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  await fetch(`${base}/trace/1`, { headers: { authorization: 'Bearer secret', cookie: 'a=b', 'x-custom': '1' } });
  const received = downstream.requests[0];
  assert.equal(received.authorization, undefined);
  assert.equal(received.cookie, undefined);
  assert.equal(received['x-custom'], undefined);
});

test('in b3 mode, joins the x-b3 context and writes its own x-b3 headers, keeping baggage and request id', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url, propagation: 'b3' } });
  const res = await fetch(`${base}/trace/1`, {
    headers: {
      'x-b3-traceid': TRACE_ID,
      'x-b3-spanid': ENVOY_SPAN_ID,
      'x-b3-sampled': '1',
      'x-request-id': 'rid-1',
      'uberctx-tenant': 'acme',
    },
  });
  assert.equal(res.status, 200);
  const { server, client } = await settledSpans(spans);
  assert.equal(server.context().traceIdStr, TRACE_ID);
  assert.equal(server.context().parentIdStr, ENVOY_SPAN_ID);
  const received = downstream.requests[0];
  assert.equal(received['x-b3-traceid'], TRACE_ID);
  assert.equal(received['x-b3-spanid'], client.context().spanIdStr.padStart(16, '0'));
  assert.equal(received['x-b3-parentspanid'], server.context().spanIdStr.padStart(16, '0'));
  assert.equal(received['x-b3-sampled'], '1');
  assert.equal(received['uber-trace-id'], undefined, 'b3 mode writes one format only');
  assert.equal(received['x-request-id'], 'rid-1');
  assert.equal(received['uberctx-tenant'], 'acme');
});

test('in jaeger mode, still joins a trace that arrives with B3 headers only', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  await fetch(`${base}/trace/1`, {
    headers: { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': ENVOY_SPAN_ID, 'x-b3-sampled': '1' },
  });
  const { server, client } = await settledSpans(spans);
  assert.equal(server.context().traceIdStr, TRACE_ID);
  assert.equal(server.context().parentIdStr, ENVOY_SPAN_ID);
  assert.match(String(downstream.requests[0]['uber-trace-id']), new RegExp(`^${TRACE_ID}:${client.context().spanIdStr}:`));
});

test('starts a new trace when the caller sends no context', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const res = await fetch(`${base}/trace/1`);
  const { server } = await settledSpans(spans);
  assert.equal(res.headers.get('x-trace-id'), server.context().traceIdStr);
  assert.ok(!server.context().parentIdStr || server.context().parentIdStr === '0');
  assert.match(String(downstream.requests[0]['uber-trace-id']), new RegExp(`^${server.context().traceIdStr}:`));
});

/** Every request-scoped header the service must pass on, written out here, not read from the code. */
const REQUEST_SCOPED = [
  'x-request-id',
  'jaeger-debug-id',
  'jaeger-baggage',
  'uberctx-tenant',
  'uberctx-user-id',
];

test('forwards each request-scoped header by name, as listed by hand', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const headers = Object.fromEntries(REQUEST_SCOPED.map((name) => [name, `sent-${name}`]));
  const res = await fetch(`${base}/trace/1`, { headers: { ...headers, 'uber-trace-id': `${TRACE_ID}:${ENVOY_SPAN_ID}:0:1` } });
  assert.equal(res.status, 200);
  for (const name of REQUEST_SCOPED) {
    assert.equal(downstream.requests[0][name], `sent-${name}`, `${name} reaches the downstream unchanged`);
  }
});

test('forwards uberctx- baggage itself when the tracer is disabled and carries none', async (t) => {
  const downstream = await recordingDownstream(t);
  withEnv(t, { JAEGER_DISABLED: 'true' });
  const tracer = createJaegerClientTracer({ serviceNumber: '1', propagation: 'jaeger', logger: { info: () => {}, error: () => {} } });
  const { base } = await startApp(t, { config: { downstreamUrl: downstream.url }, tracer });
  const res = await fetch(`${base}/trace/1`, { headers: { 'uberctx-tenant': 'acme', 'x-request-id': 'rid-9' } });
  assert.equal(res.status, 200);
  assert.equal(downstream.requests[0]['uberctx-tenant'], 'acme');
  assert.equal(downstream.requests[0]['x-request-id'], 'rid-9');
});

test("in b3 mode, does not let the caller's b3 or x-b3 headers travel next to its own", async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url, propagation: 'b3' } });
  await fetch(`${base}/trace/1`, {
    headers: {
      b3: `${TRACE_ID}-${ENVOY_SPAN_ID}-1`,
      'x-b3-traceid': TRACE_ID,
      'x-b3-spanid': ENVOY_SPAN_ID,
      'x-b3-parentspanid': '1111111111111111',
      'x-b3-sampled': '1',
    },
  });
  const { client } = await settledSpans(spans);
  const received = downstream.requests[0];
  assert.equal(received.b3, undefined, 'the stale single-header context is dropped');
  assert.equal(received['x-b3-spanid'], client.context().spanIdStr.padStart(16, '0'));
  assert.notEqual(received['x-b3-parentspanid'], '1111111111111111');
});

test("in jaeger mode, copies no other tracer's context next to its own uber-trace-id", async (t) => {
  const downstream = await recordingDownstream(t);
  const { base } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const stale = {
    b3: `${TRACE_ID}-${ENVOY_SPAN_ID}-1`,
    'x-b3-traceid': TRACE_ID,
    'x-b3-spanid': ENVOY_SPAN_ID,
    'x-b3-sampled': '1',
    'x-b3-flags': '1',
    'x-ot-span-context': 'stale',
    traceparent: `00-0000000000000000${TRACE_ID}-${ENVOY_SPAN_ID}-01`,
  };
  const res = await fetch(`${base}/trace/1`, { headers: { ...stale, 'uber-trace-id': `${TRACE_ID}:${ENVOY_SPAN_ID}:0:1` } });
  assert.equal(res.status, 200);
  const received = downstream.requests[0];
  for (const name of Object.keys(stale)) assert.equal(received[name], undefined, `${name} is not copied`);
  assert.match(String(received['uber-trace-id']), new RegExp(`^${TRACE_ID}:`));
});

const TRACE_ID_128 = '463ac35c9f6413ad48485a3953bb6124';

for (const [form, b3, traceId] of [
  ['64-bit', `${TRACE_ID}-${ENVOY_SPAN_ID}-1`, TRACE_ID],
  ['128-bit', `${TRACE_ID_128}-${ENVOY_SPAN_ID}-1`, TRACE_ID_128],
  ['with a parent id', `${TRACE_ID}-${ENVOY_SPAN_ID}-1-05e3ac9a4f6e3b90`, TRACE_ID],
]) {
  test(`in b3 mode, joins a single-header b3 context (${form}) and writes the multi-header form`, async (t) => {
    const downstream = await recordingDownstream(t);
    const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url, propagation: 'b3' } });
    const res = await fetch(`${base}/trace/1`, { headers: { b3 } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-trace-id'), traceId);
    const { server, client } = await settledSpans(spans);
    assert.equal(server.context().traceIdStr, traceId);
    assert.equal(server.context().parentIdStr, ENVOY_SPAN_ID, "the server span is a child of the caller's span");
    const received = downstream.requests[0];
    assert.equal(received.b3, undefined);
    assert.equal(received['x-b3-traceid'], traceId);
    // jaeger-client's spanIdStr drops leading zeros; B3 writes all 16 characters.
    assert.equal(received['x-b3-spanid'], client.context().spanIdStr.padStart(16, '0'));
    assert.equal(received['x-b3-parentspanid'], server.context().spanIdStr.padStart(16, '0'));
    assert.equal(received['x-b3-sampled'], '1');
  });
}

test('in b3 mode, the single b3 header wins over stale x-b3 headers beside it', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url, propagation: 'b3' } });
  await fetch(`${base}/trace/1`, {
    headers: { b3: `${TRACE_ID_128}-${ENVOY_SPAN_ID}-1`, 'x-b3-traceid': '1111111111111111', 'x-b3-spanid': '2222222222222222', 'x-b3-sampled': '1' },
  });
  const { server } = await settledSpans(spans);
  assert.equal(server.context().traceIdStr, TRACE_ID_128);
  assert.equal(server.context().parentIdStr, ENVOY_SPAN_ID);
  assert.equal(downstream.requests[0]['x-b3-traceid'], TRACE_ID_128);
});

test('in b3 mode, a malformed single b3 header is ignored and the x-b3 headers are read', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url, propagation: 'b3' } });
  const res = await fetch(`${base}/trace/1`, {
    headers: { b3: 'not-a-context', 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': ENVOY_SPAN_ID, 'x-b3-sampled': '1' },
  });
  assert.equal(res.status, 200);
  const { server } = await settledSpans(spans);
  assert.equal(server.context().traceIdStr, TRACE_ID);
  assert.equal(server.context().parentIdStr, ENVOY_SPAN_ID);
});

test('in jaeger mode, joins a trace that arrives with a single b3 header only', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  await fetch(`${base}/trace/1`, { headers: { b3: `${TRACE_ID}-${ENVOY_SPAN_ID}-1` } });
  const { server, client } = await settledSpans(spans);
  assert.equal(server.context().parentIdStr, ENVOY_SPAN_ID);
  assert.equal(downstream.requests[0]['uber-trace-id'], `${TRACE_ID}:${client.context().spanIdStr}:${server.context().spanIdStr}:1`);
});
