import assert from 'node:assert/strict';
import { test, TestContext } from 'node:test';
import { JaegerTracer } from 'jaeger-client';
import { pollUntil } from '../../tools/poll';
import { createTracer } from '../../services/tracing';
import { listen } from './helpers';

/** A sampling endpoint that answers what the test says, recording what it was asked. */
async function strategyServer(t: TestContext, answer: () => unknown) {
  const asked: string[] = [];
  const base = await listen(t, (req, res) => {
    asked.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer()));
  });
  return { hostPort: base.replace('http://', ''), asked };
}

function tracerFor(t: TestContext, hostPort: string): { tracer: JaegerTracer; errors: string[] } {
  const errors: string[] = [];
  const env = {
    JAEGER_SAMPLER_MANAGER_HOST_PORT: hostPort,
    JAEGER_SAMPLER_REFRESH_INTERVAL: '100',
    JAEGER_AGENT_HOST: '127.0.0.1',
    JAEGER_AGENT_PORT: '9',
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const tracer = createTracer({ serviceNumber: '1', propagation: 'jaeger', logger: { info: () => {}, error: (msg) => errors.push(msg) } });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  return { tracer, errors };
}

const sampled = (tracer: JaegerTracer) => {
  const span = tracer.startSpan('probe');
  span.finish();
  return (span.context() as unknown as { isSampled(): boolean }).isSampled();
};

test('takes its sampling rate from Jaeger at /sampling?service=service1, and follows changes', async (t) => {
  let rate = 0;
  const server = await strategyServer(t, () => ({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: rate } }));
  const { tracer, errors } = tracerFor(t, server.hostPort);
  assert.equal(sampled(tracer), true, 'every trace is kept until Jaeger answers');
  await pollUntil(() => assert.equal(sampled(tracer), false), 'the sampler to apply rate 0', { timeoutMs: 5000 });
  assert.match(server.asked[0], /^\/sampling\?service=service1$/);
  rate = 1;
  await pollUntil(() => assert.equal(sampled(tracer), true), 'the sampler to apply rate 1', { timeoutMs: 5000 });
  assert.deepEqual(errors, []);
});

test('keeps its sampler and logs the error when Jaeger answers in the legacy numeric format', async (t) => {
  // What Jaeger before 2.16 serves on :5778: strategyType as a number.
  const server = await strategyServer(t, () => ({ strategyType: 0, probabilisticSampling: { samplingRate: 0 } }));
  const { tracer, errors } = tracerFor(t, server.hostPort);
  await pollUntil(() => assert.ok(server.asked.length >= 2), 'two sampling polls', { timeoutMs: 5000 });
  assert.equal(sampled(tracer), true, 'the rate of 0 never applies');
  assert.match(errors[0], /Malformed response/);
});
