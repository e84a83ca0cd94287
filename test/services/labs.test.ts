import assert from 'node:assert/strict';
import { test } from 'node:test';
import fetch from 'node-fetch';
import { pollUntil } from '../../lib/poll';
import { recordingDownstream, spanNamed, startApp, tag } from './helpers';

const TRACE_ID = '4bf92f3577b34da6';
const CALLER = { 'uber-trace-id': `${TRACE_ID}:a3ce929d0e0e4736:0:1`, 'x-request-id': 'rid-1', 'uberctx-tenant': 'acme', 'jaeger-debug-id': 'dbg' };

test('forget-headers: the call downstream carries no context and none of the forwarded headers, for that request only', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const forgot = await fetch(`${base}/trace/1`, { headers: { ...CALLER, 'x-sandbox-lab': 'forget-headers' } });
  assert.equal(forgot.status, 200);
  assert.equal(forgot.headers.get('x-trace-id'), TRACE_ID, 'service1 itself still joins its caller');
  const sent = downstream.requests[0];
  for (const name of ['uber-trace-id', 'x-request-id', 'uberctx-tenant', 'jaeger-debug-id', 'x-sandbox-lab', 'b3', 'x-b3-traceid', 'traceparent']) {
    assert.equal(sent[name], undefined, name);
  }
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.equal(tag(client, 'sandbox.lab'), 'forget-headers');
  assert.equal(client.context().traceIdStr, TRACE_ID);

  // The next request, without the header, forwards everything again.
  const plain = await fetch(`${base}/trace/1`, { headers: CALLER });
  assert.equal(plain.status, 200);
  const next = downstream.requests[1];
  assert.match(String(next['uber-trace-id']), new RegExp(`^${TRACE_ID}:`));
  assert.equal(next['x-request-id'], 'rid-1');
  assert.equal(next['uberctx-tenant'], 'acme');
});

test('a lab value that names no lab, long or short, is a 400 with a one-line reason', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const unknown = await fetch(`${base}/trace/1`, { headers: { 'x-sandbox-lab': 'forget' } });
  assert.equal(unknown.status, 400);
  assert.equal(await unknown.text(), 'x-sandbox-lab must be one of forget-headers, got "forget"\n');
  const huge = await fetch(`${base}/service/1`, { headers: { 'x-sandbox-lab': 'x'.repeat(8000) } });
  assert.equal(huge.status, 400);
  assert.equal(await huge.text(), `x-sandbox-lab must be one of forget-headers, got "${'x'.repeat(40)}…"\n`);
  assert.equal(downstream.requests.length, 0, 'nothing was called');
});

test('records the baggage a caller set on the server span, and passes it on downstream', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const res = await fetch(`${base}/trace/1`, { headers: { 'uber-trace-id': `${TRACE_ID}:a3ce929d0e0e4736:0:1`, 'uberctx-tenant': 'acme' } });
  assert.equal(res.status, 200);
  const server = await pollUntil(() => spanNamed(spans, 'GET /trace/:n'), 'the server span');
  assert.equal(tag(server, 'baggage.tenant'), 'acme');
  assert.equal(downstream.requests[0]['uberctx-tenant'], 'acme');
});

test('records baggage given as jaeger-baggage by a caller without a trace, and nothing when there is none', async (t) => {
  const { base, spans } = await startApp(t);
  const res = await fetch(`${base}/service/1`, { headers: { 'jaeger-baggage': 'tenant=globex,tier=gold' } });
  assert.equal(res.status, 200);
  const first = await pollUntil(() => spanNamed(spans, 'GET /service/:n'), 'the server span');
  assert.equal(tag(first, 'baggage.tenant'), 'globex');
  assert.equal(tag(first, 'baggage.tier'), undefined, 'only the one key is recorded');
  spans.length = 0;
  await (await fetch(`${base}/service/1`)).text();
  const second = await pollUntil(() => spanNamed(spans, 'GET /service/:n'), 'the server span');
  assert.equal(tag(second, 'baggage.tenant'), undefined);
});
