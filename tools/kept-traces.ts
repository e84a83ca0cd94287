/**
 * How many of a run's traces Jaeger kept: the sampled share, counted, for
 * `npm run load -- --count-traces` and the sampling tests.
 */
import { pollUntil } from '../lib/poll';
import { JaegerClient } from './jaeger';
import { RunOptions } from './load';

/** How many of the traces with these ids Jaeger has now, asking for each one. */
export async function tracesInJaeger(jaeger: JaegerClient, ids: readonly string[]): Promise<number> {
  let kept = 0;
  for (const id of ids) if (await jaeger.trace(id)) kept++;
  return kept;
}

/**
 * The count once it has stopped growing for quietMs: spans reach Jaeger within about a second
 * of their request, so a count that holds for a few seconds is final.
 */
export async function settledTraceCount(
  jaeger: JaegerClient,
  ids: readonly string[],
  { quietMs = 3000, intervalMs = 500, timeoutMs = 30_000 } = {},
): Promise<number> {
  let last = -1;
  let since = performance.now();
  return pollUntil(
    async () => {
      const now = await tracesInJaeger(jaeger, ids);
      if (now !== last) {
        last = now;
        since = performance.now();
      }
      if (now < ids.length && performance.now() - since < quietMs) throw new Error(`${now} of ${ids.length} so far`);
      return now;
    },
    'the count of traces in Jaeger to settle',
    { timeoutMs, intervalMs },
  );
}

/** Keeps the trace id of every answered request. */
export function collectTraceIds(ids: string[]): RunOptions['onAnswer'] {
  return (status, _ms, headers) => {
    const id = headers['x-trace-id'];
    if (status === 200 && typeof id === 'string') ids.push(id);
  };
}
