// First, as a service loads instrumentation.js: the SDK, before anything loads http or Express.
import { exporter, finished, sdkLog, untracedFetch } from './otel-sdk';
import assert from 'node:assert/strict';
import { beforeEach, test, TestContext } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import fetch from 'node-fetch';
import { pollUntil } from '../../lib/poll';
import { createApp } from '../../services/app';
import { createTracing } from '../../services/tracing';
import { listen, recordingDownstream, testConfig } from './helpers';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

beforeEach(() => exporter.reset());

/** service1 on the instrumented style, calling downstreamUrl; its base URL. */
function startService1(t: TestContext, downstreamUrl?: string, overrides: Parameters<typeof testConfig>[0] = {}): Promise<string> {
  const config = testConfig({ tracer: 'opentelemetry', propagation: 'w3c', downstreamUrl, ...overrides });
  return listen(t, createApp({ config, tracing: createTracing(config), fetch, hostname: 'test-host', resolvedHostname: '127.0.0.1' }));
}

/** The spans the app made, by the table's names: its server span, and its client span if it called. */
async function appSpans(route: string, { client = true } = {}): Promise<{ server: ReadableSpan; client?: ReadableSpan }> {
  return pollUntil(() => {
    const spans = finished();
    const server = spans.find((s) => s.name === route && s.kind === SpanKind.SERVER);
    assert.ok(server, `no server span ${route} among ${spans.map((s) => s.name).join(', ') || 'none'}`);
    const call = spans.find((s) => s.name === 'call downstream');
    if (client) assert.ok(call, 'no client span yet');
    return { server, client: call };
  }, 'the spans of the request');
}

test('a request makes exactly the server span and the client span of the table, with their kinds, names, attributes and parents', async (t) => {
  const downstream = await recordingDownstream(t);
  const base = await startService1(t, downstream.url);
  const res = await untracedFetch(`${base}/trace/1`, { headers: { traceparent: TRACEPARENT } });
  assert.equal(res.status, 200);
  await res.text();
  const { server, client } = await appSpans('GET /trace/:n');
  assert.equal(server.kind, SpanKind.SERVER);
  assert.equal(server.spanContext().traceId, TRACE_ID, 'the caller\'s trace is continued');
  assert.equal(server.parentSpanContext?.spanId, PARENT_ID);
  assert.deepEqual(
    [server.attributes['http.request.method'], server.attributes['http.route'], server.attributes['http.response.status_code'], server.attributes['url.path']],
    ['GET', '/trace/:n', 200, '/trace/1'],
  );
  assert.equal(client!.kind, SpanKind.CLIENT);
  assert.equal(client!.parentSpanContext?.spanId, server.spanContext().spanId);
  assert.equal(client!.spanContext().traceId, TRACE_ID);
  assert.deepEqual(
    [client!.attributes['http.request.method'], client!.attributes['url.full'], client!.attributes['server.address'], client!.attributes['http.response.status_code']],
    ['GET', downstream.url, '127.0.0.1', 200],
  );
  assert.equal(client!.status.code, SpanStatusCode.UNSET);
  // The instrumentation wrote the client span's context; nothing was copied by hand.
  assert.equal(downstream.requests[0].traceparent, `00-${TRACE_ID}-${client!.spanContext().spanId}-01`);
  assert.equal(res.headers.get('x-trace-id'), TRACE_ID);
  // Express made no spans of its own: the app's only spans are these two (and the downstream's server span).
  const own = finished().filter((s) => s.spanContext().traceId === TRACE_ID && s !== server && s !== client);
  assert.deepEqual(own.map((s) => [s.name, s.kind]), [['GET', SpanKind.SERVER]], 'only the recording downstream\'s server span besides');
  assert.equal(server.resource.attributes['service.name'], 'service1');
  assert.match(String(server.resource.attributes['service.instance.id']), /^[0-9a-f-]{36}$/);
});

test('a stale uber-trace-id beside a traceparent loses: the W3C context is continued, the Jaeger one ignored', async (t) => {
  const base = await startService1(t);
  const res = await untracedFetch(`${base}/service/1`, { headers: { traceparent: TRACEPARENT, 'uber-trace-id': 'aaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbb:0:1' } });
  await res.text();
  const { server } = await appSpans('GET /service/:n', { client: false });
  assert.equal(server.spanContext().traceId, TRACE_ID);
  assert.equal(server.parentSpanContext?.spanId, PARENT_ID);
});

test('a malformed traceparent starts a new trace, and the request is answered', async (t) => {
  const base = await startService1(t);
  const res = await untracedFetch(`${base}/service/1`, { headers: { traceparent: '00-not-a-context-01' } });
  assert.equal(res.status, 200);
  await res.text();
  const { server } = await appSpans('GET /service/:n', { client: false });
  assert.equal(server.parentSpanContext, undefined);
  assert.equal(res.headers.get('x-trace-id'), server.spanContext().traceId);
});

test('forget the headers: the call runs outside the request\'s context, its client span starts a new trace, and nothing else changes', async (t) => {
  const downstream = await recordingDownstream(t);
  const base = await startService1(t, downstream.url);
  const res = await untracedFetch(`${base}/trace/1`, { headers: { traceparent: TRACEPARENT, 'x-request-id': 'rid', 'x-sandbox-lab': 'forget-headers' } });
  assert.equal(res.status, 200);
  await res.text();
  const { server, client } = await appSpans('GET /trace/:n');
  assert.equal(server.spanContext().traceId, TRACE_ID, 'service1 itself still joins its caller');
  assert.equal(client!.parentSpanContext, undefined, 'the client span is a root');
  assert.notEqual(client!.spanContext().traceId, TRACE_ID);
  assert.equal(client!.attributes['sandbox.lab'], 'forget-headers');
  assert.equal(client!.kind, SpanKind.CLIENT);
  // The new trace is the one written downstream, and the forwarded headers stayed behind.
  assert.equal(downstream.requests[0].traceparent, `00-${client!.spanContext().traceId}-${client!.spanContext().spanId}-01`);
  assert.equal(downstream.requests[0]['x-request-id'], undefined);
  assert.equal(downstream.requests[0]['x-sandbox-lab'], undefined);
});

test('W3C baggage from the caller is recorded on the server span as baggage.tenant, and travels downstream in the context', async (t) => {
  const downstream = await recordingDownstream(t);
  const base = await startService1(t, downstream.url);
  const res = await untracedFetch(`${base}/trace/1`, { headers: { traceparent: TRACEPARENT, baggage: 'tenant=acme,tier=gold' } });
  await res.text();
  const { server, client } = await appSpans('GET /trace/:n');
  assert.equal(server.attributes['baggage.tenant'], 'acme');
  assert.equal(server.attributes['baggage.tier'], undefined, 'only the lab\'s item');
  assert.equal(client!.attributes['baggage.tenant'], undefined, 'on server spans only');
  assert.equal(downstream.requests[0].baggage, 'tenant=acme,tier=gold');
});

test('baggage without a trace context is kept too: the new trace records it', async (t) => {
  const base = await startService1(t);
  const res = await untracedFetch(`${base}/service/1`, { headers: { baggage: 'tenant=globex' } });
  await res.text();
  const { server } = await appSpans('GET /service/:n', { client: false });
  assert.equal(server.parentSpanContext, undefined);
  assert.equal(server.attributes['baggage.tenant'], 'globex');
});

test('a 400 keeps its status on the server span and is not an error; the answer still carries x-trace-id', async (t) => {
  const base = await startService1(t);
  const res = await untracedFetch(`${base}/trace/abc`);
  assert.equal(res.status, 400);
  await res.text();
  const { server } = await appSpans('GET /trace/:n', { client: false });
  assert.equal(server.attributes['http.response.status_code'], 400);
  assert.equal(server.status.code, SpanStatusCode.UNSET);
  assert.equal(server.events.length, 0);
  assert.equal(res.headers.get('x-trace-id'), server.spanContext().traceId);
});

test('a downstream that answers 503 makes the client span an error, and service1\'s 502 the server span, with the reason', async (t) => {
  const downstream = await recordingDownstream(t, (res) => {
    res.statusCode = 503;
    res.end('no');
  });
  const base = await startService1(t, downstream.url);
  const res = await untracedFetch(`${base}/trace/1`, { headers: { 'x-sandbox-fault': 'abort-503@service2-ingress' } });
  assert.equal(res.status, 502);
  await res.text();
  const { server, client } = await appSpans('GET /trace/:n');
  assert.equal(client!.status.code, SpanStatusCode.ERROR);
  assert.equal(client!.attributes['http.response.status_code'], 503);
  assert.equal(client!.attributes['sandbox.fault'], 'abort-503@service2-ingress');
  assert.equal(downstream.requests[0]['x-envoy-fault-abort-request'], '503');
  assert.equal(server.status.code, SpanStatusCode.ERROR);
  assert.equal(server.attributes['http.response.status_code'], 502);
  const exception = server.events.find((e) => e.name === 'exception');
  assert.match(String(exception?.attributes?.['exception.message']), /^Downstream http:\/\/127\.0\.0\.1:\d+\/trace\/2 answered 503$/);
});

test('a downstream that does not answer in time makes the client span an error without a status', async (t) => {
  const downstream = await recordingDownstream(t, () => {});
  const base = await startService1(t, downstream.url, { downstreamTimeoutMs: 100 });
  const res = await untracedFetch(`${base}/trace/1`);
  assert.equal(res.status, 504);
  await res.text();
  const { client } = await appSpans('GET /trace/:n');
  assert.equal(client!.status.code, SpanStatusCode.ERROR);
  assert.equal(client!.attributes['http.response.status_code'], undefined);
});

test('/healthz is not traced, and a 404 makes a server span named without a route', async (t) => {
  const base = await startService1(t);
  for (const path of ['/healthz', '/no/such/path']) await (await untracedFetch(`${base}${path}`)).text();
  await pollUntil(() => assert.equal(finished().length, 1), 'the 404\'s span');
  assert.deepEqual(finished().map((s) => [s.name, s.attributes['http.response.status_code']]), [['GET', 404]]);
  assert.deepEqual(sdkLog, []);
});

// A last check on the test's own tool: a plain fetch is instrumented, and would have written a context.
test('the test\'s own requests are untraced only through untracedFetch', async (t) => {
  const downstream = await recordingDownstream(t);
  const logged = sdkLog.length;
  await (await fetch(downstream.url)).text();
  assert.match(String(downstream.requests[0].traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  // A call the app did not make through its tracing keeps the instrumentation's name, and costs no log line.
  const client = await pollUntil(() => {
    const span = finished().find((s) => s.kind === SpanKind.CLIENT);
    assert.ok(span, 'no client span yet');
    return span;
  }, 'the client span of the plain fetch');
  assert.equal(client.name, 'GET');
  assert.deepEqual(sdkLog.slice(logged), []);
});

test('an unexpected error is a bare 500, and its server span an error with the exception', async (t) => {
  const config = testConfig({ tracer: 'opentelemetry', propagation: 'w3c' });
  const deps = {
    config,
    tracing: createTracing(config),
    fetch,
    get hostname(): string {
      throw new Error('no hostname today');
    },
    resolvedHostname: '127.0.0.1',
  };
  t.mock.method(console, 'error', () => {});
  const base = await listen(t, createApp(deps));
  const res = await untracedFetch(`${base}/service/1`);
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'Internal Server Error\n');
  const { server } = await appSpans('GET /service/:n', { client: false });
  assert.equal(server.status.code, SpanStatusCode.ERROR);
  assert.equal(server.attributes['http.response.status_code'], 500);
  assert.deepEqual(server.events.map((e) => [e.name, e.attributes?.['exception.message']]), [['exception', 'no hostname today']]);
});

// Last: it stops the SDK for the rest of the file.
test('close() sends what is left and stops the SDK', async () => {
  const tracing = createTracing(testConfig({ tracer: 'opentelemetry', propagation: 'w3c' }));
  await new Promise<void>((resolve) => tracing.close(resolve));
  // The provider is shut down: a span started now is not recorded.
  trace.getTracer('after').startSpan('after close').end();
  assert.equal(finished().some((s) => s.name === 'after close'), false);
});
