/**
 * `npm run bench`: what tracing costs, measured on the local topology, one run
 * after another on this machine.
 *
 *  1. overhead: /trace/1 as fast as C connections allow, tracing on (100% sampled)
 *     against the same topology with tracing removed from Envoys and services;
 *  2. delivery: K requests at a steady rate, then the share of traces that are
 *     complete (all seven hops) in Jaeger, and where the missing spans were lost;
 *  3. the floor: latency of the whole chain against a direct call to service2;
 *  4. memory: every process's resident memory across many traced requests, to
 *     show Jaeger bounded by its trace limit and the rest flat.
 *
 * Writes bench/results.json and bench/results.md (--smoke: a short run, written
 * to a temporary folder, that proves the bench works; no thresholds anywhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Delivery, MemoryRun, Plan, PROXY_PATH, renderMarkdown, Results } from './bench-report';
import { collectTraceIds, countComplete, zipkinStats } from './delivery';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { jaegerTraceLimit, Sandbox, startSandbox, RUN_DIR } from '../topology/sandbox';
import { Binaries, binaries, goModuleVersion, JAEGER_MODULE, jaegerRelease, requireBinaries, ROOT } from '../toolchain/binaries';
import { ADDRESSES, JAEGER_QUERY_URL, PORTS, PROXY_URL } from '../topology/topology';
import { cpuMeter, udpDrops } from './cpu';
import { rssOf } from './memory';
import { JaegerClient } from './jaeger';
import { LoadOptions, LoadResult, RunOptions, runLoad } from './load';
import { measureEnvoySpan, measureServiceSpan, SpanCost } from './span-cost';


const FULL: Plan = {
  concurrency: 16, throughputS: 15, latencyRps: 100, latencyS: 15, deliveryRps: 200, deliveryS: 30,
  memoryRequests: 100_000, memoryRps: 500, steadyPairs: 3, spanCost: { rps: 1000, durationS: 10, rounds: 2 },
};
const SMOKE: Plan = {
  concurrency: 4, throughputS: 2, latencyRps: 50, latencyS: 2, deliveryRps: 50, deliveryS: 2,
  memoryRequests: 1000, memoryRps: 250, steadyPairs: 1, spanCost: { rps: 200, durationS: 2, rounds: 1 },
};
/**
 * Before every measured run on a fresh sandbox: JIT, connection pools, and Node's check of the
 * deprecated Buffer() constructor, which captures a stack trace on each of its first 10,000 calls
 * in a process. node-int64, which jaeger-client uses for every timestamp and id, calls it up to
 * ten times a request; 2,000 requests run past that start-up cost.
 */
const WARM_UP = { rps: 200, durationS: 10 };
/** Memory samples in the memory run, after the one before it starts. */
const MEMORY_SAMPLES = 5;
/** How long the bench waits for one Jaeger query: its delivery count fetches thousands of traces in one. */
const BULK_QUERY_TIMEOUT_MS = 60_000;

interface Phase {
  name: string;
  load: LoadResult;
  cpu: Record<string, number>;
}

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

/** CPU µs per request of each process in a phase at a steady rate. */
function perRequest(p: Phase): Record<string, number> {
  return Object.fromEntries(Object.entries(p.cpu).map(([name, pct]) => [name, (pct / 100 / p.load.achievedRps) * 1e6]));
}

/** Starts a sandbox, warms it up, runs `body`, and stops it whatever happens. */
async function withSandbox<T>(bins: Binaries, runDir: string, tracing: boolean, body: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = await startSandbox({ runDir, binaries: bins, tracing });
  try {
    await runLoad(load(WARM_UP.rps, WARM_UP.durationS, 4));
    return await body(sandbox);
  } finally {
    await sandbox.stop();
  }
}

/** Traced requests in slices, with every process's resident memory after each. */
async function memoryRun(sandbox: Sandbox, plan: Plan, maxTraces: number): Promise<MemoryRun> {
  process.stderr.write(`bench: memory over ${plan.memoryRequests} requests at ${plan.memoryRps} req/s ...\n`);
  const pids = pidsOf(sandbox);
  const samples: MemoryRun['samples'] = [{ requests: 0, rssMiB: rssOf(pids) }];
  let sent = 0;
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    const slice = await runLoad(load(plan.memoryRps, plan.memoryRequests / MEMORY_SAMPLES / plan.memoryRps, plan.concurrency), { progress: true });
    sent += slice.requests;
    samples.push({ requests: sent, rssMiB: rssOf(pids) });
  }
  return { rps: plan.memoryRps, maxTraces, samples };
}

function envoyVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /\/(\d+\.\d+\.\d+)\//.exec(out)?.[1] ?? 'unknown';
}

/** The Jaeger release the binary was built from, by its Go module version. */
function jaegerVersion(binary: string): string {
  const module = goModuleVersion(binary, JAEGER_MODULE);
  return module ? jaegerRelease(module) : 'unknown';
}

export async function bench(smoke: boolean): Promise<string> {
  const plan = smoke ? SMOKE : FULL;
  const bins = requireBinaries(binaries());
  const runDir = path.join(RUN_DIR, 'bench');
  // The delivery count asks for thousands of whole traces at once, which takes Jaeger seconds.
  const jaeger = new JaegerClient(JAEGER_QUERY_URL, BULK_QUERY_TIMEOUT_MS);
  const steadyLoad = load(plan.deliveryRps, plan.deliveryS, plan.concurrency);
  const steady: Results['steady'] = { rps: plan.deliveryRps, on: [], off: [] };
  // The same answer handling in every steady run, so the load generator's share compares too.
  const steadyRun = (sandbox: Sandbox, tracing: boolean, ids: string[] = []) =>
    phase(`steady ${plan.deliveryRps} req/s, tracing ${tracing ? 'on' : 'off'}`, sandbox, steadyLoad, collectTraceIds(ids));

  let on!: Phase, chain!: Phase, floor!: Phase, delivery!: Delivery, memory!: MemoryRun, envoySpan!: SpanCost[], serviceSpan!: SpanCost[];
  await withSandbox(bins, runDir, true, async (traced) => {
    on = await phase('throughput, tracing on', traced, load(0, plan.throughputS, plan.concurrency));
    chain = await phase(`the chain at ${plan.latencyRps} req/s`, traced, load(plan.latencyRps, plan.latencyS, plan.concurrency));
    floor = await phase(`service2 direct at ${plan.latencyRps} req/s`, traced, load(plan.latencyRps, plan.latencyS, plan.concurrency, SERVICE2_DIRECT, '/trace/2'));

    const ids: string[] = [];
    const dropsBefore = udpDrops([6831, 6832]);
    const zipkinBefore = await zipkinStats(traced);
    const sinceUs = Date.now() * 1000;
    const deliveryPhase = await steadyRun(traced, true, ids);
    steady.on.push(perRequest(deliveryPhase));
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
      nesting: counted.nesting,
      udpDrops: Object.fromEntries(Object.keys(dropsAfter).map((p) => [p, dropsAfter[Number(p)] - dropsBefore[Number(p)]])),
      zipkin: Object.fromEntries(Object.keys(zipkinAfter).map((k) => [k, zipkinAfter[k] - (zipkinBefore[k] ?? 0)])),
    };
    memory = await memoryRun(traced, plan, jaegerTraceLimit(readFileSync(path.join(ROOT, 'jaeger', 'config.yaml'), 'utf8')));
    process.stderr.write('bench: one span, measured alone ...\n');
    envoySpan = await measureEnvoySpan(bins.envoy, runDir, plan.spanCost);
    serviceSpan = await measureServiceSpan(traced.specs.get('service2')!, runDir, plan.spanCost);
  });

  let off!: Phase;
  await withSandbox(bins, runDir, false, async (untraced) => {
    off = await phase('throughput, tracing off', untraced, load(0, plan.throughputS, plan.concurrency));
    steady.off.push(perRequest(await steadyRun(untraced, false)));
  });
  // More steady runs, on and off in turn, so a drift in the machine's speed falls on both.
  for (let pair = 1; pair < plan.steadyPairs; pair++) {
    await withSandbox(bins, runDir, true, async (traced) => void steady.on.push(perRequest(await steadyRun(traced, true))));
    await withSandbox(bins, runDir, false, async (untraced) => void steady.off.push(perRequest(await steadyRun(untraced, false))));
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
    cpu: { [on.name]: on.cpu, [off.name]: off.cpu },
    steady,
    spanCost: { envoy: envoySpan, service: serviceSpan },
    memory,
  };
  const markdown = renderMarkdown(results);
  const outDir = smoke ? mkdtempSync(path.join(os.tmpdir(), 'bench-')) : path.join(ROOT, 'bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'results.md'), markdown);
  return `${markdown}\n(written to ${outDir})`;
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
