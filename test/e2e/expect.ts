import { Trace } from '../../tools/jaeger';
import { pollUntil } from '../../lib/poll';
import assert from 'node:assert/strict';
import { assertShape, Hop, ShapeOptions, TRACE_HOPS } from '../../tools/trace-shape';
import { get } from './http';
import { Target } from './target';

/** What the variant's spans can be held to: see ShapeOptions.serverSpansEndAtFinish. */
export function shapeOptionsFor(target: Target): ShapeOptions {
  return { serverSpansEndAtFinish: target.servicesTracer === 'opentelemetry' };
}

/** The tracers send their spans every second; allow for that and a slow machine. */
export const TRACE_TIMEOUT_MS = 20_000;

/** Polls Jaeger until the trace has exactly the expected hops; on timeout, shows the tree and the logs. */
export async function wholeTrace(target: Target, traceId: string | undefined, hops: readonly Hop[], options?: ShapeOptions): Promise<Trace> {
  if (!traceId) throw new Error('the response had no x-trace-id header');
  try {
    return await pollUntil(
      async () => {
        const trace = await target.jaeger.trace(traceId);
        if (!trace) throw new Error(`trace ${traceId} is not in Jaeger`);
        assertShape(trace, hops, { ...shapeOptionsFor(target), ...options });
        return trace;
      },
      `trace ${traceId} to be whole in Jaeger`,
      { timeoutMs: TRACE_TIMEOUT_MS, intervalMs: 250 },
    );
  } catch (err) {
    throw withLogs(target, err);
  }
}

export function withLogs(target: Target, err: unknown): Error {
  const error = err instanceof Error ? err : new Error(String(err));
  error.message = `${error.message}\n\nprocess logs:\n${target.logs()}`;
  return error;
}

/** A whole trace made now, read back whole after `interruption` (a Jaeger restart, say): the store kept it. */
export async function traceKeptThrough(target: Target, what: string, interruption: () => Promise<void>): Promise<void> {
  const answer = await get(`${target.proxy}/trace/1`);
  assert.equal(answer.status, 200, answer.body);
  await wholeTrace(target, answer.traceId, TRACE_HOPS);
  await interruption();
  const trace = await target.jaeger.trace(answer.traceId!);
  assert.ok(trace, `trace ${answer.traceId} is still in Jaeger after ${what}`);
  assertShape(trace, TRACE_HOPS, shapeOptionsFor(target));
}
