import assert from 'node:assert/strict';
import { describe, test, TestContext } from 'node:test';
import { JaegerTracer } from 'jaeger-client';
import { pollUntil } from '../../lib/poll';
import { readStrategy } from '../../services/sampling';
import { createJaegerClientTracer } from '../../services/jaeger-client';
import { listen, withEnv } from './helpers';

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
  withEnv(t, {
    JAEGER_SAMPLER_MANAGER_HOST_PORT: hostPort,
    JAEGER_SAMPLER_REFRESH_INTERVAL: '100',
    JAEGER_AGENT_HOST: '127.0.0.1',
    JAEGER_AGENT_PORT: '9',
  });
  const tracer = createJaegerClientTracer({ serviceNumber: '1', propagation: 'jaeger', logger: { info: () => {}, error: (msg) => errors.push(msg) } });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  return { tracer, errors };
}

const sampled = (tracer: JaegerTracer, operation = 'probe') => {
  const span = tracer.startSpan(operation);
  span.finish();
  return (span.context() as unknown as { isSampled(): boolean }).isSampled();
};

/** Serves `first` until the tracer applies it (nothing sampled), then `then`. */
async function appliesRateZeroFrom(t: TestContext, answer: unknown) {
  const server = await strategyServer(t, () => answer);
  const { tracer, errors } = tracerFor(t, server.hostPort);
  assert.equal(sampled(tracer), true, 'every trace is kept until Jaeger answers');
  await pollUntil(() => assert.equal(sampled(tracer), false), `the sampler to apply ${JSON.stringify(answer)}`, { timeoutMs: 5000 });
  assert.deepEqual(errors, []);
}

describe('remote sampling, against a strategy server', () => {
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

  test('follows the legacy numeric form that Jaeger before 2.16 serves', async (t) => {
    let rate = 0;
    const server = await strategyServer(t, () => ({ strategyType: 0, probabilisticSampling: { samplingRate: rate } }));
    const { tracer, errors } = tracerFor(t, server.hostPort);
    await pollUntil(() => assert.equal(sampled(tracer), false), 'the sampler to apply rate 0', { timeoutMs: 5000 });
    rate = 1;
    await pollUntil(() => assert.equal(sampled(tracer), true), 'the sampler to apply rate 1', { timeoutMs: 5000 });
    assert.deepEqual(errors, []);
  });

  test('applies a rate of 0 that protobuf JSON leaves out, with the type left out too', async (t) => {
    await appliesRateZeroFrom(t, { probabilisticSampling: {} });
  });

  test('applies rate limiting in the legacy numeric form', async (t) => {
    await appliesRateZeroFrom(t, { strategyType: 1, rateLimitingSampling: { maxTracesPerSecond: 0 } });
  });

  test('applies rate limiting in the string form, with the zero limit left out', async (t) => {
    await appliesRateZeroFrom(t, { strategyType: 'RATE_LIMITING', rateLimitingSampling: {} });
  });

  test('applies per-operation strategies, with the zero values left out', async (t) => {
    const server = await strategyServer(t, () => ({
      strategyType: 0,
      probabilisticSampling: { samplingRate: 1 },
      operationSampling: {
        defaultSamplingProbability: 1,
        perOperationStrategies: [{ operation: 'probe-off', probabilisticSampling: {} }],
      },
    }));
    const { tracer, errors } = tracerFor(t, server.hostPort);
    await pollUntil(() => assert.equal(sampled(tracer, 'probe-off'), false), 'the per-operation rate of 0 for probe-off', { timeoutMs: 5000 });
    assert.equal(sampled(tracer, 'probe'), true, 'other operations keep the default probability of 1');
    assert.deepEqual(errors, []);
  });

  test('applies the default strategy that comes with an empty per-operation list', async (t) => {
    // A service strategy in Jaeger's file with "operationStrategies": [].
    await appliesRateZeroFrom(t, {
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: {},
      operationSampling: { defaultSamplingProbability: 0, perOperationStrategies: [] },
    });
  });

  test("applies adaptive sampling's first answer, which has only the per-operation default", async (t) => {
    await appliesRateZeroFrom(t, { operationSampling: { defaultLowerBoundTracesPerSecond: 0.0166 } });
  });

  test('keeps the sampler it has and logs one line when an answer is neither form', async (t) => {
    let answer: unknown = { strategyType: 0, probabilisticSampling: { samplingRate: 0 } };
    const server = await strategyServer(t, () => answer);
    const { tracer, errors } = tracerFor(t, server.hostPort);
    await pollUntil(() => assert.equal(sampled(tracer), false), 'the sampler to apply rate 0', { timeoutMs: 5000 });
    answer = { strategyType: 'ADAPTIVE', probabilisticSampling: { samplingRate: 1 } };
    const polls = server.asked.length;
    await pollUntil(() => assert.ok(server.asked.length >= polls + 2 && errors.length >= 1), 'two polls answered in an unknown form', { timeoutMs: 5000 });
    assert.equal(sampled(tracer), false, 'rate 0 still applies');
    assert.equal(errors[0].includes('\n'), false, 'one line');
    assert.match(errors[0], /sampling strategy not understood \(unknown strategyType "ADAPTIVE"\), keeping the current sampler/);
  });
});

describe('reading a sampling answer', () => {
  test('reads the legacy and the current probabilistic form alike', () => {
    const expected = { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 0.25 } };
    assert.deepEqual(readStrategy({ strategyType: 0, probabilisticSampling: { samplingRate: 0.25 } }), expected);
    assert.deepEqual(readStrategy({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 0.25 } }), expected);
    assert.deepEqual(readStrategy({ probabilisticSampling: { samplingRate: 0.25 } }), expected);
  });

  test('reads the legacy and the current rate-limiting form alike', () => {
    const expected = { strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: 3 } };
    assert.deepEqual(readStrategy({ strategyType: 1, rateLimitingSampling: { maxTracesPerSecond: 3 } }), expected);
    assert.deepEqual(readStrategy({ strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: 3 } }), expected);
    assert.deepEqual(readStrategy({ rateLimitingSampling: { maxTracesPerSecond: 3 } }), expected);
  });

  test('fills in the zeros protobuf JSON leaves out of per-operation strategies', () => {
    assert.deepEqual(
      readStrategy({
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0.5 },
        operationSampling: {
          defaultSamplingProbability: 0.5,
          perOperationStrategies: [
            { operation: 'GET /trace/:n', probabilisticSampling: { samplingRate: 0.1 } },
            { operation: 'GET /healthz', probabilisticSampling: {} },
          ],
        },
      }),
      {
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0.5 },
        operationSampling: {
          defaultSamplingProbability: 0.5,
          defaultLowerBoundTracesPerSecond: 0,
          perOperationStrategies: [
            { operation: 'GET /trace/:n', probabilisticSampling: { samplingRate: 0.1 } },
            { operation: 'GET /healthz', probabilisticSampling: { samplingRate: 0 } },
          ],
        },
      },
    );
  });

  test('refuses what is neither form, naming the problem', () => {
    const refused: Array<[unknown, RegExp]> = [
      [null, /not a JSON object/],
      [[0], /not a JSON object/],
      [{ strategyType: 2, probabilisticSampling: { samplingRate: 1 } }, /unknown strategyType 2/],
      [{ strategyType: 'constructor', probabilisticSampling: { samplingRate: 1 } }, /unknown strategyType "constructor"/],
      [{ strategyType: '0', probabilisticSampling: { samplingRate: 1 } }, /unknown strategyType "0"/],
      [{ strategyType: 0 }, /probabilisticSampling is missing/],
      [{ strategyType: 1, probabilisticSampling: { samplingRate: 1 } }, /rateLimitingSampling is missing/],
      [{ strategyType: 0, probabilisticSampling: { samplingRate: 1.5 } }, /samplingRate must be a number from 0 to 1, got 1.5/],
      [{ strategyType: 0, probabilisticSampling: { samplingRate: '1' } }, /samplingRate must be a number from 0 to 1, got "1"/],
      [{ strategyType: 1, rateLimitingSampling: { maxTracesPerSecond: -1 } }, /maxTracesPerSecond must be a number of at least 0, got -1/],
      // JSON has no Infinity, but JSON.parse reads an overflowing number as one.
      [JSON.parse('{"strategyType": 1, "rateLimitingSampling": {"maxTracesPerSecond": 1e999}}'), /maxTracesPerSecond must be a number of at least 0, got Infinity/],
      [{ operationSampling: [] }, /operationSampling is not an object/],
      [{ operationSampling: { perOperationStrategies: {} } }, /perOperationStrategies is not a list/],
      [{ operationSampling: { perOperationStrategies: [{ probabilisticSampling: {} }] } }, /a per-operation strategy has no operation name/],
    ];
    for (const [answer, reason] of refused) {
      assert.throws(() => readStrategy(answer), reason, JSON.stringify(answer));
    }
  });

  test('keeps the lower bound of per-operation sampling', () => {
    const read = readStrategy({ operationSampling: { defaultSamplingProbability: 0.1, defaultLowerBoundTracesPerSecond: 2 } });
    assert.deepEqual(read, {
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: 0.1 },
      operationSampling: { defaultSamplingProbability: 0.1, defaultLowerBoundTracesPerSecond: 2, perOperationStrategies: [] },
    });
  });

  test('keeps the default strategy that comes with per-operation strategies, rate limiting too', () => {
    const read = readStrategy({
      strategyType: 1,
      rateLimitingSampling: { maxTracesPerSecond: 2 },
      operationSampling: { defaultSamplingProbability: 0.2, perOperationStrategies: [] },
    });
    assert.deepEqual(read, {
      strategyType: 'RATE_LIMITING',
      rateLimitingSampling: { maxTracesPerSecond: 2 },
      operationSampling: { defaultSamplingProbability: 0.2, defaultLowerBoundTracesPerSecond: 0, perOperationStrategies: [] },
    });
  });

  test("takes a service's own probabilistic rate over the per-operation default", () => {
    const read = readStrategy({
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: 0.3 },
      operationSampling: { defaultSamplingProbability: 0.7, perOperationStrategies: [] },
    });
    assert.deepEqual(read.strategyType === 'PROBABILISTIC' && read.probabilisticSampling, { samplingRate: 0.3 });
  });

  test('shows an answer of up to 200 characters whole, and cuts a longer one', () => {
    const answer = (length: number) => ({ strategyType: 'X', pad: 'p'.repeat(length - JSON.stringify({ strategyType: 'X', pad: '' }).length) });
    assert.equal(JSON.stringify(answer(200)).length, 200);
    assert.throws(() => readStrategy(answer(200)), (err: Error) => err.name === 'StrategyError' && err.message.endsWith(`${JSON.stringify(answer(200))}`));
    assert.throws(() => readStrategy(answer(201)), (err: Error) => err.message.endsWith(`${JSON.stringify(answer(201)).slice(0, 200)}…`));
  });

  test('keeps a long answer to one short line in its reason', () => {
    const answer = { strategyType: 'ADAPTIVE', note: 'x'.repeat(1000) };
    assert.throws(
      () => readStrategy(answer),
      (err: Error) => err.message.length < 400 && !err.message.includes('\n') && err.message.endsWith('…'),
    );
  });
});
