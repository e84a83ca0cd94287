/**
 * Did every span arrive? After a steady run, the share of its traces that are
 * complete in Jaeger (all seven hops, correctly parented), how far children stick
 * out of their parents, and the Envoys' reporter counters for where spans went.
 */
import type { Delivery } from './report';
import { EnvoyTracer } from '../topology/variants';
import { Sandbox } from '../topology/sandbox';
import { ADDRESSES, PORTS } from '../topology/topology';
import { envoyStats } from '../lib/envoy-admin';
import { JaegerClient, Trace } from '../tools/jaeger';
import { nestings, shapeProblems, SKEW_US, TRACE_HOPS } from '../tools/trace-shape';

/** The counters of the Envoys' tracer (tracing.zipkin.* or tracing.opentelemetry.*), summed over every Envoy. */
export async function reporterStats(sandbox: Sandbox, tracer: EnvoyTracer): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const name of sandbox.group.names().filter((n) => n.endsWith('envoy'))) {
    const container = name === 'front-envoy' ? 'front-envoy' : (name.replace('-envoy', '') as 'service1' | 'service2');
    const stats = await envoyStats(`http://${ADDRESSES[container]}:${PORTS.envoyAdmin}`, `^tracing\\.${tracer}\\.`);
    for (const [key, value] of Object.entries(stats)) totals[key] = (totals[key] ?? 0) + value;
  }
  return totals;
}


type Counted = Pick<Delivery, 'complete' | 'missingHops' | 'incomplete' | 'waitedS' | 'nesting'>;

/** Adds a complete trace's nesting to the tally. */
function tallyNesting(tally: Delivery['nesting'], trace: Trace): void {
  let outside = false;
  for (const { hop, early, late } of nestings(trace, TRACE_HOPS)) {
    if (early <= SKEW_US && late <= SKEW_US) continue;
    outside = true;
    const worst = (tally.worst[hop] ??= { early: 0, late: 0, traces: 0 });
    worst.early = Math.max(worst.early, early);
    worst.late = Math.max(worst.late, late);
    worst.traces++;
  }
  if (outside) tally.outside++;
}

/** Counts complete traces among the given ids, polling Jaeger until no more arrive for a while. */
export async function countComplete(
  jaeger: JaegerClient,
  ids: string[],
  sinceUs: number,
): Promise<Counted> {
  const started = performance.now();
  const nesting: Delivery['nesting'] = { outside: 0, worst: {} };
  const pending = new Set(ids);
  let lastProgress = performance.now();
  // Envoy's tracers flush every second here (5 s by default): wait up to 12 s without progress.
  while (pending.size > 0 && performance.now() - lastProgress < 12_000) {
    const lookback = `${Math.ceil((Date.now() * 1000 - sinceUs) / 1e6) + 60}s`;
    for (const trace of await jaeger.traces('front-proxy', { limit: ids.length + 1000, lookback })) {
      // Complete means all seven hops, correctly parented; clock skew is reported, not counted.
      if (pending.has(trace.traceId) && shapeProblems(trace, TRACE_HOPS, { timing: false }).length === 0) {
        pending.delete(trace.traceId);
        tallyNesting(nesting, trace);
        lastProgress = performance.now();
      }
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  // Where the incomplete ones lost their spans, looked up one by one.
  const missingHops: Record<string, number> = {};
  const incomplete: string[] = [];
  for (const id of pending) {
    const trace = await jaeger.trace(id);
    const problems = trace ? shapeProblems(trace, TRACE_HOPS, { timing: false }) : ['the whole trace is missing'];
    for (const problem of problems) {
      const hop = problem.includes(' is missing') ? problem.split(' is missing')[0] : problem;
      missingHops[hop] = (missingHops[hop] ?? 0) + 1;
    }
    if (incomplete.length < 3) incomplete.push(`${id}: ${problems.join('; ')}`);
  }
  return { complete: ids.length - pending.size, missingHops, incomplete, waitedS: (performance.now() - started) / 1000, nesting };
}

