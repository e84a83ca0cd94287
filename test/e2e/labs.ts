/**
 * The labs of docs/labs.md, each doing what the page says it does, on the target's
 * variant. A lab's switch is per request: each test ends with a plain request that
 * is whole again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { assertShape, FORGOT_HEADERS_HOPS, TRACE_HOPS } from '../../tools/trace-shape';
import { TRACE_TIMEOUT_MS, wholeTrace, withLogs } from './expect';
import { get } from './http';
import { Propagation, Target } from './target';

/** How a caller sets the baggage item `tenant` in each variant's own format. */
const BAGGAGE_FORMS: Record<Propagation, Array<(value: string) => Record<string, string>>> = {
  jaeger: [(v) => ({ 'jaeger-baggage': `tenant=${v}` }), (v) => ({ 'uberctx-tenant': v })],
  b3: [(v) => ({ 'uberctx-tenant': v })],
  w3c: [(v) => ({ baggage: `tenant=${v}` })],
};

export function labSuite(current: () => Target): void {
  describe('the labs', () => {
    it('forget the headers: the trace splits at service1, and the next request is whole again', async () => {
      const target = current();
      const sentUs = Date.now() * 1000;
      const answer = await get(`${target.proxy}/trace/1`, { 'x-sandbox-lab': 'forget-headers' });
      assert.equal(answer.status, 200, answer.body);
      const caller = await wholeTrace(target, answer.traceId, FORGOT_HEADERS_HOPS.caller);
      const client = caller.spans.find((s) => s.operation === 'call downstream')!;
      assert.equal(client.tags['sandbox.lab'], 'forget-headers');
      // The other half: the newest trace that starts at service1's egress sidecar after the request.
      try {
        await pollUntil(
          async () => {
            const traces = await target.jaeger.traces('service2', { limit: 20, lookback: '5m' });
            const split = traces.find((t) => t.spans[0]?.operation === 'egress service2' && t.spans[0].startUs >= sentUs - 1_000_000);
            assert.ok(split, 'no trace yet that starts at the egress sidecar');
            assertShape(split, FORGOT_HEADERS_HOPS.downstream);
            assert.notEqual(split.traceId, caller.traceId);
          },
          'the downstream half of the split trace',
          { timeoutMs: TRACE_TIMEOUT_MS, intervalMs: 250 },
        );
      } catch (err) {
        throw withLogs(target, err);
      }
      const plain = await get(`${target.proxy}/trace/1`);
      await wholeTrace(target, plain.traceId, TRACE_HOPS);
    });

    it('baggage: a value the caller sets at the edge reaches service2, and both services record it', async () => {
      const target = current();
      for (const form of BAGGAGE_FORMS[target.propagation]) {
        const value = `acme-${Math.random().toString(36).slice(2, 8)}`;
        const headers = form(value);
        const answer = await get(`${target.proxy}/trace/1`, headers);
        assert.equal(answer.status, 200, answer.body);
        const trace = await wholeTrace(target, answer.traceId, TRACE_HOPS);
        const recorded = trace.spans.filter((s) => s.operation === 'GET /trace/:n').map((s) => `${s.service}: ${s.tags['baggage.tenant']}`);
        assert.deepEqual(recorded.sort(), [`service1: ${value}`, `service2: ${value}`], JSON.stringify(headers));
      }
    });

    it('refuses a lab that does not exist with a 400 through the proxy', async () => {
      const target = current();
      const answer = await get(`${target.proxy}/trace/1`, { 'x-sandbox-lab': 'no-such-lab' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body, 'x-sandbox-lab must be one of forget-headers, got "no-such-lab"\n');
    });
  });
}
