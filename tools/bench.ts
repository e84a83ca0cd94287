/**
 * `npm run bench`: what tracing costs, measured on the local topology, one run
 * after another on this machine.
 *
 *  1. overhead: /trace/1 as fast as C connections allow, tracing on (100% sampled)
 *     against the same topology with tracing removed from Envoys and services;
 *  2. delivery: K requests at a steady rate, then the share of traces that are
 *     complete (all seven hops) in Jaeger, and where the missing spans were lost;
 *  3. the floor: latency of the whole chain against a direct call to service2.
 *
 * Writes bench/results.json and bench/results.md (--smoke: a short run, written
 * to a temporary folder, that proves the bench works; no thresholds anywhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Sandbox, startSandbox, RUN_DIR } from '../local/sandbox';
import { binaries, requireBinaries, ROOT } from '../local/tools';
import { ADDRESSES, JAEGER_QUERY_URL, PORTS, PROXY_URL } from '../local/topology';
import { cpuMeter, udpDrops } from './cpu';
import { JaegerClient } from './jaeger';
import { LoadOptions, LoadResult, RunOptions, runLoad } from './load';
import { ms, table } from './stats';
import { shapeProblems, TRACE_HOPS } from './trace-shape';

interface Plan {
  concurrency: number;
  throughputS: number;
  latencyRps: number;
  latencyS: number;
  deliveryRps: number;
  deliveryS: number;
}

const FULL: Plan = { concurrency: 16, throughputS: 15, latencyRps: 100, latencyS: 15, deliveryRps: 200, deliveryS: 30 };
const SMOKE: Plan = { concurrency: 4, throughputS: 2, latencyRps: 50, latencyS: 2, deliveryRps: 50, deliveryS: 2 };

interface Phase {
  name: string;
  load: LoadResult;
  cpu: Record<string, number>;
}

const PROXY_PATH = '/trace/1';
const SERVICE2_DIRECT = `http://${ADDRESSES.service2}:${PORTS.service}`;

function load(rps: number, durationS: number, concurrency: number, target = PROXY_URL, path = PROXY_PATH): LoadOptions {
  return { rps, durationS, concurrency, target, path };
}

function pidsOf(sandbox: Sandbox): Record<string, number> {
  return Object.fromEntries(sandbox.group.names().map((name) => [name, sandbox.group.get(name)!.child.pid!]));
}

async function phase(name: string, sandbox: Sandbox, options: LoadOptions, onAnswer?: RunOptions['onAnswer']): Promise<Phase> {
  process.stderr.write(`bench: ${name} ...\n`);
  const meter = cpuMeter(pidsOf(sandbox));
  const result = await runLoad(options, { progress: true, onAnswer });
  return { name, load: result, cpu: meter.stop() };
}

async function zipkinStats(sandbox: Sandbox): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const name of sandbox.group.names().filter((n) => n.endsWith('envoy'))) {
    const container = name === 'front-envoy' ? 'front-envoy' : (name.replace('-envoy', '') as 'service1' | 'service2');
    const res = await fetch(`http://${ADDRESSES[container]}:${PORTS.envoyAdmin}/stats?filter=tracing\\.zipkin`);
    for (const line of (await res.text()).split('\n')) {
      const [key, value] = line.split(': ');
      if (key && value !== undefined) totals[key] = (totals[key] ?? 0) + Number(value);
    }
  }
  return totals;
}

interface Delivery {
  incomplete: string[];
  requests: number;
  answered200: number;
  complete: number;
  missingHops: Record<string, number>;
  udpDrops: Record<number, number>;
  zipkin: Record<string, number>;
  waitedS: number;
}

/** Counts complete traces among the given ids, polling Jaeger until no more arrive for a while. */
async function countComplete(
  jaeger: JaegerClient,
  ids: string[],
  sinceUs: number,
): Promise<{ complete: number; missingHops: Record<string, number>; incomplete: string[]; waitedS: number }> {
  const started = performance.now();
  const pending = new Set(ids);
  let lastProgress = performance.now();
  // Envoy's Zipkin tracer flushes every 5 s: wait up to 12 s without progress.
  while (pending.size > 0 && performance.now() - lastProgress < 12_000) {
    const lookback = `${Math.ceil((Date.now() * 1000 - sinceUs) / 1e6) + 60}s`;
    for (const trace of await jaeger.traces('front-proxy', { limit: ids.length + 1000, lookback })) {
      // Complete means all seven hops, correctly parented; clock skew is reported, not counted.
      if (pending.has(trace.traceId) && shapeProblems(trace, TRACE_HOPS, { timing: false }).length === 0) {
        pending.delete(trace.traceId);
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
  return { complete: ids.length - pending.size, missingHops, incomplete, waitedS: (performance.now() - started) / 1000 };
}

function envoyVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /\/(\d+\.\d+\.\d+)\//.exec(out)?.[1] ?? 'unknown';
}

/** The Jaeger Go module version the binary was built from (v1.76.0 is Jaeger 2.13.0). */
function jaegerVersion(binary: string): string {
  const out = spawnSync('go', ['version', '-m', binary], { encoding: 'utf8' }).stdout ?? '';
  const module = /\s(?:dep|mod)\s+github\.com\/jaegertracing\/jaeger\s+(\S+)/.exec(out)?.[1];
  return module ? `module github.com/jaegertracing/jaeger ${module}` : 'unknown';
}

export async function bench(smoke: boolean): Promise<string> {
  const plan = smoke ? SMOKE : FULL;
  const bins = requireBinaries(binaries());
  const runDir = path.join(RUN_DIR, 'bench');
  const jaeger = new JaegerClient(JAEGER_QUERY_URL);

  const traced = await startSandbox({ runDir, binaries: bins });
  let on: Phase, chain: Phase, floor: Phase, deliveryPhase: Phase, delivery: Delivery;
  try {
    await runLoad(load(50, 2, 4));
    on = await phase('throughput, tracing on', traced, load(0, plan.throughputS, plan.concurrency));
    chain = await phase(`the chain at ${plan.latencyRps} req/s`, traced, load(plan.latencyRps, plan.latencyS, plan.concurrency));
    floor = await phase(`service2 direct at ${plan.latencyRps} req/s`, traced, load(plan.latencyRps, plan.latencyS, plan.concurrency, SERVICE2_DIRECT, '/trace/2'));

    const ids: string[] = [];
    const dropsBefore = udpDrops([6831, 6832]);
    const zipkinBefore = await zipkinStats(traced);
    const sinceUs = Date.now() * 1000;
    deliveryPhase = await phase(`delivery at ${plan.deliveryRps} req/s`, traced, load(plan.deliveryRps, plan.deliveryS, plan.concurrency), (status, _ms, headers) => {
      const id = headers['x-trace-id'];
      if (status === 200 && typeof id === 'string') ids.push(id);
    });
    const counted = await countComplete(jaeger, ids, sinceUs);
    const dropsAfter = udpDrops([6831, 6832]);
    const zipkinAfter = await zipkinStats(traced);
    delivery = {
      requests: deliveryPhase.load.requests,
      answered200: ids.length,
      complete: counted.complete,
      missingHops: counted.missingHops,
      incomplete: counted.incomplete,
      waitedS: counted.waitedS,
      udpDrops: Object.fromEntries(Object.keys(dropsAfter).map((p) => [p, dropsAfter[Number(p)] - dropsBefore[Number(p)]])),
      zipkin: Object.fromEntries(Object.keys(zipkinAfter).map((k) => [k, zipkinAfter[k] - (zipkinBefore[k] ?? 0)])),
    };
  } finally {
    await traced.stop();
  }

  const untraced = await startSandbox({ runDir, binaries: bins, tracing: false });
  let off: Phase, steadyOff: Phase;
  try {
    await runLoad(load(50, 2, 4));
    off = await phase('throughput, tracing off', untraced, load(0, plan.throughputS, plan.concurrency));
    steadyOff = await phase(`steady ${plan.deliveryRps} req/s, tracing off`, untraced, load(plan.deliveryRps, plan.deliveryS, plan.concurrency));
  } finally {
    await untraced.stop();
  }

  const results: Results = {
    date: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    versions: { envoy: envoyVersion(bins.envoy), jaeger: jaegerVersion(bins.jaeger) },
    plan,
    overhead: { on: on.load, off: off.load, ratio: on.load.achievedRps / off.load.achievedRps },
    latency: { chain: chain.load, floor: floor.load },
    delivery: { ...delivery, share: delivery.answered200 ? delivery.complete / delivery.answered200 : 0 },
    cpu: { [on.name]: on.cpu, [off.name]: off.cpu, [deliveryPhase.name]: deliveryPhase.cpu, [steadyOff.name]: steadyOff.cpu },
    steadyRps: { on: deliveryPhase.load.achievedRps, off: steadyOff.load.achievedRps },
  };
  const markdown = renderMarkdown(results);
  const outDir = smoke ? mkdtempSync(path.join(os.tmpdir(), 'bench-')) : path.join(ROOT, 'bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'results.md'), markdown);
  if (!smoke) updateReadme(markdown);
  return `${markdown}\n(written to ${outDir})`;
}

interface Results {
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
}

function renderMarkdown(r: Results): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lat = (l: LoadResult) => `${ms(l.latency.p50)} / ${ms(l.latency.p90)} / ${ms(l.latency.p99)}`;
  const p = r.plan;
  const summary = table(
    ['measure', 'result', 'goal'],
    [
      [`throughput of ${PROXY_PATH}, ${p.concurrency} connections, tracing on / off`, `${r.overhead.on.achievedRps.toFixed(0)} / ${r.overhead.off.achievedRps.toFixed(0)} req/s = **${r.overhead.ratio.toFixed(2)}**`, 'ratio ≥ 0.90'],
      [`latency p50 / p90 / p99, tracing on / off (at full throughput)`, `${lat(r.overhead.on)} / ${lat(r.overhead.off)}`, '-'],
      [`complete traces after ${r.delivery.answered200} requests at ${p.deliveryRps} req/s for ${p.deliveryS} s`, `**${pct(r.delivery.share)}** (${r.delivery.complete} of ${r.delivery.answered200})`, '100%'],
      [`latency p50 / p90 / p99 of ${PROXY_PATH} at ${p.latencyRps} req/s`, `${lat(r.latency.chain)} (p99 **${ms(r.latency.chain.latency.p99)}**)`, 'p99 < 20 ms'],
      [`the floor: service2's app called directly at ${p.latencyRps} req/s`, lat(r.latency.floor), '-'],
    ],
  );
  const names = [...new Set(Object.values(r.cpu).flatMap((c) => Object.keys(c)))];
  const [steadyOn, steadyOff] = Object.entries(r.cpu).filter(([k]) => !k.startsWith('throughput')).map(([, c]) => c);
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
  const missing = Object.entries(r.delivery.missingHops).map(([hop, n]) => `${hop}: ${n}`).join(', ') || 'none';
  const zipkin = Object.entries(r.delivery.zipkin).filter(([, v]) => v).map(([k, v]) => `${k.replace('tracing.zipkin.', '')} ${v}`).join(', ');
  return `### Benchmark (${r.mode}): ${r.date.slice(0, 10)}, ${r.machine.cores} cores (${r.machine.cpu})

Node ${r.machine.node}, Envoy ${r.versions.envoy} (Zipkin tracer), Jaeger ${r.versions.jaeger}, local topology (\`npm run bench\`).
Latencies are loadtest's, in whole milliseconds; each run paces its requests evenly.

${summary}

${cpu}

Span delivery: what was wrong with incomplete traces: ${missing}; UDP datagrams dropped by the kernel on
Jaeger's 6831 / 6832: ${r.delivery.udpDrops[6831] ?? 0} / ${r.delivery.udpDrops[6832] ?? 0}; Envoy Zipkin reporter: ${zipkin || 'no counters'}; waited ${r.delivery.waitedS.toFixed(0)} s for the last spans.
${r.delivery.incomplete.map((line) => `- incomplete: ${line}`).join('\n')}
`;
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

function updateReadme(markdown: string): void {
  const file = path.join(ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return;
  writeFileSync(file, `${readme.slice(0, start + START.length)}\n${markdown}${readme.slice(end)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { smoke: { type: 'boolean' } } });
  console.log(await bench(values.smoke ?? false));
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`npm run bench: ${err.message}`);
    process.exit(1);
  });
}
