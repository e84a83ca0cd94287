/**
 * The Jaeger UI's Monitor tab, through the API it calls (/api/metrics/calls, errors and
 * latencies): Jaeger counts every span it receives (spanmetrics), Prometheus keeps the
 * counts, and Jaeger's query API reads them back. Server spans, as the tab shows them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { MetricName, OperationSeries } from '../../tools/jaeger';
import { runLoad } from '../../tools/load';
import { TRACE_HOPS } from '../../tools/trace-shape';
import { withLogs } from './expect';
import { get } from './http';
import { Target } from './target';

/** The paced load: its rate, how long it lasts, and the window its rate is read over, at its end. */
const LOAD_RPS = 10;
const LOAD_S = 30;
const WINDOW_S = 20;
/** How far a rate read through the Monitor tab may stray from the load's own. */
const RATE_TOLERANCE = 0.25;
/** The faults lab's delay here: a bound of the span metrics' histogram, so the delayed requests land just above it. */
const DELAY_MS = 500;
/** How many requests each fault makes, at once: well over 5% of the window's requests, so the 95th percentile is theirs. */
const FAULTY_REQUESTS = 40;
/** The window errors and latencies are read over. */
const RECENT_MS = 30_000;
/** Metrics travel from the tracers to Jaeger (1 s), to Prometheus (1 s and 5 s): allow for that and a slow machine. */
const METRICS_TIMEOUT_MS = 30_000;

const SERVICES = ['front-proxy', 'service1', 'service2'];
/** The server spans of /trace/1, one a hop, written out: "service: operation". */
const SERVER_OPERATIONS = TRACE_HOPS.filter((hop) => hop.kind === 'server').map((hop) => `${hop.service}: ${hop.operation}`);

/** Each operation's value at the series' end (NaN where Prometheus had none), by "service: operation". */
export async function figures(target: Target, name: MetricName, endMs: number, ratePerMs: number): Promise<Record<string, number>> {
  const series: OperationSeries[] = await target.jaeger.metrics(name, { services: SERVICES, endMs, lookbackMs: 1000, stepMs: 1000, ratePerMs });
  return Object.fromEntries(series.map((s) => [`${s.service}: ${s.operation}`, s.points[s.points.length - 1]?.value ?? NaN]));
}

const rounded = (values: Record<string, number>) => Object.entries(values).map(([op, v]) => `${op} ${v.toFixed(2)}`).join(', ');

export function monitorSuite(current: () => Target): void {
  describe('the Monitor tab', () => {
    it(`shows the rate of a paced load, ${LOAD_RPS} req/s for ${LOAD_S} s, on every server span of the request, within ${RATE_TOLERANCE * 100}%`, async () => {
      const target = current();
      const load = await runLoad({ rps: LOAD_RPS, durationS: LOAD_S, concurrency: 4, path: '/trace/1', target: target.proxy });
      const endMs = Date.now();
      assert.deepEqual(load.outcomes, { 200: load.requests }, 'every request of the load was answered 200');
      // The last WINDOW_S seconds of the load: its first seconds, whose spans were still on their way, lie outside.
      const rates = await pollUntil(
        async () => {
          const found = await figures(target, 'calls', endMs, WINDOW_S * 1000);
          assert.deepEqual(SERVER_OPERATIONS.filter((op) => !Number.isFinite(found[op])), [], `every server operation has a rate: ${rounded(found)}`);
          return found;
        },
        'the call rates of the load',
        { timeoutMs: METRICS_TIMEOUT_MS, intervalMs: 1000 },
      ).catch((err) => {
        throw withLogs(target, err);
      });
      console.log(`# Monitor tab after ${load.requests} requests at ${load.achievedRps.toFixed(2)} req/s: ${rounded(rates)}`);
      for (const op of SERVER_OPERATIONS) {
        const off = Math.abs(rates[op] - load.achievedRps) / load.achievedRps;
        assert.ok(off <= RATE_TOLERANCE, `${op}: ${rates[op].toFixed(2)} calls/s, ${(off * 100).toFixed(0)}% off the load's ${load.achievedRps.toFixed(2)} req/s`);
      }
    });

    it(`shows errors on exactly the server spans of the failed path after ${FAULTY_REQUESTS} aborts at service1's egress`, async () => {
      const target = current();
      const before = await figures(target, 'errors', Date.now(), RECENT_MS);
      assert.deepEqual(Object.keys(before).filter((op) => before[op] > 0), [], `no errors in the window before: ${rounded(before)}`);
      const answers = await Promise.all(
        Array.from({ length: FAULTY_REQUESTS }, () => get(`${target.proxy}/trace/1`, { 'x-sandbox-fault': 'abort-503@service1-egress' })),
      );
      assert.deepEqual([...new Set(answers.map((a) => a.status))], [502]);
      // The request fails below service1: the front proxy, service1's sidecar and service1 answer it with an
      // error, and service2 never sees it.
      const failedPath = ['front-proxy: front-proxy /trace', 'service1: ingress service1', 'service1: GET /trace/:n'];
      // Each tracer sends its spans on its own schedule: wait for every span of the path, not the first.
      const errors = await pollUntil(
        async () => {
          const found = await figures(target, 'errors', Date.now(), RECENT_MS);
          assert.deepEqual(failedPath.filter((op) => !(found[op] > 0)), [], `every span of the failed path has its errors counted: ${rounded(found)}`);
          return found;
        },
        'the errors to be counted',
        { timeoutMs: METRICS_TIMEOUT_MS, intervalMs: 1000 },
      ).catch((err) => {
        throw withLogs(target, err);
      });
      console.log(`# Monitor tab, error rates after the aborts: ${rounded(errors)}`);
      assert.deepEqual(
        Object.keys(errors).filter((op) => errors[op] > 0).sort(),
        [...failedPath].sort(),
        'the operations with errors are those of the failed path',
      );
    });

    it(`shows the delay lab's ${DELAY_MS} ms in the 95th percentile of every span above service2's sidecar, and not in service2's own`, async () => {
      const target = current();
      const before = await figures(target, 'latencies', Date.now(), RECENT_MS);
      const answers = await Promise.all(
        Array.from({ length: FAULTY_REQUESTS }, () => get(`${target.proxy}/trace/1`, { 'x-sandbox-fault': `delay-${DELAY_MS}@service2-ingress` })),
      );
      assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
      // service2's sidecar holds the request: its span and every span above it last the delay.
      const delayed = ['front-proxy: front-proxy /trace', 'service1: ingress service1', 'service1: GET /trace/:n', 'service2: ingress service2'];
      const after = await pollUntil(
        async () => {
          const found = await figures(target, 'latencies', Date.now(), RECENT_MS);
          assert.deepEqual(delayed.filter((op) => !(found[op] >= DELAY_MS)), [], `every span above the delay has it in its 95th percentile: ${rounded(found)}`);
          return found;
        },
        'the delayed requests to be counted',
        { timeoutMs: METRICS_TIMEOUT_MS, intervalMs: 1000 },
      ).catch((err) => {
        throw withLogs(target, err);
      });
      console.log(`# Monitor tab, 95th percentiles in ms before the delays: ${rounded(before)}; after: ${rounded(after)}`);
      for (const op of delayed) {
        assert.ok(before[op] < DELAY_MS / 2, `${op} was well under the delay before: ${before[op]} ms`);
        assert.ok(after[op] >= DELAY_MS, `${op} rose by the delay: ${before[op].toFixed(1)} -> ${after[op].toFixed(1)} ms`);
      }
      const below = 'service2: GET /trace/:n';
      assert.ok(after[below] < DELAY_MS / 2, `${below}, below the delay, stays well under it: ${after[below]} ms`);
    });
  });
}
