import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { withLogs } from './expect';
import { get } from './http';
import { tracesInJaeger } from '../../tools/kept-traces';
import { forcingHeaders, Target } from './target';

const BATCH = 10;

/** The strategies file with one service's probabilistic rate replaced. */
function withRate(json: string, service: string, rate: number): string {
  const strategies = JSON.parse(json);
  strategies.service_strategies = strategies.service_strategies.map((s: { service: string }) =>
    s.service === service ? { service, type: 'probabilistic', param: rate } : s,
  );
  return `${JSON.stringify(strategies, null, 2)}\n`;
}

/**
 * How many of a batch of requests Jaeger keeps. A last request that forces its
 * trace (forcingHeaders) is always kept; once it is in Jaeger, the batch before
 * it, reported earlier by the same processes, is too.
 */
async function sampledOfBatch(target: Target): Promise<number> {
  const answers = await target.sampling.send(BATCH);
  for (const answer of answers) assert.equal(answer.status, 200, answer.body);
  const [marker] = await target.sampling.send(1, forcingHeaders(target.propagation));
  await pollUntil(async () => assert.ok(await target.jaeger.trace(marker.traceId!), 'marker not yet in Jaeger'), 'the marker trace', {
    timeoutMs: 20_000,
    intervalMs: 200,
  });
  // The same count `npm run load -- --count-traces` prints.
  return tracesInJaeger(target.jaeger, answers.map((a) => a.traceId!));
}

async function strategyRate(target: Target, service: string): Promise<number | undefined> {
  const res = await get(`${target.samplingUrl}/sampling?service=${service}`);
  return JSON.parse(res.body).probabilisticSampling?.samplingRate;
}

export function samplingSuite(current: () => Target): void {
  describe('sampling from Jaeger', () => {
    let original: string | undefined;
    after(async () => {
      if (original) await current().writeStrategies(original);
    });

    it('changes what gets sampled when the strategies file changes while everything runs', async () => {
      const target = current();
      const { service } = target.sampling;
      original = target.readStrategies();
      assert.equal(await sampledOfBatch(target), BATCH, `with ${service} at 1.0 every trace is kept`);

      await target.writeStrategies(withRate(original, service, 0));
      await pollUntil(async () => assert.equal(await strategyRate(target, service), 0), `Jaeger to serve rate 0 for ${service}`, {
        timeoutMs: 10_000,
        intervalMs: 200,
      });
      const answer = (await get(`${target.samplingUrl}/sampling?service=${service}`)).body;
      try {
        await pollUntil(async () => assert.equal(await sampledOfBatch(target), 0), `${service} to stop sampling`, {
          timeoutMs: 30_000,
          intervalMs: 200,
        });
      } catch (err) {
        throw withLogs(target, new Error(`${(err as Error).message}\n${service} kept sampling after Jaeger's strategy changed; Jaeger's :5778 answered ${answer}`));
      }

      await target.writeStrategies(original);
      await pollUntil(async () => assert.equal(await sampledOfBatch(target), BATCH), `${service} to sample every trace again`, {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    });
  });
}
