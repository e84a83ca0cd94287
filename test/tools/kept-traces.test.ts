import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JaegerClient } from '../../tools/jaeger';
import { settledTraceCount, tracesInJaeger } from '../../tools/kept-traces';
import { listen } from '../services/helpers';

/** A Jaeger that has the traces in `kept`, which the test may change. */
async function jaegerWith(t: Parameters<typeof listen>[0], kept: Set<string>): Promise<JaegerClient> {
  const base = await listen(t, (req, res) => {
    const id = /\/api\/v3\/traces\/(\w+)$/.exec(req.url ?? '')?.[1] ?? '';
    res.statusCode = kept.has(id) ? 200 : 404;
    res.setHeader('content-type', 'application/json');
    // As /api/v3 answers: the trace's spans in OTLP JSON, or a 404.
    res.end(JSON.stringify(kept.has(id) ? { result: { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id.padStart(32, '0'), spanId: '00000000000000a1', name: 'x', startTimeUnixNano: '1000', endTimeUnixNano: '2000' }] }] }] } } : { error: { httpCode: 404, message: 'trace not found' } }));
  });
  return new JaegerClient(base);
}

test('counts the traces Jaeger has among the given ids', async (t) => {
  const jaeger = await jaegerWith(t, new Set(['a1', 'a3']));
  assert.equal(await tracesInJaeger(jaeger, ['a1', 'a2', 'a3', 'a4']), 2);
  assert.equal(await tracesInJaeger(jaeger, []), 0);
});

test('waits for the count to stop growing before it answers', async (t) => {
  const kept = new Set(['a1']);
  const jaeger = await jaegerWith(t, kept);
  setTimeout(() => kept.add('a2'), 150);
  assert.equal(await settledTraceCount(jaeger, ['a1', 'a2', 'a3'], { quietMs: 400, intervalMs: 50 }), 2);
});

test('answers at once when every trace is in', async (t) => {
  const jaeger = await jaegerWith(t, new Set(['a1', 'a2']));
  const started = performance.now();
  assert.equal(await settledTraceCount(jaeger, ['a1', 'a2'], { quietMs: 60_000, intervalMs: 50 }), 2);
  assert.ok(performance.now() - started < 30_000, 'it did not wait out the quiet period');
});
