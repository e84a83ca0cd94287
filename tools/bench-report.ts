/** The benchmark's results as a Markdown report, and the README's copy of it. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../local/binaries';
import type { Delivery, MemoryRun, Plan } from './bench';
import { LoadResult } from './load';
import { ms, table } from './stats';

export const PROXY_PATH = '/trace/1';

export interface Results {
  date: string;
  mode: string;
  machine: { cores: number; cpu: string; node: string };
  versions: { envoy: string; jaeger: string };
  plan: Plan;
  overhead: { on: LoadResult; off: LoadResult; ratio: number };
  latency: { chain: LoadResult; floor: LoadResult };
  delivery: Delivery & { share: number };
  cpu: Record<string, Record<string, number>>;
  /** The rates of the two steady phases, tracing on (the delivery run) and off. */
  steadyRps: { on: number; off: number };
  memory: MemoryRun;
}

/** The goal for tracing's CPU outside the collector: the chain and the load generator, on / off. */
export const CPU_RATIO_GOAL = 1.15;
/** Jaeger's resident memory must stay under this much per trace it keeps, plus its own base. */
export const JAEGER_BASE_MIB = 100;
export const JAEGER_KIB_PER_TRACE = 24;
/** Growth after the first slice of the memory run that still counts as flat. */
export const FLAT_MIB = 20;

export const jaegerMemoryGoalMiB = (maxTraces: number): number => JAEGER_BASE_MIB + Math.ceil((maxTraces * JAEGER_KIB_PER_TRACE) / 1024);

/** CPU per request at a steady rate, in µs, summed over the processes that match. */
function perRequestUs(cpu: Record<string, number>, rps: number, match: (name: string) => boolean): number {
  return (Object.entries(cpu).filter(([n]) => match(n)).reduce((a, [, pct]) => a + pct, 0) / 100 / rps) * 1e6;
}

const outsideCollector = (name: string) => name !== 'jaeger';

export function renderMarkdown(r: Results): string {
  // Rounded down: 5997 of 6000 must not print as 100%.
  const pct = (x: number) => `${(Math.floor(x * 10000) / 100).toFixed(2)}%`;
  const lat = (l: LoadResult) => `${ms(l.latency.p50)} / ${ms(l.latency.p90)} / ${ms(l.latency.p99)}`;
  const p = r.plan;
  const [steadyOn, steadyOff] = Object.entries(r.cpu).filter(([k]) => !k.startsWith('throughput')).map(([, c]) => c);
  const usOn = perRequestUs(steadyOn, r.steadyRps.on, outsideCollector);
  const usOff = perRequestUs(steadyOff, r.steadyRps.off, outsideCollector);
  const m = r.memory;
  const first = m.samples[1] ?? m.samples[0];
  const last = m.samples[m.samples.length - 1];
  const jaegerGoal = jaegerMemoryGoalMiB(m.maxTraces);
  const others = Object.keys(last.rssMiB).filter((n) => n !== 'jaeger');
  const growth = others.map((n) => ({ n, grew: last.rssMiB[n] - (first.rssMiB[n] ?? last.rssMiB[n]) })).sort((a, b) => b.grew - a.grew)[0];
  const mib = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(0)}`);
  const summary = table(
    ['measure', 'result', 'goal'],
    [
      [
        `CPU per request at ${p.deliveryRps} req/s outside the collector (Envoys, services, load generator), tracing on / off`,
        `${usOn.toFixed(0)} / ${usOff.toFixed(0)} µs = **${(usOn / usOff).toFixed(2)}**`,
        `ratio ≤ ${CPU_RATIO_GOAL.toFixed(2)}`,
      ],
      [`throughput of ${PROXY_PATH}, ${p.concurrency} connections, tracing on / off`, `${r.overhead.on.achievedRps.toFixed(0)} / ${r.overhead.off.achievedRps.toFixed(0)} req/s = **${r.overhead.ratio.toFixed(2)}**`, 'ratio ≥ 0.90'],
      [`latency p50 / p90 / p99, tracing on / off (at full throughput)`, `${lat(r.overhead.on)} / ${lat(r.overhead.off)}`, '-'],
      [`complete traces after ${r.delivery.answered200} requests at ${p.deliveryRps} req/s for ${p.deliveryS} s`, `**${pct(r.delivery.share)}** (${r.delivery.complete} of ${r.delivery.answered200})`, '100%'],
      [
        `complete traces with a child sticking out of its parent by more than 1 ms, same run`,
        `**${r.delivery.nesting.outside}** of ${r.delivery.complete}`,
        '0',
      ],
      [`latency p50 / p90 / p99 of ${PROXY_PATH} at ${p.latencyRps} req/s`, `${lat(r.latency.chain)} (p99 **${ms(r.latency.chain.latency.p99)}**)`, 'p99 < 20 ms'],
      [`the floor: service2's app called directly at ${p.latencyRps} req/s`, lat(r.latency.floor), '-'],
      [
        `Jaeger's resident memory after ${last.requests} traced requests at ${m.rps} req/s (max_traces ${m.maxTraces})`,
        `**${mib(last.rssMiB.jaeger)} MiB** (${mib(m.samples[0].rssMiB.jaeger)} MiB before)`,
        `< ${jaegerGoal} MiB`,
      ],
      [
        `largest growth of an Envoy or service from ${first.requests} to ${last.requests} requests`,
        growth ? `**${growth.grew >= 0 ? '+' : ''}${growth.grew.toFixed(1)} MiB** (${growth.n})` : '-',
        `< ${FLAT_MIB} MiB`,
      ],
    ],
  );
  const memory = table(
    ['process', ...m.samples.map((x) => `MiB after ${x.requests}`)],
    Object.keys(last.rssMiB).map((n) => [n, ...m.samples.map((x) => mib(x.rssMiB[n]))]),
  );
  const names = [...new Set(Object.values(r.cpu).flatMap((c) => Object.keys(c)))];
  // CPU per request at a steady rate that saturates nothing: what tracing costs each process.
  const perRequest = (c: Record<string, number>, n: string, rps: number) =>
    c[n] === undefined ? '-' : `${Math.round((c[n] / 100 / rps) * 1e6)}`;
  const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
  const cpu = table(
    ['process', ...Object.keys(r.cpu).map((k) => `% of a core: ${k}`), `CPU µs per request at ${p.deliveryRps} req/s, on / off`],
    [...names, 'total'].map((n) => [
      n,
      ...Object.values(r.cpu).map((c) => (n === 'total' ? sum(c).toFixed(0) : c[n] === undefined ? '-' : c[n].toFixed(0))),
      n === 'total'
        ? `${Math.round((sum(steadyOn) / 100 / r.steadyRps.on) * 1e6)} / ${Math.round((sum(steadyOff) / 100 / r.steadyRps.off) * 1e6)}`
        : `${perRequest(steadyOn, n, r.steadyRps.on)} / ${perRequest(steadyOff, n, r.steadyRps.off)}`,
    ]),
  );
  // Where tracing's CPU goes, per request at the steady rate, by kind of process.
  const extra = (match: (n: string) => boolean) =>
    Math.round(
      names
        .filter(match)
        .reduce((a, n) => a + ((steadyOn[n] ?? 0) / r.steadyRps.on - (steadyOff[n] ?? 0) / r.steadyRps.off) / 100, 0) * 1e6,
    );
  const breakdown = `Tracing's CPU per request at ${p.deliveryRps} req/s: ${extra(() => true)} µs in all; Jaeger ${extra((n) => n === 'jaeger')} µs, the Envoys ${extra((n) => n.endsWith('envoy'))} µs, the services ${extra((n) => /^service\d$/.test(n))} µs, the load generator ${extra((n) => n === 'load generator')} µs.`;
  const missing = Object.entries(r.delivery.missingHops).map(([hop, n]) => `${hop}: ${n}`).join(', ') || 'none';
  const zipkin = Object.entries(r.delivery.zipkin).filter(([, v]) => v).map(([k, v]) => `${k.replace('tracing.zipkin.', '')} ${v}`).join(', ');
  return `### Benchmark (${r.mode}): ${r.date.slice(0, 10)}, ${r.machine.cores} cores (${r.machine.cpu})

Node ${r.machine.node}, Envoy ${r.versions.envoy} (Zipkin tracer), Jaeger ${r.versions.jaeger}, local topology (\`npm run bench\`).
Latencies are loadtest's, in whole milliseconds; each run paces its requests evenly.

${summary}

${cpu}

${breakdown}

Resident memory per process (MiB) across the memory run:

${memory}

Span delivery: what was wrong with incomplete traces: ${missing}; UDP datagrams dropped by the kernel on
Jaeger's 6831 / 6832: ${r.delivery.udpDrops[6831] ?? 0} / ${r.delivery.udpDrops[6832] ?? 0}; Envoy Zipkin reporter: ${zipkin || 'no counters'}; waited ${r.delivery.waitedS.toFixed(0)} s for the last spans.
${[
  ...r.delivery.incomplete.map((line) => `- incomplete: ${line}`),
  ...Object.entries(r.delivery.nesting.worst).map(
    ([hop, w]) => `- outside its parent: ${hop} in ${w.traces} traces, at worst ${w.early} µs early, ${w.late} µs late`,
  ),
].join('\n')}
`;
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

export function updateReadme(markdown: string): void {
  const file = path.join(ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return;
  writeFileSync(file, `${readme.slice(0, start + START.length)}\n${markdown}${readme.slice(end)}`);
}

