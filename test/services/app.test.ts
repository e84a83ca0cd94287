import assert from 'node:assert/strict';
import { test } from 'node:test';
import fetch from 'node-fetch';
import { Tracer } from 'opentracing';
import { pollUntil } from '../../lib/poll';
import { createApp, errorResponse } from '../../services/app';
import { DownstreamError, HttpError } from '../../services/errors';
import { nowMs } from '../../services/span-timing';
import { createTracing } from '../../services/tracing';
import { openTracingStyle } from '../../services/tracing-opentracing';
import { answering, listen, recordingDownstream, spanNamed, startApp, tag, testConfig, testTracer } from './helpers';

test('answers /service/1 with the service number, host names and the trace id', async (t) => {
  const { base, spans } = await startApp(t);
  const res = await fetch(`${base}/service/1`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'Hello from behind Envoy (service 1)! hostname: test-host resolvedhostname: 127.0.0.1\n');
  const traceId = res.headers.get('x-trace-id');
  assert.match(traceId ?? '', /^[0-9a-f]{1,32}$/);
  const span = await pollUntil(() => spanNamed(spans, 'GET /service/:n'), 'the server span');
  assert.equal(span.context().traceIdStr, traceId);
  assert.equal(tag(span, 'span.kind'), 'server');
  assert.equal(tag(span, 'http.status_code'), 200);
});

test('carries x-trace-id on every answer of a traced route, a 400 too, and not on /healthz or a 404', async (t) => {
  const { base } = await startApp(t);
  const carried = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    await res.text();
    return [res.status, /^[0-9a-f]{1,32}$/.test(res.headers.get('x-trace-id') ?? '')];
  };
  assert.deepEqual(await carried('/service/1'), [200, true]);
  assert.deepEqual(await carried('/service/abc'), [400, true]);
  assert.deepEqual(await carried('/trace/0'), [400, true]);
  assert.deepEqual(await carried('/healthz'), [200, false]);
  assert.deepEqual(await carried('/no/such/path'), [404, false]);
});

test('answers without x-trace-id when the OpenTelemetry SDK is disabled', async (t) => {
  const tracing = createTracing({ serviceNumber: '1', propagation: 'w3c', tracer: 'opentelemetry', otelDisabled: true });
  const { base } = await startApp(t, { tracing });
  const res = await fetch(`${base}/service/1`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-trace-id'), null);
  await new Promise<void>((resolve) => tracing.close(resolve));
});

test('with the OpenTelemetry SDK disabled a failed call is still answered 502, and close() calls back at once', async (t) => {
  const tracing = createTracing({ serviceNumber: '1', propagation: 'w3c', tracer: 'opentelemetry', otelDisabled: true });
  const downstream = await recordingDownstream(t, answering(503, 'unavailable'));
  const { base } = await startApp(t, { tracing, config: { downstreamUrl: downstream.url } });
  const res = await fetch(`${base}/trace/1`);
  assert.equal(res.status, 502);
  assert.match(await res.text(), /answered 503\n$/);
  let closed = false;
  tracing.close(() => (closed = true));
  assert.equal(closed, true);
});

test('with TRACER=opentelemetry and the SDK not started before the app, stops with one line that says how to start it', () => {
  assert.throws(() => createTracing({ serviceNumber: '1', propagation: 'w3c', tracer: 'opentelemetry' }), {
    name: 'ConfigError',
    message: 'TRACER is opentelemetry, but the SDK was not started before the app: run node --require ./dist/services/instrumentation.js dist/services/server.js',
  });
});

test('calls the downstream first on /trace/1, then answers', async (t) => {
  const downstream = await recordingDownstream(t);
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const res = await fetch(`${base}/trace/1`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /^Hello from behind Envoy \(service 1\)!/);
  assert.equal(downstream.requests.length, 1);
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.deepEqual(
    Object.fromEntries(client._tags.map((t) => [t.key, t.value])),
    { 'span.kind': 'client', 'http.method': 'GET', 'http.url': downstream.url, 'http.status_code': 200 },
  );
});

test('keeps one connection to the downstream across requests', async (t) => {
  let connections = 0;
  const base = await listen(t, (_req, res) => res.end('downstream ok'), (server) => server.on('connection', () => connections++));
  const app = await startApp(t, { config: { downstreamUrl: `${base}/trace/2` } });
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${app.base}/trace/1`)).status, 200);
  assert.equal(connections, 1, 'three calls, one connection');
});

test('a leaf service answers /trace/2 without calling anyone', async (t) => {
  const { base, spans } = await startApp(t, { config: { serviceNumber: '2' } });
  const res = await fetch(`${base}/trace/2`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /service 2/);
  await pollUntil(() => spanNamed(spans, 'GET /trace/:n'), 'the server span');
  assert.ok(!spans.some((s) => s.operationName === 'call downstream'));
});

test('answers 400 with a one-line reason when the trace number is not an integer', async (t) => {
  const { base, spans } = await startApp(t);
  for (const bad of ['abc', '-1', '0', '1.5', '99999999999']) {
    const res = await fetch(`${base}/trace/${bad}`);
    assert.equal(res.status, 400, bad);
    const body = await res.text();
    assert.equal(body, `Parameter 'n' must be a positive integer, got "${bad}"\n`);
  }
  const span = await pollUntil(() => spanNamed(spans, 'GET /trace/:n'), 'the server span');
  assert.equal(tag(span, 'error'), undefined, "a 4xx is the caller's mistake, not the service's failure");
  assert.equal(tag(span, 'http.status_code'), 400);
  assert.deepEqual(span._logs, []);
});

test('answers 400 to /service/ with a number that is not a service number, as /trace/ does', async (t) => {
  const { base } = await startApp(t);
  const res = await fetch(`${base}/service/abc`);
  assert.equal(res.status, 400);
  assert.equal(await res.text(), `Parameter 'n' must be a positive integer, got "abc"\n`);
});

test('keeps the 400 reason on one line when the path holds a newline or is very long', async (t) => {
  const { base } = await startApp(t);
  const newline = await fetch(`${base}/trace/%0Aabc`);
  assert.equal(newline.status, 400);
  assert.equal(await newline.text(), `Parameter 'n' must be a positive integer, got "\\nabc"\n`);
  const long = await fetch(`${base}/trace/${'x'.repeat(5000)}`);
  assert.equal(long.status, 400);
  assert.equal(await long.text(), `Parameter 'n' must be a positive integer, got "${'x'.repeat(40)}…"\n`);
});

test('answers 400, not 500, to a malformed percent-encoding, and logs nothing', async (t) => {
  const errors: unknown[] = [];
  t.mock.method(console, 'error', (...args: unknown[]) => errors.push(args));
  const { base } = await startApp(t);
  const res = await fetch(`${base}/trace/%E0%A4%A`);
  assert.equal(res.status, 400);
  assert.equal(await res.text(), 'Bad Request\n');
  assert.deepEqual(errors, [], "the caller's mistake is not the service's error");
});

test('answers 404 to an unknown path', async (t) => {
  const { base } = await startApp(t);
  const res = await fetch(`${base}/nope`);
  assert.equal(res.status, 404);
  assert.equal(await res.text(), 'No route for /nope\n');
});

test('answers 200 to /healthz without making a span', async (t) => {
  const { base, spans } = await startApp(t);
  const res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 200);
  assert.equal(spans.length, 0);
});

test('answers 502 quickly when the downstream refuses the connection, with the error on the span', async (t) => {
  const closed = await listen(t, () => {});
  const { base, spans } = await startApp(t, { config: { downstreamUrl: `http://127.0.0.1:1/trace/2` } });
  void closed;
  const started = Date.now();
  const res = await fetch(`${base}/trace/1`);
  assert.equal(res.status, 502);
  assert.match(await res.text(), /^Downstream http:\/\/127\.0\.0\.1:1\/trace\/2 failed: ECONNREFUSED\n$/);
  assert.ok(Date.now() - started < 1000, 'a refused connection fails fast');
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.equal(tag(client, 'error'), true);
  assert.deepEqual(client._logs.flatMap((l) => l.fields.map((f) => [f.key, f.value])), [
    ['event', 'error'],
    ['error.kind', 'DownstreamError'],
    ['message', 'Downstream http://127.0.0.1:1/trace/2 failed: ECONNREFUSED'],
  ]);
  const server = await pollUntil(() => spanNamed(spans, 'GET /trace/:n'), 'the server span');
  assert.equal(tag(server, 'http.status_code'), 502);
  assert.equal(tag(server, 'error'), true);
});

test('answers 504 when the downstream is slower than the timeout, and does not hang', async (t) => {
  const downstream = await recordingDownstream(t, (res) => setTimeout(() => res.end('late'), 2000));
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url, downstreamTimeoutMs: 150 } });
  const started = Date.now();
  const res = await fetch(`${base}/trace/1`);
  const elapsed = Date.now() - started;
  assert.equal(res.status, 504);
  assert.match(await res.text(), /did not answer within 150 ms\n$/);
  assert.ok(elapsed >= 140 && elapsed < 1500, `answered after ${elapsed} ms`);
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.equal(tag(client, 'error'), true);
});

test('answers 502 when the downstream answers with an error status', async (t) => {
  const downstream = await recordingDownstream(t, answering(503, 'unavailable'));
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const res = await fetch(`${base}/trace/1`);
  assert.equal(res.status, 502);
  assert.match(await res.text(), /answered 503\n$/);
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.equal(tag(client, 'http.status_code'), 503);
  assert.equal(tag(client, 'error'), true);
  assert.deepEqual(client._logs.flatMap((l) => l.fields.map((f) => [f.key, f.value])), [
    ['event', 'error'],
    ['message', 'answered 503'],
  ]);
});

test('a downstream 500 makes the client span an error, as every 5xx does', async (t) => {
  const downstream = await recordingDownstream(t, answering(500, 'broken'));
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  assert.equal((await fetch(`${base}/trace/1`)).status, 502);
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.equal(tag(client, 'error'), true);
});

test('any 2xx from the downstream, 299 too, is a success', async (t) => {
  const downstream = await recordingDownstream(t, answering(299, 'fine'));
  const { base } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  const res = await fetch(`${base}/trace/1`);
  assert.equal(res.status, 200, await res.text());
});

test('a downstream 4xx leaves the client span without an error: only a failed call or a 5xx is one', async (t) => {
  const downstream = await recordingDownstream(t, answering(404, 'no such thing'));
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url } });
  await (await fetch(`${base}/trace/1`)).text();
  const client = await pollUntil(() => spanNamed(spans, 'call downstream'), 'the client span');
  assert.equal(tag(client, 'http.status_code'), 404);
  assert.equal(tag(client, 'error'), undefined);
  assert.deepEqual(client._logs, []);
});

test('answers a bare 500 to an unexpected error and keeps serving', async (t) => {
  const downstream = await recordingDownstream(t);
  const { tracer, spans } = testTracer();
  let explode = true;
  // A tracer whose inject fails once: an error nobody anticipated, deep inside the handler.
  const faulty = new Proxy(tracer, {
    get(target, prop, receiver) {
      if (prop === 'inject' && explode) {
        return () => {
          explode = false;
          throw new Error('injector exploded');
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Tracer as typeof tracer;
  const errors: unknown[] = [];
  t.mock.method(console, 'error', (...args: unknown[]) => errors.push(args));
  const { base } = await startApp(t, { tracer: faulty, config: { downstreamUrl: downstream.url } });
  const res = await fetch(`${base}/trace/1`);
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'Internal Server Error\n');
  assert.equal(errors.length, 1, 'the unexpected error is logged once');
  const again = await fetch(`${base}/trace/1`);
  assert.equal(again.status, 200);
  const failed = await pollUntil(() => {
    const span = spans.find((s) => s.operationName === 'GET /trace/:n' && tag(s, 'http.status_code') === 500);
    if (!span) throw new Error('not yet');
    return span;
  }, 'the failed server span');
  assert.equal(tag(failed, 'error'), true);
});

test('ends the server span when the response is ended, not when a busy event loop reports it sent', async (t) => {
  const { tracer, spans } = testTracer();
  const app = createApp({ config: testConfig(), tracing: openTracingStyle(tracer, 'jaeger'), fetch, hostname: 'test-host', resolvedHostname: '127.0.0.1' });
  let endedAtMs = 0;
  // Ahead of the app: the moment the response is handed to the socket, then 50 ms of a busy event loop.
  const base = await listen(t, (req, res) => {
    const end = res.end;
    res.end = function (this: typeof res, ...args: Parameters<typeof res.end>) {
      const result = end.apply(this, args);
      endedAtMs = nowMs();
      const busyUntil = Date.now() + 50;
      while (Date.now() < busyUntil);
      return result;
    } as typeof res.end;
    app(req, res);
  });
  const res = await fetch(`${base}/service/1`);
  assert.equal(res.status, 200);
  const span = await pollUntil(() => spanNamed(spans, 'GET /service/:n'), 'the server span') as unknown as { _startTime: number; _duration: number };
  const spanEndMs = span._startTime + span._duration;
  assert.ok(spanEndMs <= endedAtMs, `the span ends ${(spanEndMs - endedAtMs).toFixed(3)} ms after the response was ended`);
});

test('still finishes the server span, with a log, when the client goes away before the answer', async (t) => {
  const downstream = await recordingDownstream(t, () => {});
  const { base, spans } = await startApp(t, { config: { downstreamUrl: downstream.url, downstreamTimeoutMs: 60_000 } });
  const controller = new AbortController();
  const request = fetch(`${base}/trace/1`, { signal: controller.signal }).catch((err: Error) => err);
  await pollUntil(() => assert.equal(downstream.requests.length, 1), 'the downstream call');
  controller.abort();
  await request;
  const span = await pollUntil(() => spanNamed(spans, 'GET /trace/:n'), 'the server span after the disconnect');
  const events = span._logs.flatMap((l) => l.fields.filter((f) => f.key === 'event').map((f) => f.value));
  assert.ok(events.includes('client disconnected before the response was sent'), events.join(', '));
});

test('maps each kind of error to its status and one-line reason', () => {
  assert.deepEqual(errorResponse(new HttpError(404, 'No route for /x')), { status: 404, reason: 'No route for /x' });
  assert.deepEqual(errorResponse(new DownstreamError(504, 'service2 took longer than 2000 ms')), { status: 504, reason: 'service2 took longer than 2000 ms' });
  // Express's own client errors: their message when it is meant for the caller, else the status text.
  assert.deepEqual(errorResponse({ status: 400, expose: true, message: "Failed to decode param '%E0'\nmore" }), { status: 400, reason: "Failed to decode param '%E0'" });
  assert.deepEqual(errorResponse({ status: 413, expose: false, message: 'internal detail' }), { status: 413, reason: 'Payload Too Large' });
  assert.deepEqual(errorResponse({ status: 499, expose: false }), { status: 499, reason: 'Bad Request' });
  assert.deepEqual(errorResponse({ status: 400, expose: true, message: '' }), { status: 400, reason: 'Bad Request' });
  // Anything else is a bare 500, whatever it says about itself.
  for (const err of [new Error('boom'), { status: 500, expose: true, message: 'db down' }, { status: 399 }, { status: '400' }, null, 'text']) {
    assert.deepEqual(errorResponse(err), { status: 500, reason: 'Internal Server Error' }, JSON.stringify(err));
  }
});

test('logs unexpected errors only, and puts the error on the span', async (t) => {
  const errors: unknown[] = [];
  t.mock.method(console, 'error', (...args: unknown[]) => errors.push(args));
  const { base, spans } = await startApp(t, { config: { downstreamUrl: 'http://127.0.0.1:9/trace/2' } });
  const res = await fetch(`${base}/trace/1`);
  assert.equal(res.status, 502);
  const reason = (await res.text()).trim();
  assert.deepEqual(errors, [], 'a failing downstream is an answer, not a crash');
  const server = await pollUntil(() => spanNamed(spans, 'GET /trace/:n'), 'the server span');
  const fields = server._logs.flatMap((l) => l.fields);
  assert.ok(fields.some((f) => f.key === 'event' && f.value === 'error'));
  assert.ok(fields.some((f) => f.key === 'message' && f.value === reason), `the span logs "${reason}"`);
});

test('sends plain text without x-powered-by or an etag', async (t) => {
  const { base } = await startApp(t);
  for (const path of ['/healthz', '/service/1', '/nope']) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.headers.get('x-powered-by'), null, path);
    assert.equal(res.headers.get('etag'), null, path);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; charset=utf-8$/, path);
  }
  assert.equal(await (await fetch(`${base}/healthz`)).text(), 'ok\n');
});

test('reports one server span per request, with no disconnect note when the answer was sent', async (t) => {
  const { base, spans } = await startApp(t);
  const res = await fetch(`${base}/service/12`);
  assert.equal(res.status, 200, 'a number of several digits is a service number too');
  await res.text();
  await pollUntil(() => spanNamed(spans, 'GET /service/:n'), 'the server span');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const servers = spans.filter((s) => s.operationName === 'GET /service/:n');
  assert.equal(servers.length, 1, 'finished once');
  const events = servers[0]._logs.flatMap((l) => l.fields.filter((f) => f.key === 'event').map((f) => f.value));
  assert.deepEqual(events, []);
});
