/**
 * Tail-based sampling (JAEGER_SAMPLING=tail, docs/labs.md#keep-the-traces-that-matter): every
 * hop keeps every trace, and Jaeger stores those its policies keep once their spans are in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { binomialBound } from '../../lib/stats';
import { ABORTED_HOPS, DELAYED_HOPS, shapeProblems, TRACE_HOPS } from '../../tools/trace-shape';
import { settledTraceCount } from '../../tools/kept-traces';
import { shapeOptionsFor, withLogs } from './expect';
import { Answer, get } from './http';
import { figures } from './monitor';
import { Target } from './target';

/** The settings this suite starts Jaeger with: not the defaults, so the test shows they are read. */
export const TAIL_SETTINGS = { JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: '0.2', TAIL_SAMPLING_THRESHOLD_MS: '400' };
const SHARE = 0.2;
const THRESHOLD_MS = 400;
/** Plain requests take a few milliseconds; these take 250 ms longer than the threshold. */
const DELAY_MS = 650;
const PLAIN = 300;
const FAULTY = 20;
/** decision_wait (5 s), the hops' 1 s flush, and a slow machine. */
const DECISION_TIMEOUT_MS = 40_000;

/** Requests in parallel batches, each with the same headers. */
async function send(target: Target, count: number, headers: Record<string, string> = {}, parallel = 10): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Math.min(parallel, count - i);
    answers.push(...(await Promise.all(Array.from({ length: batch }, () => get(`${target.proxy}/trace/1`, headers)))));
  }
  return answers;
}

const ids = (answers: Answer[]): string[] => answers.map((a) => {
  assert.ok(a.traceId, `an answer without x-trace-id: ${a.status} ${a.body}`);
  return a.traceId;
});

export function tailSamplingSuite(current: () => Target): void {
  describe(`tail-based sampling: errors, traces over ${THRESHOLD_MS} ms, and ${SHARE} of the rest`, () => {
    let plain: string[] = [];
    let aborted: string[] = [];
    let delayed: string[] = [];

    it(`keeps every trace with an error and every one slower than ${THRESHOLD_MS} ms, each whole`, async () => {
      const target = current();
      const plainAnswers = await send(target, PLAIN);
      assert.deepEqual([...new Set(plainAnswers.map((a) => a.status))], [200]);
      const abortAnswers = await send(target, FAULTY, { 'x-sandbox-fault': 'abort-503@service1-egress' });
      assert.deepEqual([...new Set(abortAnswers.map((a) => a.status))], [502]);
      const delayAnswers = await send(target, FAULTY, { 'x-sandbox-fault': `delay-${DELAY_MS}@service2-ingress` });
      assert.deepEqual([...new Set(delayAnswers.map((a) => a.status))], [200]);
      assert.ok(Math.max(...plainAnswers.map((a) => a.ms)) < THRESHOLD_MS / 2, 'the plain requests are well under the threshold');
      [plain, aborted, delayed] = [ids(plainAnswers), ids(abortAnswers), ids(delayAnswers)];

      // The last requests sent are the last decided: once all of them are in, every earlier one is.
      const shapes = [
        ...aborted.map((id) => ({ id, hops: ABORTED_HOPS['service1-egress'], kind: 'abort' })),
        ...delayed.map((id) => ({ id, hops: DELAYED_HOPS['service2-ingress'], kind: 'delay' })),
      ];
      await pollUntil(
        async () => {
          const problems: string[] = [];
          for (const { id, hops, kind } of shapes) {
            const trace = await target.jaeger.trace(id);
            if (!trace) problems.push(`${kind} ${id}: not in Jaeger`);
            else problems.push(...shapeProblems(trace, hops, shapeOptionsFor(target)).map((p) => `${kind} ${id}: ${p}`));
          }
          assert.deepEqual(problems, [], `${problems.length} problems, the first: ${problems[0]}`);
        },
        `all ${FAULTY} aborted and ${FAULTY} delayed traces to be whole in Jaeger`,
        { timeoutMs: DECISION_TIMEOUT_MS, intervalMs: 1000 },
      ).catch((err) => {
        throw withLogs(target, err);
      });
    });

    it(`keeps a share of the plain traces within a binomial bound of ${SHARE}, each one whole`, async () => {
      const target = current();
      assert.equal(plain.length, PLAIN, 'the first test sent the plain requests');
      const kept = await settledTraceCount(target.jaeger, plain);
      const { low, high } = binomialBound(PLAIN, SHARE);
      console.log(`# tail sampling kept ${kept} of ${PLAIN} plain traces (${((100 * kept) / PLAIN).toFixed(1)}%); the bound for a share of ${SHARE}: ${low} to ${high} (4 standard deviations)`);
      assert.ok(kept >= low && kept <= high, `${kept} of ${PLAIN} plain traces kept, outside ${low} to ${high}`);
      // Tail sampling decides for a whole trace: what is kept has all seven hops, what is not, none.
      const halves: string[] = [];
      for (const id of plain) {
        const trace = await target.jaeger.trace(id);
        if (trace) halves.push(...shapeProblems(trace, TRACE_HOPS, { ...shapeOptionsFor(target), timing: false }).map((p) => `${id}: ${p}`));
      }
      assert.deepEqual(halves, []);
    });

    it('still counts every request in the Monitor tab: span metrics are made before the decision', async () => {
      const target = current();
      const sent = plain.length + aborted.length + delayed.length;
      const operation = 'front-proxy: front-proxy /trace';
      // The rate over the last minute, times a minute: every request of this suite, and perhaps an earlier suite's.
      const calls = await pollUntil(
        async () => {
          const found = (await figures(target, 'calls', Date.now(), 60_000))[operation] * 60;
          assert.ok(found >= 0.9 * sent, `${operation}: ${found} calls counted of the ${sent} sent`);
          return found;
        },
        `the Monitor tab to count the ${sent} requests`,
        { timeoutMs: 30_000, intervalMs: 1000 },
      ).catch((err) => {
        throw withLogs(target, err);
      });
      console.log(`# the Monitor tab counted ${calls.toFixed(0)} calls of ${operation} in the last minute; this suite sent ${sent}`);
    });
  });
}
