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

test('a fault: service1 asks the Envoy the hop names, with Envoy\'s own header, and tags its client span', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const abort = await fetch(`${base}/trace/1`, { headers: { ...CALLER, 'x-sandbox-fault': 'abort-503@service2-ingress' } });
  assert.equal(abort.status, 200, 'the recording downstream answers 200: no Envoy here to act on it');
  const sent = downstream.requests[0];
  assert.equal(sent['x-envoy-fault-abort-request'], '503');
  assert.equal(sent['x-sandbox-fault-hop'], 'service2-ingress');
  assert.equal(sent['x-envoy-fault-delay-request'], undefined);
  assert.equal(sent['x-sandbox-fault'], undefined, 'the switch itself is not forwarded');
  assert.match(String(sent['uber-trace-id']), new RegExp(`^${TRACE_ID}:`), 'the context still goes along');
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.equal(tag(client, 'sandbox.fault'), 'abort-503@service2-ingress');

  spans.length = 0;
  const delay = await fetch(`${base}/trace/1`, { headers: { 'x-sandbox-fault': 'delay-3000@service1-egress' } });
  assert.equal(delay.status, 200);
  assert.equal(downstream.requests[1]['x-envoy-fault-delay-request'], '3000');
  assert.equal(downstream.requests[1]['x-sandbox-fault-hop'], 'service1-egress');
  assert.equal(downstream.requests[1]['x-envoy-fault-abort-request'], undefined);

  // With the other lab too: no context, but the fault still goes to the Envoy.
  await fetch(`${base}/trace/1`, { headers: { ...CALLER, 'x-sandbox-lab': 'forget-headers', 'x-sandbox-fault': 'abort-599@service1-egress' } });
  assert.equal(downstream.requests[2]['x-envoy-fault-abort-request'], '599');
  assert.equal(downstream.requests[2]['uber-trace-id'], undefined);

  // The next plain request asks for nothing.
  spans.length = 0;
  await fetch(`${base}/trace/1`, { headers: CALLER });
  const plain = downstream.requests[3];
  for (const name of ['x-envoy-fault-abort-request', 'x-envoy-fault-delay-request', 'x-sandbox-fault-hop']) assert.equal(plain[name], undefined, name);
  const plainClient = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.equal(tag(plainClient, 'sandbox.fault'), undefined);
});

test('a fault value that is not one, names no hop, or goes past a bound is a 400 with a one-line reason, and nothing is called', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const cases: Array<[string, string]> = [
    ['xabort-503@service2-ingress', 'x-sandbox-fault must look like abort-503@service2-ingress or delay-1500@service1-egress, got "xabort-503@service2-ingress"'],
    ['abort', 'x-sandbox-fault must look like abort-503@service2-ingress or delay-1500@service1-egress, got "abort"'],
    ['crash-1@service1-egress', 'x-sandbox-fault must look like abort-503@service2-ingress or delay-1500@service1-egress, got "crash-1@service1-egress"'],
    ['delay-1500ms@service1-egress', 'x-sandbox-fault must look like abort-503@service2-ingress or delay-1500@service1-egress, got "delay-1500ms@service1-egress"'],
    ['delay-1234567@service1-egress', 'x-sandbox-fault must look like abort-503@service2-ingress or delay-1500@service1-egress, got "delay-1234567@service1-egress"'],
    [`delay-1@${'s'.repeat(8000)}`, `x-sandbox-fault hop must be one of service1-egress, service2-ingress, got "${'s'.repeat(40)}…"`],
    ['abort-503@service1-ingress', 'x-sandbox-fault hop must be one of service1-egress, service2-ingress, got "service1-ingress"'],
    ['abort-499@service2-ingress', 'x-sandbox-fault abort status must be 500-599, got 499'],
    ['abort-600@service2-ingress', 'x-sandbox-fault abort status must be 500-599, got 600'],
    ['delay-0@service2-ingress', 'x-sandbox-fault delay must be 1-3000 ms, got 0'],
    ['delay-3001@service2-ingress', 'x-sandbox-fault delay must be 1-3000 ms, got 3001'],
    ['delay-999999@service2-ingress', 'x-sandbox-fault delay must be 1-3000 ms, got 999999'],
  ];
  for (const [value, reason] of cases) {
    const res = await fetch(`${base}/trace/1`, { headers: { 'x-sandbox-fault': value } });
    assert.equal(res.status, 400, value);
    assert.equal(await res.text(), `${reason}\n`);
  }
  const huge = await fetch(`${base}/service/1`, { headers: { 'x-sandbox-fault': 'x'.repeat(8000) } });
  assert.equal(huge.status, 400);
  assert.equal(await huge.text(), `x-sandbox-fault must look like abort-503@service2-ingress or delay-1500@service1-egress, got "${'x'.repeat(40)}…"\n`);
  const edges = await Promise.all(
    ['abort-500@service2-ingress', 'delay-1@service1-egress'].map(async (value) => (await fetch(`${base}/service/1`, { headers: { 'x-sandbox-fault': value } })).status),
  );
  assert.deepEqual(edges, [200, 200], 'the bounds themselves are allowed');
  assert.equal(downstream.requests.length, 0, 'nothing was called');
});
