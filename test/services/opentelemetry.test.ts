import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, TestContext } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, InMemorySpanExporter, ReadableSpan, SamplingDecision, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import fetch from 'node-fetch';
import { FORMAT_HTTP_HEADERS } from 'opentracing';
import { createApp } from '../../services/app';
import { loadConfig } from '../../services/config';
import { createOpenTelemetryTracer, jaegerRemoteSampler, OpenTelemetryTracer, W3CPropagator } from '../../services/opentelemetry';
import { createTracer } from '../../services/tracing';
import { pollUntil } from '../../lib/poll';
import { listen, recordingDownstream, testConfig, withEnv } from './helpers';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

const headerGetter = { get: (c: Record<string, string>, k: string) => c[k], keys: (c: Record<string, string>) => Object.keys(c) };
const headerSetter = { set: (c: Record<string, string>, k: string, v: string) => (c[k] = v) };

/** An OpenTelemetry tracer whose spans are kept here, each as soon as it ends. */
function memoryTracer(t: TestContext, log: string[] = []): { tracer: OpenTelemetryTracer; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const tracer = createOpenTelemetryTracer({ serviceName: 'service1', processor: new SimpleSpanProcessor(exporter), log: (line) => log.push(line) });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  return { tracer, spans: () => exporter.getFinishedSpans() };
}

/** The app on an OpenTelemetry tracer, calling downstreamUrl if given; its base URL. */
function startOtelApp(t: TestContext, tracer: OpenTelemetryTracer, downstreamUrl?: string): Promise<string> {
  const config = testConfig({ tracer: 'opentelemetry', propagation: 'w3c', downstreamUrl });
  return listen(t, createApp({ config, tracer, fetch, hostname: 'test-host', resolvedHostname: '127.0.0.1' }));
}

const byName = (spans: ReadableSpan[], name: string) => {
  const span = spans.find((s) => s.name === name);
  assert.ok(span, `no span "${name}" among: ${spans.map((s) => s.name).join(', ') || 'none'}`);
  return span;
};

test('writes W3C traceparent and baggage, and no uber-trace-id', () => {
  const propagator = new W3CPropagator();
  const spanContext = { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: TraceFlags.SAMPLED };
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, headerSetter);
  assert.deepEqual(carrier, { traceparent: TRACEPARENT });
  assert.deepEqual(propagator.fields(), ['traceparent', 'tracestate', 'baggage']);
});

test('reads traceparent, or else uber-trace-id, and traceparent wins when both come', () => {
  const propagator = new W3CPropagator();
  const read = (carrier: Record<string, string>) => trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, headerGetter));
  assert.equal(read({ traceparent: TRACEPARENT })?.spanId, PARENT_ID);
  const jaeger = read({ 'uber-trace-id': `${TRACE_ID}:1111111111111111:0:1` });
  assert.deepEqual([jaeger?.traceId, jaeger?.spanId, jaeger?.traceFlags], [TRACE_ID, '1111111111111111', TraceFlags.SAMPLED]);
  assert.equal(read({ traceparent: TRACEPARENT, 'uber-trace-id': `${TRACE_ID}:1111111111111111:0:1` })?.spanId, PARENT_ID);
  assert.equal(read({ traceparent: '00-not-a-trace-01' }), undefined, 'a malformed traceparent gives no parent');
});

test('a request through the app: server and client spans under the caller, the client span written downstream', async (t) => {
  const { tracer, spans } = memoryTracer(t);
  const downstream = await recordingDownstream(t);
  const base = await startOtelApp(t, tracer, downstream.url);
  const res = await fetch(`${base}/trace/1`, { headers: { traceparent: TRACEPARENT, 'x-request-id': 'rid-1', 'uber-trace-id': `${TRACE_ID}:2222222222222222:0:1` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-trace-id'), TRACE_ID);
  const server = await pollUntil(() => byName(spans(), 'GET /trace/:n'), 'the server span');
  const client = await pollUntil(() => byName(spans(), 'call downstream'), 'the client span');
  assert.equal(server.spanContext().traceId, TRACE_ID);
  assert.equal(server.parentSpanContext?.spanId, PARENT_ID);
  assert.equal(client.parentSpanContext?.spanId, server.spanContext().spanId);
  assert.equal(server.attributes['http.status_code'], 200);
  assert.equal(server.resource.attributes['service.name'], 'service1');
  // The shim keeps OpenTracing's span.kind as a tag; OpenTelemetry's own kind stays INTERNAL (opentelemetry-js#3797).
  assert.equal(server.attributes['span.kind'], 'server');
  assert.equal(server.kind, SpanKind.INTERNAL);
  const sent = downstream.requests[0];
  assert.equal(sent.traceparent, `00-${TRACE_ID}-${client.spanContext().spanId}-01`);
  assert.equal(sent['uber-trace-id'], undefined, 'only the own format is written');
  assert.equal(sent['x-request-id'], 'rid-1');
});

test('a malformed traceparent starts a new trace, and the request is answered', async (t) => {
  const { tracer, spans } = memoryTracer(t);
  const base = await startOtelApp(t, tracer);
  const res = await fetch(`${base}/trace/2`, { headers: { traceparent: '00-zzzz-yyyy-01' } });
  assert.equal(res.status, 200);
  const server = await pollUntil(() => byName(spans(), 'GET /trace/:n'), 'the server span');
  assert.equal(server.parentSpanContext, undefined);
  assert.match(server.spanContext().traceId, /^[0-9a-f]{32}$/);
  assert.equal(res.headers.get('x-trace-id'), server.spanContext().traceId);
});

test('close() sends the spans the batch still holds', async () => {
  const sent: string[] = [];
  const exporter: SpanExporter = {
    export: (spans, done) => {
      sent.push(...spans.map((s) => s.name));
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => {},
  };
  const tracer = createOpenTelemetryTracer({ serviceName: 'service2', processor: new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 }), log: () => {} });
  tracer.startSpan('waiting').finish();
  assert.deepEqual(sent, [], 'still in the batch');
  await new Promise<void>((resolve) => tracer.close(resolve));
  assert.deepEqual(sent, ['waiting']);
});

test('an unreachable OTLP endpoint costs one line a failed batch, and one for the last batch on close', async (t) => {
  const port = await closedPort();
  withEnv(t, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`, OTEL_EXPORTER_OTLP_TIMEOUT: '1000', OTEL_BSP_SCHEDULE_DELAY: '50' });
  const log: string[] = [];
  const tracer = createOpenTelemetryTracer({ serviceName: 'service2', log: (line) => log.push(line) });
  tracer.startSpan('lost on the way').finish();
  await pollUntil(() => assert.deepEqual(log, [`opentelemetry: could not send spans: connect ECONNREFUSED 127.0.0.1:${port}`]), 'the line');
  tracer.startSpan('lost at the end').finish();
  await new Promise<void>((resolve) => tracer.close(resolve));
  assert.deepEqual(log.slice(1), [`opentelemetry: could not send the last spans: connect ECONNREFUSED 127.0.0.1:${port}`]);
});

/** A Jaeger sampling endpoint answering what the test sets, recording the service asked for. */
async function samplingEndpoint(t: TestContext): Promise<{ endpoint: string; answer: { body: unknown }; asked: string[] }> {
  const answer: { body: unknown } = { body: {} };
  const asked: string[] = [];
  const endpoint = await listen(t, (req: http.IncomingMessage, res: http.ServerResponse) => {
    asked.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer.body));
  });
  return { endpoint, answer, asked };
}

/** Asks the sampler whether it keeps a new trace. */
function keepsRoot(sampler: ReturnType<typeof jaegerRemoteSampler>): boolean {
  const decision = sampler.shouldSample(context.active(), TRACE_ID, 'GET /trace/:n', SpanKind.SERVER, {}, []).decision;
  return decision === SamplingDecision.RECORD_AND_SAMPLED;
}

test("the remote sampler reads Jaeger's answer in both forms, and keeps its sampler for one it cannot use", async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] }); // the sampler polls on its own; the test asks instead
  const { endpoint, answer, asked } = await samplingEndpoint(t);
  const sampler = jaegerRemoteSampler({ endpoint, pollingIntervalMs: 5000, initialSamplingRate: 1 }, 'service1');
  const poll = () => sampler['getAndUpdateSampler']();
  assert.equal(keepsRoot(sampler), true, 'the initial rate');

  answer.body = { strategyType: 0, probabilisticSampling: { samplingRate: 0 } }; // Jaeger before 2.16
  await poll();
  assert.equal(keepsRoot(sampler), false);
  assert.deepEqual(asked, ['/sampling?service=service1']);

  answer.body = { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 1 } }; // 2.16 and later
  await poll();
  assert.equal(keepsRoot(sampler), true);

  answer.body = { probabilisticSampling: {} }; // a rate of 0, as protobuf JSON leaves it out
  await poll();
  assert.equal(keepsRoot(sampler), false);

  answer.body = { strategyType: 1, rateLimitingSampling: { maxTracesPerSecond: 5 } }; // not supported: keeps rate 0
  await poll();
  assert.equal(keepsRoot(sampler), false);

  answer.body = { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 'all' } };
  await assert.rejects(poll(), /^StrategyError: sampling strategy not understood \(samplingRate must be a number from 0 to 1, got "all"\)/);
  assert.equal(keepsRoot(sampler), false, 'a bad answer changes nothing');
});

test('the remote sampler applies the default strategy that comes with an empty per-operation list', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { endpoint, answer } = await samplingEndpoint(t);
  const sampler = jaegerRemoteSampler({ endpoint, pollingIntervalMs: 5000, initialSamplingRate: 1 }, 'service1');
  const poll = () => sampler['getAndUpdateSampler']();
  // A service strategy in Jaeger's file with "operationStrategies": [].
  answer.body = {
    strategyType: 'PROBABILISTIC',
    probabilisticSampling: { samplingRate: 0 },
    operationSampling: { defaultSamplingProbability: 0, perOperationStrategies: [] },
  };
  await poll();
  assert.equal(keepsRoot(sampler), false, 'rate 0 applies');
  // Adaptive sampling before it has data: the default probability alone, the type left out.
  answer.body = { operationSampling: { defaultSamplingProbability: 1, defaultLowerBoundTracesPerSecond: 0.0166 } };
  await poll();
  assert.equal(keepsRoot(sampler), true, 'the default probability of 1 applies');
});

test('the remote sampler follows a sampled parent whatever its own rate', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { endpoint } = await samplingEndpoint(t);
  const sampler = jaegerRemoteSampler({ endpoint, pollingIntervalMs: 5000, initialSamplingRate: 0 }, 'service1');
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
  assert.equal(sampler.shouldSample(parent, TRACE_ID, 'x', SpanKind.SERVER, {}, []).decision, SamplingDecision.RECORD_AND_SAMPLED);
  assert.equal(keepsRoot(sampler), false);
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('an unreachable sampling endpoint costs one line a poll', async (t) => {
  const port = await closedPort();
  t.mock.timers.enable({ apis: ['setInterval'] });
  const log: string[] = [];
  const tracer = createOpenTelemetryTracer({
    serviceName: 'service1',
    jaegerRemote: { endpoint: `http://127.0.0.1:${port}`, pollingIntervalMs: 5000, initialSamplingRate: 1 },
    processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
    log: (line) => log.push(line),
  });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  t.mock.timers.tick(5000);
  await pollUntil(() => assert.equal(log.length, 1), 'the line');
  assert.equal(log[0], 'opentelemetry: Could not update sampler: fetch failed (ECONNREFUSED)');
});

test('TRACER=jaeger-client gives jaeger-client, named after the service number', (t) => {
  const tracer = createTracer(loadConfig({ SERVICE_NAME: '2' }));
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  assert.equal((tracer as unknown as { _serviceName: string })._serviceName, 'service2');
});

test('TRACER=opentelemetry gives the OpenTelemetry tracer, reading W3C through the OpenTracing API', (t) => {
  const tracer = createTracer(loadConfig({ SERVICE_NAME: '1', TRACER: 'opentelemetry' }));
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  const extracted = tracer.extract(FORMAT_HTTP_HEADERS, { traceparent: TRACEPARENT });
  assert.equal(extracted?.toTraceId(), TRACE_ID);
  assert.equal(extracted?.toSpanId(), PARENT_ID);
});

test('OTEL_SDK_DISABLED=true gives a tracer that records and writes nothing', (t) => {
  const tracer = createTracer(loadConfig({ SERVICE_NAME: '1', TRACER: 'opentelemetry', OTEL_SDK_DISABLED: 'true' }));
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  const span = tracer.startSpan('GET /trace/:n');
  const headers: Record<string, string> = {};
  tracer.inject(span.context(), FORMAT_HTTP_HEADERS, headers);
  assert.deepEqual(headers, {});
  assert.equal(span.context().toTraceId(), '');
});

test('a sampling endpoint fetch refuses to call is named with the reason fetch gives', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const log: string[] = [];
  const tracer = createOpenTelemetryTracer({
    serviceName: 'service1',
    // Port 1 is on fetch's list of ports it never calls: the error has a cause without a code.
    jaegerRemote: { endpoint: 'http://127.0.0.1:1', pollingIntervalMs: 5000, initialSamplingRate: 1 },
    processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
    log: (line) => log.push(line),
  });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  t.mock.timers.tick(5000);
  await pollUntil(() => assert.deepEqual(log, ['opentelemetry: Could not update sampler: fetch failed (bad port)']), 'the line');
});

test('W3C baggage from the caller is recorded on the server span and written downstream', async (t) => {
  const { tracer, spans } = memoryTracer(t);
  const downstream = await recordingDownstream(t);
  const base = await startOtelApp(t, tracer, downstream.url);
  const res = await fetch(`${base}/trace/1`, { headers: { traceparent: TRACEPARENT, baggage: 'tenant=acme' } });
  assert.equal(res.status, 200);
  const server = await pollUntil(() => byName(spans(), 'GET /trace/:n'), 'the server span');
  assert.equal(server.attributes['baggage.tenant'], 'acme');
  assert.equal(downstream.requests[0].baggage, 'tenant=acme');
});

test('with OTEL_TRACES_SAMPLER unset, keeps every trace it starts (the SDK default, parentbased_always_on)', (t) => {
  assert.equal(process.env.OTEL_TRACES_SAMPLER, undefined);
  const { tracer, spans } = memoryTracer(t);
  for (let i = 0; i < 50; i++) tracer.startSpan(`root ${i}`).finish();
  assert.equal(spans().length, 50);
});

test('behind the OpenTracing shim, baggage without a trace context is lost: a direct call starts a trace without it', async (t) => {
  const { tracer, spans } = memoryTracer(t);
  const downstream = await recordingDownstream(t);
  const base = await startOtelApp(t, tracer, downstream.url);
  const res = await fetch(`${base}/trace/1`, { headers: { baggage: 'tenant=acme' } });
  assert.equal(res.status, 200);
  const server = await pollUntil(() => byName(spans(), 'GET /trace/:n'), 'the server span');
  assert.equal(server.parentSpanContext, undefined, 'a new trace');
  assert.equal(server.attributes['baggage.tenant'], undefined);
  assert.equal(downstream.requests[0].baggage, undefined);
});

test('names the service on every span, and OTEL_SERVICE_NAME renames it', async (t) => {
  const exporter = new InMemorySpanExporter();
  const plain = createOpenTelemetryTracer({ serviceName: 'service2', processor: new SimpleSpanProcessor(exporter), log: () => {} });
  plain.startSpan('one').finish();
  const [span] = exporter.getFinishedSpans();
  assert.equal(span.resource.attributes['service.name'], 'service2');
  assert.equal(span.resource.attributes['trace.propagation'], 'w3c');
  await new Promise<void>((resolve) => plain.close(resolve));
  withEnv(t, { OTEL_SERVICE_NAME: 'checkout' });
  const renamed = new InMemorySpanExporter();
  const tracer = createOpenTelemetryTracer({ serviceName: 'service2', processor: new SimpleSpanProcessor(renamed), log: () => {} });
  tracer.startSpan('two').finish();
  assert.equal(renamed.getFinishedSpans()[0].resource.attributes['service.name'], 'checkout');
  await new Promise<void>((resolve) => tracer.close(resolve));
});

test('samples new traces with the remote sampler: at an initial rate of 0 nothing is kept until Jaeger answers', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const exporter = new InMemorySpanExporter();
  const tracer = createOpenTelemetryTracer({
    serviceName: 'service1',
    jaegerRemote: { endpoint: 'http://127.0.0.1:1', pollingIntervalMs: 5000, initialSamplingRate: 0 },
    processor: new SimpleSpanProcessor(exporter),
    log: () => {},
  });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  tracer.startSpan('not kept').finish();
  const child = tracer.startSpan('kept', { childOf: tracer.extract(FORMAT_HTTP_HEADERS, { traceparent: TRACEPARENT })! });
  child.finish();
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ['kept']);
});
