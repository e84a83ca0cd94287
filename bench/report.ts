/** The benchmark's results as a Markdown report (bench/results.md). */
import { LoadResult } from '../tools/load';
import { OTLP_MIN_FLUSH_SPANS, ZIPKIN_MIN_FLUSH_SPANS } from '../topology/render';
import { EnvoyTracer, RENDERED_VARIANTS, serviceEnvironment, ServiceTracerName, VARIANTS } from '../topology/variants';
import { ENVOY_BATCHES, envoyBatchMode, SDK_BATCHES, sdkBatchMode, SpanCost, SpanCostMode, SpanCostPlan, ZIPKIN_PROTO_PROBLEMS } from './span-cost';
import { median, ms, table } from '../lib/stats';
import { TRACE_HOPS } from '../tools/trace-shape';

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
  /** Steady runs at deliveryRps per variant, each traced run followed by an untraced one. */
  steadyPairs: number;
  /** One span's cost, measured alone. */
  spanCost: SpanCostPlan;
  /** The steady run each Jaeger sampling mode gets, per variant (sampling-cost.ts). */
  sampling: { rps: number; durationS: number };
}

export type SamplingMode = 'head' | 'tail';

/** One steady run with Jaeger in one sampling mode (sampling-cost.ts). */
export interface SamplingCost {
  tracer: EnvoyTracer;
  mode: SamplingMode;
  load: LoadResult;
  /** CPU µs per request per process, counted until Jaeger has decided on the last trace. */
  cpuUs: Record<string, number>;
  /** Jaeger's own memory (RssAnon) before the run, and its highest during it. */
  jaegerAnonMiB: { before: number; peak: number };
  /** What Jaeger's Badger folder grew by over the run. */
  badgerMiB: number;
  /** Of a sample of the run's traces, how many Jaeger stored. */
  kept: { looked: number; found: number };
}

export interface Delivery {
  incomplete: string[];
  requests: number;
  answered200: number;
  complete: number;
  missingHops: Record<string, number>;
  udpDrops: Record<number, number>;
  /** The Envoys' reporter counters (tracing.zipkin.* or tracing.opentelemetry.*) over the run. */
  reporter: Record<string, number>;
  waitedS: number;
  /** Complete traces with a child outside its parent by more than SKEW_US, and the worst case per hop. */
  nesting: { outside: number; worst: Record<string, { early: number; late: number; traces: number }> };
}

export interface MemoryRun {
  rps: number;
  /** How long Badger keeps a span (jaeger/config.yaml). */
  retentionHours: number;
  /**
   * Resident MiB per process, and of that its own memory (RssAnon, without the files it maps), and the
   * MiB of Jaeger's Badger folder, before the run and after each slice of it.
   */
  samples: Array<{ requests: number; rssMiB: Record<string, number>; anonMiB: Record<string, number>; badgerMiB: number }>;
}

/** CPU µs per request per process at the steady rate: a traced run and the untraced run right after it. */
export interface Pair {
  on: Record<string, number>;
  off: Record<string, number>;
}

/** What one variant's traced runs measured. */
export interface VariantResults {
  tracer: EnvoyTracer;
  services: ServiceTracerName;
  throughput: LoadResult;
  /** % of a core per process in the throughput run. */
  cpu: Record<string, number>;
  chain: LoadResult;
  delivery: Delivery & { share: number };
  pairs: Pair[];
  memory: MemoryRun;
  /** service2's app alone, untraced and with this variant's tracer. */
  serviceSpan: SpanCost[];
}

export interface Results {
  date: string;
  mode: string;
  machine: { cores: number; cpu: string; node: string };
  versions: { envoy: string; jaeger: string };
  plan: Plan;
  /** The topology with tracing removed from the Envoys and the services. */
  untraced: { throughput: LoadResult; cpu: Record<string, number>; floor: LoadResult };
  steadyRps: number;
  variants: VariantResults[];
  /** One Envoy that answers by itself, per tracer setting. */
  envoySpan: SpanCost[];
  /** Each variant under head sampling (as shipped) and under tail sampling, at the same load. */
  sampling: SamplingCost[];
}

/** The goal for tracing's CPU outside the collector (the chain and the load generator), on / off, by variant. */
export const CPU_RATIO_GOALS: Record<EnvoyTracer, number> = { zipkin: 1.15, opentelemetry: 1.1 };
/** The processes that receive and keep spans: their CPU is the collector's, not tracing's cost at the hops. */
export const COLLECTOR = ['jaeger', 'prometheus'];
/** Growth after the first slice of the memory run that still counts as flat. */
export const FLAT_MIB = 20;
/** Spans each request of PROXY_PATH makes, counted from the trace's own table. */
export const ENVOY_SPANS = TRACE_HOPS.filter((h) => h.envoy).length;
export const SERVICE_SPANS = TRACE_HOPS.length - ENVOY_SPANS;

/** The variant's name in the report, from the variants table. */
const variantTitle = (tracer: EnvoyTracer): string => RENDERED_VARIANTS.find((v) => v.envoyTracer === tracer)?.title ?? tracer;
const ENVOY_MODE: Record<EnvoyTracer, SpanCostMode> = { zipkin: 'zipkin JSON', opentelemetry: 'opentelemetry OTLP' };

const outsideCollector = (name: string) => !COLLECTOR.includes(name);

/** Badger's growth over the memory run, per 100,000 traced requests. */
export function badgerMiBPer100k(m: MemoryRun): number {
  const first = m.samples[0];
  const last = m.samples[m.samples.length - 1];
  return ((last.badgerMiB - first.badgerMiB) / (last.requests - first.requests)) * 100_000;
}

const sumOf = (values: Record<string, number>, match: (name: string) => boolean = () => true) =>
  Object.entries(values).filter(([n]) => match(n)).reduce((a, [, v]) => a + v, 0);

/** Each process's median over the runs. */
function medianOf(runs: Array<Record<string, number>>): Record<string, number> {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(names.map((n) => [n, median(runs.map((r) => r[n] ?? 0))]));
}

/** The ratio of every pair, outside the collector, and what tracing adds there in µs. */
export function pairFigures(pairs: Pair[]): { ratios: number[]; shares: number[] } {
  const outside = (r: Record<string, number>) => sumOf(r, outsideCollector);
  return { ratios: pairs.map((p) => outside(p.on) / outside(p.off)), shares: pairs.map((p) => outside(p.on) - outside(p.off)) };
}

const us = (x: number) => `${Math.round(x)}`;
const cost = (costs: SpanCost[], mode: SpanCostMode) => costs.find((c) => c.mode === mode)?.cpuUs ?? NaN;

function memoryFigures(m: MemoryRun) {
  const first = m.samples[1] ?? m.samples[0];
  const last = m.samples[m.samples.length - 1];
  const growth = Object.keys(last.rssMiB)
    .filter(outsideCollector)
    .map((n) => ({ n, grew: last.rssMiB[n] - (first.rssMiB[n] ?? last.rssMiB[n]) }))
    .sort((a, b) => b.grew - a.grew)[0];
  return { first, last, growth };
}

export function renderMarkdown(r: Results): string {
  // Rounded down: 5997 of 6000 must not print as 100%.
  const pct = (x: number) => `${(Math.floor(x * 10000) / 100).toFixed(2)}%`;
  const lat = (l: LoadResult) => `${ms(l.latency.p50)} / ${ms(l.latency.p90)} / ${ms(l.latency.p99)}`;
  const mib = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(0)}`);
  const p = r.plan;
  const v = r.variants;
  const cell = (f: (x: VariantResults) => string) => ['cannot run here', ...v.map(f)];

  const summary = table(
    ['measure', 'native', ...v.map((x) => variantTitle(x.tracer)), 'goal'],
    [
      [
        `CPU per request at ${r.steadyRps} req/s outside the collector (Envoys, services, load generator), tracing on ÷ off: median of ${p.steadyPairs} pair${p.steadyPairs === 1 ? '' : 's'} (range)`,
        ...cell((x) => {
          const { ratios } = pairFigures(x.pairs);
          return `**${median(ratios).toFixed(2)}** (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
        }),
        v.map((x) => `≤ ${CPU_RATIO_GOALS[x.tracer].toFixed(2)} (${variantTitle(x.tracer)})`).join(', '),
      ],
      [`the same, each pair`, ...cell((x) => pairFigures(x.pairs).ratios.map((q) => q.toFixed(2)).join(', ')), '-'],
      [`tracing's share of that CPU per request, median`, ...cell((x) => `${us(median(pairFigures(x.pairs).shares))} µs`), '-'],
      [`throughput of ${PROXY_PATH}, ${p.concurrency} connections, on ÷ off (${r.untraced.throughput.achievedRps.toFixed(0)} req/s off)`, ...cell((x) => `${x.throughput.achievedRps.toFixed(0)} req/s = **${(x.throughput.achievedRps / r.untraced.throughput.achievedRps).toFixed(2)}**`), 'ratio ≥ 0.90'],
      [`complete traces after ${p.deliveryRps} req/s for ${p.deliveryS} s`, ...cell((x) => `**${pct(x.delivery.share)}** (${x.delivery.complete} of ${x.delivery.answered200})`), '100%'],
      [`complete traces with a child outside its parent by more than 1 ms`, ...cell((x) => `**${x.delivery.nesting.outside}** of ${x.delivery.complete}`), '0'],
      [`latency p50 / p90 / p99 of ${PROXY_PATH} at ${p.latencyRps} req/s (floor: service2 alone ${lat(r.untraced.floor)})`, ...cell((x) => `${lat(x.chain)} (p99 **${ms(x.chain.latency.p99)}**)`), 'p99 < 20 ms'],
      [
        `Jaeger's resident memory after ${p.memoryRequests} traced requests at ${p.memoryRps} req/s, on Badger`,
        ...cell((x) => {
          const { last } = memoryFigures(x.memory);
          return `**${mib(last.rssMiB.jaeger)} MiB** (${mib(x.memory.samples[0].rssMiB.jaeger)} before), ${mib(last.anonMiB.jaeger)} MiB of it its own, the rest Badger's mapped files`;
        }),
        '-',
      ],
      [
        `Jaeger's disk (Badger) per 100,000 traced requests, kept ${v[0]?.memory.retentionHours ?? '?'} h`,
        ...cell((x) => `**${mib(badgerMiBPer100k(x.memory))} MiB**`),
        '-',
      ],
      [
        `largest growth of an Envoy or service after the first slice of that run`,
        ...cell((x) => {
          const { growth } = memoryFigures(x.memory);
          return growth ? `**${growth.grew >= 0 ? '+' : ''}${growth.grew.toFixed(1)} MiB** (${growth.n})` : '-';
        }),
        `< ${FLAT_MIB} MiB`,
      ],
    ],
  );

  const perVariant = v.map((x) => {
    const on = medianOf(x.pairs.map((q) => q.on));
    const off = medianOf(x.pairs.map((q) => q.off));
    const names = [...new Set([...Object.keys(on), ...Object.keys(off)])];
    const cpu = table(
      ['process', `% of a core at full throughput: on / off`, `CPU µs per request at ${r.steadyRps} req/s, medians: on / off / tracing's share`],
      [...names, 'total'].map((n) => {
        const [a, b] = n === 'total' ? [sumOf(on), sumOf(off)] : [on[n], off[n]];
        const [ca, cb] = n === 'total' ? [sumOf(x.cpu), sumOf(r.untraced.cpu)] : [x.cpu[n], r.untraced.cpu[n]];
        const fmt = (c: number | undefined) => (c === undefined ? '-' : c.toFixed(0));
        return [n, `${fmt(ca)} / ${fmt(cb)}`, a === undefined || b === undefined ? '-' : `${us(a)} / ${us(b)} / ${us(a - b)}`];
      }),
    );
    const extra = (match: (n: string) => boolean) => us(sumOf(on, match) - sumOf(off, match));
    const missing = Object.entries(x.delivery.missingHops).map(([hop, n]) => `${hop}: ${n}`).join(', ') || 'none';
    const reporter = Object.entries(x.delivery.reporter).filter(([, n]) => n).map(([k, n]) => `${k.replace(/^tracing\.\w+\./, '')} ${n}`).join(', ');
    const udp = x.services === 'jaeger-client' ? `; UDP datagrams dropped on Jaeger's 6831 / 6832: ${x.delivery.udpDrops[6831] ?? 0} / ${x.delivery.udpDrops[6832] ?? 0}` : '';
    const m = x.memory;
    const memory = table(
      ['process', ...m.samples.map((s) => `MiB after ${s.requests}`)],
      [
        ...Object.keys(memoryFigures(m).last.rssMiB).map((n) => [n, ...m.samples.map((s) => mib(s.rssMiB[n]))]),
        ["jaeger's own (RssAnon)", ...m.samples.map((s) => mib(s.anonMiB.jaeger))],
        ["Jaeger's Badger folder (disk)", ...m.samples.map((s) => mib(s.badgerMiB))],
      ],
    );
    return `#### ${variantTitle(x.tracer)} (Envoy's ${x.tracer} tracer, ${x.services} in the services)

${cpu}

Tracing's CPU per request (medians): ${extra(() => true)} µs in all; Jaeger ${extra((n) => n === 'jaeger')} µs, the Envoys ${extra((n) => n.endsWith('envoy'))} µs, the services ${extra((n) => /^service\d+$/.test(n))} µs, the load generator ${extra((n) => n === 'load generator')} µs.

Span delivery: missing from incomplete traces: ${missing}${udp}; the Envoys' reporter: ${reporter || 'no counters'}; waited ${x.delivery.waitedS.toFixed(0)} s for the last spans.
${[
  ...x.delivery.incomplete.map((line) => `- incomplete: ${line}`),
  ...Object.entries(x.delivery.nesting.worst).map(([hop, w]) => `- outside its parent: ${hop} in ${w.traces} traces, at worst ${w.early} µs early, ${w.late} µs late`),
].join('\n')}

Resident memory per process (MiB) across the memory run:

${memory}
`;
  });

  const envoy = r.envoySpan;
  const envoySpan = (mode: SpanCostMode) => cost(envoy, mode) - cost(envoy, 'untraced');
  const shippedMark = (mode: SpanCostMode, shipped: SpanCostMode) => (mode === shipped ? ', shipped' : '');
  const batchesOf = (shipped: 'zipkin JSON' | 'opentelemetry OTLP') =>
    ENVOY_BATCHES.map((n) => {
      const mode = envoyBatchMode(shipped, n);
      return `${n} a post${n === 5 ? ", Envoy's default" : ''}${shippedMark(mode, shipped)}: ${us(envoySpan(mode))} µs`;
    }).join('; ');
  const rounds = p.spanCost.rounds;
  const spans = v.map((x) => {
    const service = cost(x.serviceSpan, x.services) - cost(x.serviceSpan, 'untraced');
    const envoyOne = envoySpan(ENVOY_MODE[x.tracer]);
    const predicted = ENVOY_SPANS * envoyOne + SERVICE_SPANS * service;
    const off = median(x.pairs.map((q) => sumOf(q.off, outsideCollector)));
    const allowed = (CPU_RATIO_GOALS[x.tracer] - 1) * off;
    const sdkBatches =
      x.services === 'opentelemetry'
        ? ` By batch size (\`OTEL_BSP_MAX_EXPORT_BATCH_SIZE\`, and a post every ${serviceEnvironment(VARIANTS.otel, 'service2').OTEL_BSP_SCHEDULE_DELAY} ms at the latest): ${SDK_BATCHES.map((n) => `${n} a post${shippedMark(sdkBatchMode(n), 'opentelemetry')} ${us(cost(x.serviceSpan, sdkBatchMode(n)) - cost(x.serviceSpan, 'untraced'))} µs`).join(', ')}.`
        : '';
    return `- ${variantTitle(x.tracer)}: service2's app called directly at ${x.serviceSpan[0]?.rps.toFixed(0) ?? '-'} req/s costs ${us(cost(x.serviceSpan, 'untraced'))} µs a request untraced and ${us(cost(x.serviceSpan, x.services))} µs traced: **${us(service)} µs per ${x.services} span**. A request makes ${ENVOY_SPANS} Envoy spans and ${SERVICE_SPANS} service spans: ${ENVOY_SPANS} × ${us(envoyOne)} + ${SERVICE_SPANS} × ${us(service)} = **${us(predicted)} µs**, where the goal leaves ${us(allowed)} µs (${(CPU_RATIO_GOALS[x.tracer] - 1).toFixed(2)} × ${us(off)} µs); the Envoy spans alone take ${us(ENVOY_SPANS * envoyOne)} µs.${sdkBatches}`;
  });
  const spanCost = `What one span costs, measured alone${rounds > 1 ? ` (each figure the mean of ${rounds} runs, the settings in turn)` : ''}:

- an Envoy that answers every request itself, at ${envoy[0]?.rps.toFixed(0) ?? '-'} req/s: ${us(cost(envoy, 'untraced'))} µs per request untraced; **${us(envoySpan('zipkin JSON'))} µs per Zipkin span** as shipped (JSON, ${ZIPKIN_MIN_FLUSH_SPANS} spans a post; ${batchesOf('zipkin JSON')}), **${us(envoySpan('opentelemetry OTLP'))} µs per OpenTelemetry span** as shipped (OTLP protobuf over HTTP, ${OTLP_MIN_FLUSH_SPANS} spans a post; ${batchesOf('opentelemetry OTLP')}); each posts every second at the latest. Zipkin protobuf would cost ${us(envoySpan('zipkin protobuf'))} µs a span, but Jaeger cannot use what Envoy sends: ${ZIPKIN_PROTO_PROBLEMS.join('; and ')}.
${spans.join('\n')}`;

  const samplingRows = r.sampling.map((c) => [
    `${variantTitle(c.tracer)}, ${c.mode}`,
    `${c.load.achievedRps.toFixed(0)} req/s, ${c.load.requests}`,
    `**${us(c.cpuUs.jaeger)} µs**`,
    `${us(sumOf(c.cpuUs, outsideCollector))} µs`,
    `**${mib(c.jaegerAnonMiB.peak)} MiB** (${mib(c.jaegerAnonMiB.before)} before)`,
    `${mib((c.badgerMiB / c.load.requests) * 100_000)} MiB`,
    `${c.kept.found} of ${c.kept.looked}`,
  ]);
  const sampling = `Jaeger's sampling modes at the same load (\`JAEGER_SAMPLING\`: head stores every trace, as shipped; tail stores what jaeger/tail-sampling.yaml's policies keep, at their default settings). CPU is counted until Jaeger has decided on the last trace:

${table(['variant, mode', 'load, requests', "Jaeger's CPU per request", 'CPU per request outside Jaeger and Prometheus', "Jaeger's own memory, peak", 'Badger per 100,000 requests', 'traces stored, of a sample'], samplingRows)}`;

  return `### Benchmark (${r.mode}): ${r.date.slice(0, 10)}, ${r.machine.cores} cores (${r.machine.cpu})

Node ${r.machine.node}, Envoy ${r.versions.envoy}, Jaeger ${r.versions.jaeger}, local topology (\`npm run bench\`).
The native variant needs Envoy 1.29 and its x86-64 plugin, which no installable Envoy loads.
Latencies are loadtest's, in whole milliseconds; each run paces its requests evenly.

${summary}

${spanCost}

${sampling}

${perVariant.join('\n')}`;
}
