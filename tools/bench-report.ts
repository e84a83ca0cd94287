/** The benchmark's results as a Markdown report (bench/results.md). */
import { LoadResult } from './load';
import { ZIPKIN_MIN_FLUSH_SPANS } from '../topology/render';
import { SpanCost, SpanCostMode, SpanCostPlan, ZIPKIN_PROTO_PROBLEMS } from './span-cost';
import { ms, table } from './stats';

export const PROXY_PATH = '/trace/1';

export interface Plan {
  concurrency: number;
  throughputS: number;
  latencyRps: number;
  latencyS: number;
  deliveryRps: number;
  deliveryS: number;
  /** Traced requests in the memory run, and their rate. */
  memoryRequests: number;
  memoryRps: number;
  /** Steady runs at deliveryRps, tracing on and off in turn: the CPU ratio is their mean. */
  steadyPairs: number;
  /** One span's cost, measured alone. */
  spanCost: SpanCostPlan;
}

export interface Delivery {
  incomplete: string[];
  requests: number;
  answered200: number;
  complete: number;
  missingHops: Record<string, number>;
  udpDrops: Record<number, number>;
  zipkin: Record<string, number>;
  waitedS: number;
  /** Complete traces with a child outside its parent by more than SKEW_US, and the worst case per hop. */
  nesting: { outside: number; worst: Record<string, { early: number; late: number; traces: number }> };
}

export interface MemoryRun {
  rps: number;
  /** Jaeger's in-memory trace limit (jaeger/config.yaml). */
  maxTraces: number;
  /** Resident MiB per process, before the run and after each slice of it. */
  samples: Array<{ requests: number; rssMiB: Record<string, number> }>;
}

export interface Results {
  date: string;
  mode: string;
  machine: { cores: number; cpu: string; node: string };
  versions: { envoy: string; jaeger: string };
  plan: Plan;
  overhead: { on: LoadResult; off: LoadResult; ratio: number };
  latency: { chain: LoadResult; floor: LoadResult };
  delivery: Delivery & { share: number };
  /** % of a core per process in the throughput runs, by run name. */
  cpu: Record<string, Record<string, number>>;
  /** CPU µs per request per process at a steady rate, one record per run. */
  steady: { rps: number; on: Array<Record<string, number>>; off: Array<Record<string, number>> };
  /** One span, measured alone: an Envoy per tracer setting, and service2's app called directly. */
  spanCost: { envoy: SpanCost[]; service: SpanCost[] };
  memory: MemoryRun;
}

/** The goal for tracing's CPU outside the collector: the chain and the load generator, on / off. */
export const CPU_RATIO_GOAL = 1.15;
/** Jaeger's resident memory must stay under this much per trace it keeps, plus its own base. */
export const JAEGER_BASE_MIB = 100;
export const JAEGER_KIB_PER_TRACE = 24;
/** Growth after the first slice of the memory run that still counts as flat. */
export const FLAT_MIB = 20;
/** Spans each request of PROXY_PATH makes: front proxy, two per sidecar; service1's server and client, service2's server. */
export const ENVOY_SPANS = 5;
export const SERVICE_SPANS = 3;

export const jaegerMemoryGoalMiB = (maxTraces: number): number => JAEGER_BASE_MIB + Math.ceil((maxTraces * JAEGER_KIB_PER_TRACE) / 1024);

const outsideCollector = (name: string) => name !== 'jaeger';

/** Each process's mean over the runs. */
function mean(runs: Array<Record<string, number>>): Record<string, number> {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(names.map((n) => [n, runs.reduce((a, r) => a + (r[n] ?? 0), 0) / runs.length]));
}

const sumOf = (values: Record<string, number>, match: (name: string) => boolean = () => true) =>
  Object.entries(values).filter(([n]) => match(n)).reduce((a, [, v]) => a + v, 0);

export function renderMarkdown(r: Results): string {
  // Rounded down: 5997 of 6000 must not print as 100%.
  const pct = (x: number) => `${(Math.floor(x * 10000) / 100).toFixed(2)}%`;
  const lat = (l: LoadResult) => `${ms(l.latency.p50)} / ${ms(l.latency.p90)} / ${ms(l.latency.p99)}`;
  const us = (x: number) => `${Math.round(x)}`;
  const p = r.plan;
  const on = mean(r.steady.on);
  const off = mean(r.steady.off);
  const usOn = sumOf(on, outsideCollector);
  const usOff = sumOf(off, outsideCollector);
  const runs = `${r.steady.on.length} run${r.steady.on.length === 1 ? '' : 's'} each`;

  const m = r.memory;
  const first = m.samples[1] ?? m.samples[0];
  const last = m.samples[m.samples.length - 1];
  const others = Object.keys(last.rssMiB).filter((n) => n !== 'jaeger');
  const growth = others.map((n) => ({ n, grew: last.rssMiB[n] - (first.rssMiB[n] ?? last.rssMiB[n]) })).sort((a, b) => b.grew - a.grew)[0];
  const mib = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(0)}`);

  const summary = table(
    ['measure', 'result', 'goal'],
    [
      [
        `CPU per request at ${r.steady.rps} req/s outside the collector (Envoys, services, load generator), tracing on / off, mean of ${runs}`,
        `${us(usOn)} / ${us(usOff)} µs = **${(usOn / usOff).toFixed(2)}**`,
        `ratio ≤ ${CPU_RATIO_GOAL.toFixed(2)}`,
      ],
      [`throughput of ${PROXY_PATH}, ${p.concurrency} connections, tracing on / off`, `${r.overhead.on.achievedRps.toFixed(0)} / ${r.overhead.off.achievedRps.toFixed(0)} req/s = **${r.overhead.ratio.toFixed(2)}**`, 'ratio ≥ 0.90'],
      [`latency p50 / p90 / p99, tracing on / off (at full throughput)`, `${lat(r.overhead.on)} / ${lat(r.overhead.off)}`, '-'],
      [`complete traces after ${r.delivery.answered200} requests at ${p.deliveryRps} req/s for ${p.deliveryS} s`, `**${pct(r.delivery.share)}** (${r.delivery.complete} of ${r.delivery.answered200})`, '100%'],
      [`complete traces with a child sticking out of its parent by more than 1 ms, same run`, `**${r.delivery.nesting.outside}** of ${r.delivery.complete}`, '0'],
      [`latency p50 / p90 / p99 of ${PROXY_PATH} at ${p.latencyRps} req/s`, `${lat(r.latency.chain)} (p99 **${ms(r.latency.chain.latency.p99)}**)`, 'p99 < 20 ms'],
      [`the floor: service2's app called directly at ${p.latencyRps} req/s`, lat(r.latency.floor), '-'],
      [
        `Jaeger's resident memory after ${last.requests} traced requests at ${m.rps} req/s (max_traces ${m.maxTraces})`,
        `**${mib(last.rssMiB.jaeger)} MiB** (${mib(m.samples[0].rssMiB.jaeger)} MiB before)`,
        `< ${jaegerMemoryGoalMiB(m.maxTraces)} MiB`,
      ],
      [
        `largest growth of an Envoy or service from ${first.requests} to ${last.requests} requests`,
        growth ? `**${growth.grew >= 0 ? '+' : ''}${growth.grew.toFixed(1)} MiB** (${growth.n})` : '-',
        `< ${FLAT_MIB} MiB`,
      ],
    ],
  );

  const names = [...new Set([...Object.values(r.cpu).flatMap((c) => Object.keys(c)), ...Object.keys(on), ...Object.keys(off)])];
  const cpu = table(
    ['process', ...Object.keys(r.cpu).map((k) => `% of a core: ${k}`), `CPU µs per request at ${r.steady.rps} req/s: on / off / tracing's share`],
    [...names, 'total'].map((n) => {
      const [a, b] = n === 'total' ? [sumOf(on), sumOf(off)] : [on[n], off[n]];
      return [
        n,
        ...Object.values(r.cpu).map((c) => (n === 'total' ? sumOf(c).toFixed(0) : c[n] === undefined ? '-' : c[n].toFixed(0))),
        a === undefined || b === undefined ? '-' : `${us(a)} / ${us(b)} / ${us(a - b)}`,
      ];
    }),
  );
  const extra = (match: (n: string) => boolean) => us(sumOf(on, match) - sumOf(off, match));
  const breakdown = `Tracing's CPU per request at ${r.steady.rps} req/s: ${extra(() => true)} µs in all; Jaeger ${extra((n) => n === 'jaeger')} µs, the Envoys ${extra((n) => n.endsWith('envoy'))} µs, the services ${extra((n) => /^service\d+$/.test(n))} µs, the load generator ${extra((n) => n === 'load generator')} µs.`;

  const envoy = Object.fromEntries(r.spanCost.envoy.map((c) => [c.mode, c]));
  const envoySpan = (envoy['zipkin JSON']?.cpuUs ?? NaN) - (envoy.untraced?.cpuUs ?? NaN);
  const perSpan = (mode: SpanCostMode) => (envoy[mode]?.cpuUs ?? NaN) - (envoy.untraced?.cpuUs ?? NaN);
  const protoSpan = perSpan('zipkin protobuf');
  const service = Object.fromEntries(r.spanCost.service.map((c) => [c.mode, c]));
  const serviceSpan = (service['jaeger-client']?.cpuUs ?? NaN) - (service.untraced?.cpuUs ?? NaN);
  const predicted = ENVOY_SPANS * envoySpan + SERVICE_SPANS * serviceSpan;
  const allowed = (CPU_RATIO_GOAL - 1) * usOff;
  const rounds = p.spanCost.rounds;
  const spanCost = `What one span costs, measured alone${rounds > 1 ? ` (each figure the mean of ${rounds} runs, the settings in turn)` : ''}:

- an Envoy that answers every request itself, at ${envoy.untraced?.rps.toFixed(0) ?? '-'} req/s: ${us(envoy.untraced?.cpuUs ?? NaN)} µs per request untraced, ${us(envoy['zipkin JSON']?.cpuUs ?? NaN)} µs with a Zipkin span as shipped (JSON): **${us(envoySpan)} µs per Envoy span**, with ${ZIPKIN_MIN_FLUSH_SPANS} spans a post (with 5 a post, Envoy's default: ${us(perSpan('zipkin JSON, 5 a post'))} µs; with 100: ${us(perSpan('zipkin JSON, 100 a post'))} µs). With protobuf it would be ${us(envoy['zipkin protobuf']?.cpuUs ?? NaN)} µs (${us(protoSpan)} µs per span), but Jaeger cannot use what Envoy sends: ${ZIPKIN_PROTO_PROBLEMS.join('; and ')}.
- service2's app called directly, at ${service.untraced?.rps.toFixed(0) ?? '-'} req/s: ${us(service.untraced?.cpuUs ?? NaN)} µs per request with JAEGER_DISABLED, ${us(service['jaeger-client']?.cpuUs ?? NaN)} µs traced: **${us(serviceSpan)} µs per jaeger-client span**, reported over UDP.

Each request of ${PROXY_PATH} makes ${ENVOY_SPANS} Envoy spans and ${SERVICE_SPANS} service spans: ${ENVOY_SPANS} × ${us(envoySpan)} + ${SERVICE_SPANS} × ${us(serviceSpan)} = ${us(predicted)} µs, where the goal leaves ${us(allowed)} µs (${(CPU_RATIO_GOAL - 1).toFixed(2)} × ${us(usOff)} µs); the Envoy spans alone take ${us(ENVOY_SPANS * envoySpan)} µs.`;

  const missing = Object.entries(r.delivery.missingHops).map(([hop, n]) => `${hop}: ${n}`).join(', ') || 'none';
  const zipkin = Object.entries(r.delivery.zipkin).filter(([, v]) => v).map(([k, v]) => `${k.replace('tracing.zipkin.', '')} ${v}`).join(', ');
  const memory = table(
    ['process', ...m.samples.map((x) => `MiB after ${x.requests}`)],
    Object.keys(last.rssMiB).map((n) => [n, ...m.samples.map((x) => mib(x.rssMiB[n]))]),
  );
  return `### Benchmark (${r.mode}): ${r.date.slice(0, 10)}, ${r.machine.cores} cores (${r.machine.cpu})

Node ${r.machine.node}, Envoy ${r.versions.envoy} (Zipkin tracer), Jaeger ${r.versions.jaeger}, local topology (\`npm run bench\`).
Latencies are loadtest's, in whole milliseconds; each run paces its requests evenly.

${summary}

${cpu}

${breakdown}

${spanCost}

Span delivery: what was wrong with incomplete traces: ${missing}; UDP datagrams dropped by the kernel on
Jaeger's 6831 / 6832: ${r.delivery.udpDrops[6831] ?? 0} / ${r.delivery.udpDrops[6832] ?? 0}; Envoy Zipkin reporter: ${zipkin || 'no counters'}; waited ${r.delivery.waitedS.toFixed(0)} s for the last spans.
${[
  ...r.delivery.incomplete.map((line) => `- incomplete: ${line}`),
  ...Object.entries(r.delivery.nesting.worst).map(
    ([hop, w]) => `- outside its parent: ${hop} in ${w.traces} traces, at worst ${w.early} µs early, ${w.late} µs late`,
  ),
].join('\n')}

Resident memory per process (MiB) across the memory run:

${memory}
`;
}
