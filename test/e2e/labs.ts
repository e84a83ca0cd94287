/**
 * The labs of docs/labs.md, each doing what the page says it does, on the target's
 * variant. A lab's switch is per request: each test ends with a plain request that
 * is whole again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { ABORTED_HOPS, assertShape, DELAYED_HOPS, FORGOT_HEADERS_HOPS, LOST_CONTEXT_HOPS, TRACE_HOPS } from '../../tools/trace-shape';
import { shapeOptionsFor, TRACE_TIMEOUT_MS, wholeTrace, withLogs } from './expect';
import { get } from './http';
import { Propagation, Target } from './target';

/** How a caller sets the baggage item `tenant` in each variant's own format. */
const BAGGAGE_FORMS: Record<Propagation, Array<(value: string) => Record<string, string>>> = {
  jaeger: [(v) => ({ 'jaeger-baggage': `tenant=${v}` }), (v) => ({ 'uberctx-tenant': v })],
  // jaeger-client's B3 codec reads both of its baggage forms, as its uber-trace-id codec does.
  b3: [(v) => ({ 'jaeger-baggage': `tenant=${v}` }), (v) => ({ 'uberctx-tenant': v })],
  w3c: [(v) => ({ baggage: `tenant=${v}` })],
};

export function labSuite(current: () => Target): void {
  describe('the labs', () => {
    it('forget the headers: the trace splits at service1, and the next request is whole again', async () => {
      const target = current();
      const sentUs = Date.now() * 1000;
      const answer = await get(`${target.proxy}/trace/1`, { 'x-sandbox-lab': 'forget-headers' });
      assert.equal(answer.status, 200, answer.body);
      // Explicit spans: the split falls after service1's client span. Instrumentation: the client span,
      // made outside the request's context, starts the second trace.
      const hops = target.servicesTracer === 'opentelemetry' ? LOST_CONTEXT_HOPS : FORGOT_HEADERS_HOPS;
      const caller = await wholeTrace(target, answer.traceId, hops.caller);
      const root = hops.downstream[0];
      // The other half: the newest trace that starts where the first one stops, after the request.
      try {
        await pollUntil(
          async () => {
            const traces = await target.jaeger.traces('service2', { limit: 20, lookback: '5m' });
            const split = traces.find((t) => t.spans[0]?.operation === root.operation && t.spans[0].startUs >= sentUs - 1_000_000);
            assert.ok(split, `no trace yet that starts at ${root.service} "${root.operation}"`);
            assertShape(split, hops.downstream, shapeOptionsFor(target));
            assert.notEqual(split.traceId, caller.traceId);
            const client = [...caller.spans, ...split.spans].find((s) => s.operation === 'call downstream')!;
            assert.equal(client.tags['sandbox.lab'], 'forget-headers');
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

    for (const hop of ['service1-egress', 'service2-ingress'] as const) {
      it(`faults: an abort at ${hop} marks that Envoy's span FI, and the error travels up to the front proxy's 502`, async () => {
        const target = current();
        const answer = await get(`${target.proxy}/trace/1`, { 'x-sandbox-fault': `abort-503@${hop}` });
        assert.equal(answer.status, 502, answer.body);
        assert.match(answer.body, /^Downstream \S+ answered 503\n$/);
        const trace = await wholeTrace(target, answer.traceId, ABORTED_HOPS[hop]);
        const client = trace.spans.find((s) => s.operation === 'call downstream')!;
        assert.equal(client.tags['sandbox.fault'], `abort-503@${hop}`);
        assert.deepEqual(
          trace.spans.filter((s) => !s.error).map((s) => s.operation),
          [],
          'every span of the chain is marked as an error',
        );
        const plain = await get(`${target.proxy}/trace/1`);
        await wholeTrace(target, plain.traceId, TRACE_HOPS);
      });

      it(`faults: a delay at ${hop} marks that Envoy's span DI, and it and every span above it last the delay, the spans below it do not`, async () => {
        const target = current();
        const delayMs = 600;
        const answer = await get(`${target.proxy}/trace/1`, { 'x-sandbox-fault': `delay-${delayMs}@${hop}` });
        assert.equal(answer.status, 200, answer.body);
        const trace = await wholeTrace(target, answer.traceId, DELAYED_HOPS[hop]);
        const delayed = DELAYED_HOPS[hop].findIndex((h) => h.flags === 'DI');
        // Most of the delay: Envoy's timer and its span clock may differ by a little, and the
        // spans below the delay last a few milliseconds.
        const long = trace.spans.filter((s) => s.durationUs >= delayMs * 900).map((s) => `${s.service}: ${s.operation}`);
        assert.deepEqual(
          long.sort(),
          TRACE_HOPS.slice(0, delayed + 1).map((h) => `${h.service}: ${h.operation}`).sort(),
          `the delayed span and its ancestors, and no span below it: ${trace.spans.map((s) => `${s.operation} ${s.durationUs} µs`).join(', ')}`,
        );
      });
    }

    it('faults: a bad value is a 400 at once, and Envoy fault headers from outside are dropped at the front proxy', async () => {
      const target = current();
      const beyond = await get(`${target.proxy}/trace/1`, { 'x-sandbox-fault': 'delay-60000@service2-ingress' });
      assert.equal(beyond.status, 400);
      assert.equal(beyond.body, 'x-sandbox-fault delay must be 1-3000 ms, got 60000\n');
      const unknown = await get(`${target.proxy}/trace/1`, { 'x-sandbox-fault': 'abort-503@front-proxy' });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body, 'x-sandbox-fault hop must be one of service1-egress, service2-ingress, got "front-proxy"\n');
      // Straight to Envoy's fault filter, past service1's check: service1's own sidecar would abort this.
      const raw = await get(`${target.proxy}/trace/1`, { 'x-envoy-fault-abort-request': '503', 'x-sandbox-fault-hop': 'service1-ingress' });
      assert.equal(raw.status, 200, raw.body);
      await wholeTrace(target, raw.traceId, TRACE_HOPS);
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
