import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Trace } from '../../tools/jaeger';
import { SERVICE_HOPS, TRACE_HOPS } from '../../tools/trace-shape';
import { randomUUID } from 'node:crypto';
import { MIN_KEEP_ALIVE_TIMEOUT_MS } from '../../services/config';
import { pollUntil } from '../../lib/poll';
import { TRACE_TIMEOUT_MS, wholeTrace } from './expect';
import { get } from './http';
import { Target } from './target';

const REQUESTS = Number(process.env.E2E_TRACES || 20);

/** The one trace of the front proxy's that Jaeger finds by a tag's value. */
function traceTagged(target: Target, tag: string, value: string): Promise<Trace> {
  return pollUntil(
    async () => {
      const traces = await target.jaeger.traces('front-proxy', { tags: { [tag]: value } });
      assert.equal(traces.length, 1, `traces tagged ${tag}=${value}`);
      return traces[0];
    },
    `the trace tagged ${tag}`,
    { timeoutMs: TRACE_TIMEOUT_MS, intervalMs: 250 },
  );
}

/**
 * @param envoySampling the front Envoy samples by its own runtime (the Zipkin and
 *   OpenTelemetry variants); the native one asks Jaeger instead.
 */
export function traceSuite(current: () => Target, { envoySampling }: { envoySampling: boolean }): void {
  describe('a request through the front proxy', () => {
    it(`becomes one whole trace of seven hops, ${REQUESTS} times out of ${REQUESTS}`, async () => {
      const target = current();
      const answers = [];
      for (let i = 0; i < REQUESTS; i++) {
        const answer = await get(`${target.proxy}/trace/1`);
        assert.equal(answer.status, 200, answer.body);
        assert.match(answer.body, /^Hello from behind Envoy \(service 1\)! hostname: \S+ resolvedhostname: \S+\n$/);
        answers.push(answer);
      }
      const ids = new Set(answers.map((a) => a.traceId));
      assert.equal(ids.size, REQUESTS, 'every request has its own trace');
      for (const answer of answers) await wholeTrace(target, answer.traceId, TRACE_HOPS);
      console.log(`# verified ${REQUESTS} traces of ${TRACE_HOPS.length} hops each`);
    });

    it('with a jaeger-debug-id header can be found in Jaeger by that tag', async () => {
      const target = current();
      const debugId = `e2e-${randomUUID()}`;
      const answer = await get(`${target.proxy}/trace/1`, { 'jaeger-debug-id': debugId });
      assert.equal(answer.status, 200, answer.body);
      await wholeTrace(target, answer.traceId, TRACE_HOPS);
      const found = await traceTagged(target, 'jaeger-debug-id', debugId);
      assert.equal(found.traceId, answer.traceId);
    });

    if (envoySampling) {
      it('with x-client-trace-id is traced while the front Envoy samples nothing, and found by that tag', async () => {
        const target = current();
        const sampling = async (percent: number) => {
          const res = await fetch(`${target.frontAdmin}/runtime_modify?tracing.random_sampling=${percent}`, { method: 'POST' });
          assert.equal(res.status, 200, await res.text());
        };
        await sampling(0);
        try {
          const plain = await get(`${target.proxy}/trace/1`);
          assert.equal(plain.status, 200, plain.body);
          const clientId = `e2e-${randomUUID()}`;
          const forced = await get(`${target.proxy}/trace/1`, { 'x-client-trace-id': clientId });
          assert.equal(forced.status, 200, forced.body);
          await wholeTrace(target, forced.traceId, TRACE_HOPS);
          const found = await traceTagged(target, 'guid:x-client-trace-id', clientId);
          assert.equal(found.traceId, forced.traceId);
          // Sent first through the same processes: had it been sampled, its spans would be in by now.
          assert.equal(await target.jaeger.trace(plain.traceId!), undefined, 'the request without the header was not traced');
        } finally {
          await sampling(100);
        }
      });
    }

    it('still answers 200 after an idle pause longer than the app keeps its connections', async () => {
      const target = current();
      assert.equal((await get(`${target.proxy}/trace/1`)).status, 200);
      await new Promise((resolve) => setTimeout(resolve, MIN_KEEP_ALIVE_TIMEOUT_MS + 500));
      const answer = await get(`${target.proxy}/trace/1`);
      assert.equal(answer.status, 200, answer.body);
    });

    it('for /service/1 stops at service1', async () => {
      const target = current();
      const answer = await get(`${target.proxy}/service/1`);
      assert.equal(answer.status, 200, answer.body);
      await wholeTrace(target, answer.traceId, SERVICE_HOPS);
    });
  });
}
