import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, TestContext } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { pollUntil } from '../../lib/poll';
import { jaegerRemoteSampler, routeSdkLogs, samplerFor } from '../../services/opentelemetry';
import { listen } from './helpers';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
/** A trace id the ratio samplers keep at a ratio above 1/16 and drop below it. */
const LOW_TRACE_ID = '00000000000000001000000000000000';

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

type Sampler = { shouldSample: (...args: never[]) => { decision: SamplingDecision } };

/** Asks the sampler whether it keeps a new trace. */
function keepsRoot(sampler: Sampler, traceId = TRACE_ID): boolean {
  const decide = sampler.shouldSample as unknown as (...args: unknown[]) => { decision: SamplingDecision };
  return decide.call(sampler, context.active(), traceId, 'GET /trace/:n', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
}

const sampledParent = () => trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });

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
  assert.equal(sampler.shouldSample(sampledParent(), TRACE_ID, 'x', SpanKind.SERVER, {}, []).decision, SamplingDecision.RECORD_AND_SAMPLED);
  assert.equal(keepsRoot(sampler), false);
});

test('as the sampler of the 3.x tracer provider, the remote sampler keeps nothing at an initial rate of 0 but a sampled parent', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: jaegerRemoteSampler({ endpoint: 'http://127.0.0.1:1', pollingIntervalMs: 5000, initialSamplingRate: 0 }, 'service1'),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('test');
  tracer.startSpan('not kept').end();
  tracer.startSpan('kept', {}, sampledParent()).end();
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ['kept']);
});

test('OTEL_TRACES_SAMPLER gives the sampler the specification names', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] }); // jaeger_remote's poll
  const parent = sampledParent();
  const decide = (setting: Parameters<typeof samplerFor>[0], traceId = TRACE_ID, ctx = ROOT_CONTEXT) =>
    samplerFor(setting, 'service1').shouldSample(ctx, traceId, 'x', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
  assert.equal(decide({ name: 'always_on' }), true);
  assert.equal(decide({ name: 'always_off' }), false);
  assert.equal(decide({ name: 'always_off' }, TRACE_ID, parent), false, 'always_off ignores the parent');
  assert.equal(decide({ name: 'parentbased_always_off' }), false);
  assert.equal(decide({ name: 'parentbased_always_off' }, TRACE_ID, parent), true, 'parent-based follows a sampled parent');
  assert.equal(decide({ name: 'parentbased_always_on' }), true);
  assert.equal(decide({ name: 'traceidratio', ratio: 0.5 }, LOW_TRACE_ID), true);
  assert.equal(decide({ name: 'traceidratio', ratio: 0.05 }, LOW_TRACE_ID), false);
  assert.equal(decide({ name: 'parentbased_traceidratio', ratio: 0 }, LOW_TRACE_ID), false);
  assert.equal(decide({ name: 'parentbased_traceidratio', ratio: 0 }, LOW_TRACE_ID, parent), true);
  assert.equal(samplerFor({ name: 'always_off' }, 'service1').toString(), 'AlwaysOffSampler');
  assert.match(samplerFor({ name: 'parentbased_always_off' }, 'service1').toString(), /^ParentBased\{root=AlwaysOffSampler,/);
  assert.match(samplerFor({ name: 'jaeger_remote', remote: { endpoint: 'http://127.0.0.1:1', pollingIntervalMs: 86_400_000, initialSamplingRate: 1 } }, 'service1').toString(), /^JaegerRemoteSampler\{endpoint=http:\/\/127\.0\.0\.1:1, serviceName=service1,/);
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('an unreachable sampling endpoint costs one line a poll, and one that fetch refuses to call names the reason fetch gives', async (t) => {
  const port = await closedPort();
  t.mock.timers.enable({ apis: ['setInterval'] });
  const log: string[] = [];
  routeSdkLogs((line) => log.push(line));
  jaegerRemoteSampler({ endpoint: `http://127.0.0.1:${port}`, pollingIntervalMs: 5000, initialSamplingRate: 1 }, 'service1');
  t.mock.timers.tick(5000);
  await pollUntil(() => assert.equal(log.length, 1), 'the line');
  assert.equal(log[0], 'opentelemetry: Could not update sampler: fetch failed (ECONNREFUSED)');
  log.length = 0;
  t.mock.timers.reset();
  t.mock.timers.enable({ apis: ['setInterval'] });
  // Port 1 is on fetch's list of ports it never calls: the error has a cause without a code.
  jaegerRemoteSampler({ endpoint: 'http://127.0.0.1:1', pollingIntervalMs: 5000, initialSamplingRate: 1 }, 'service1');
  t.mock.timers.tick(5000);
  await pollUntil(() => assert.deepEqual(log, ['opentelemetry: Could not update sampler: fetch failed (bad port)']), 'the line');
});
