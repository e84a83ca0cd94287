/**
 * A caller that is traced itself sends its context with the request. Whatever
 * form it uses, the request's seven spans land in the caller's trace, under the
 * caller's span. The caller here is the test: its span is never reported, so the
 * front proxy's span hangs under a span Jaeger does not have.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { TRACE_HOPS } from '../../tools/trace-shape';
import { wholeTrace } from './expect';
import { get } from './http';
import { Target } from './target';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The seven hops less the front proxy's: service1's sidecar is the root. */
const WITHOUT_FRONT = TRACE_HOPS.slice(1).map((hop) => ({ ...hop, parent: hop.parent === 0 ? null : hop.parent! - 1 }));

interface CallerForm {
  name: string;
  traceIdBytes: 8 | 16;
  headers(traceId: string, spanId: string): Record<string, string>;
}

/** Every form of context the sandbox continues, as callers send it: the plugin reads uber-trace-id alone. */
const FORMS: Record<Target['propagation'], CallerForm[]> = {
  jaeger: [{ name: 'uber-trace-id header', traceIdBytes: 8, headers: (t, s) => ({ 'uber-trace-id': `${t}:${s}:0:1` }) }],
  b3: [
    { name: 'single b3 header', traceIdBytes: 16, headers: (t, s) => ({ b3: `${t}-${s}-1` }) },
    { name: 'single b3 header with a 64-bit trace id', traceIdBytes: 8, headers: (t, s) => ({ b3: `${t}-${s}-1` }) },
    { name: 'x-b3 headers with a 64-bit trace id', traceIdBytes: 8, headers: (t, s) => ({ 'x-b3-traceid': t, 'x-b3-spanid': s, 'x-b3-sampled': '1' }) },
    { name: 'x-b3 headers with a 128-bit trace id', traceIdBytes: 16, headers: (t, s) => ({ 'x-b3-traceid': t, 'x-b3-spanid': s, 'x-b3-sampled': '1' }) },
    {
      name: 'single b3 header beside stale x-b3 headers from elsewhere',
      traceIdBytes: 16,
      headers: (t, s) => ({ b3: `${t}-${s}-1`, 'x-b3-traceid': hex(16), 'x-b3-spanid': hex(8), 'x-b3-sampled': '1' }),
    },
    { name: 'W3C traceparent', traceIdBytes: 16, headers: (t, s) => ({ traceparent: `00-${t}-${s}-01` }) },
  ],
  w3c: [
    { name: 'W3C traceparent', traceIdBytes: 16, headers: (t, s) => ({ traceparent: `00-${t}-${s}-01` }) },
    { name: 'W3C traceparent with a tracestate', traceIdBytes: 16, headers: (t, s) => ({ traceparent: `00-${t}-${s}-01`, tracestate: 'sandbox=caller' }) },
    {
      name: 'W3C traceparent beside a stale uber-trace-id from elsewhere',
      traceIdBytes: 16,
      headers: (t, s) => ({ traceparent: `00-${t}-${s}-01`, 'uber-trace-id': `${hex(16)}:${hex(8)}:0:1` }),
    },
  ],
};

export function callerSuite(current: () => Target): void {
  describe("a request that carries its caller's trace context", () => {
    it("continues the caller's trace in every form the variant reads, all seven hops under the caller's span", async (t) => {
      const target = current();
      for (const form of FORMS[target.propagation]) {
        await t.test(`as a ${form.name}`, async () => {
          const [traceId, callerSpan] = [hex(form.traceIdBytes), hex(8)];
          const answer = await get(`${target.proxy}/trace/1`, form.headers(traceId, callerSpan));
          assert.equal(answer.status, 200, answer.body);
          assert.equal(answer.traceId, traceId, "service1 answers in the caller's trace");
          await wholeTrace(target, traceId, TRACE_HOPS, { rootParent: callerSpan });
        });
      }
    });

    it('starts a new trace for a malformed traceparent, and answers it', async () => {
      const target = current();
      const answer = await get(`${target.proxy}/trace/1`, { traceparent: '00-not-a-trace-id-01' });
      assert.equal(answer.status, 200, answer.body);
      assert.ok(answer.traceId, 'a trace id');
      // Envoy's OpenTelemetry tracer makes no span for a request whose traceparent it cannot read
      // (a null span), and drops the header: the trace starts at service1's sidecar.
      await wholeTrace(target, answer.traceId, target.propagation === 'w3c' ? WITHOUT_FRONT : TRACE_HOPS);
    });
  });
}
