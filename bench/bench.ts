/**
 * `npm run bench`: what tracing costs in each variant that runs here (Zipkin and
 * OpenTelemetry), measured on the local topology, one run after another on this
 * machine.
 *
 *  1. CPU per request at a steady rate, each variant traced (100% sampled) and
 *     then the same topology with tracing removed from Envoys and services, in
 *     pairs, so every pair gives a ratio and a drift in the machine's speed
 *     shows as their spread;
 *  2. throughput: /trace/1 as fast as C connections allow, traced and untraced;
 *  3. delivery: K requests at a steady rate, then the share of traces that are
 *     complete (all seven hops) in Jaeger, and where the missing spans were lost;
 *  4. the floor: latency of the whole chain against a direct call to service2;
 *  5. memory: every process's resident memory across many traced requests, to
 *     show the Envoys and services flat, and Jaeger's memory and disk on Badger;
 *  6. one span of each tracer, measured alone;
 *  7. Jaeger under head and under tail sampling, at the same steady load.
 *
 * Writes bench/results.json and bench/results.md (--smoke: a short run, written
 * to a temporary folder, that proves the bench works; no thresholds anywhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Delivery, MemoryRun, Pair, Plan, PROXY_PATH, renderMarkdown, Results, SamplingCost, SamplingMode, VariantResults } from './report';
import { samplingRun } from './sampling-cost';
import { countComplete, reporterStats } from './complete-traces';
import { collectTraceIds } from '../tools/kept-traces';
import { EnvoyTracer, LOCAL_VARIANTS, RenderedVariant, servicesTracer } from '../topology/variants';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { jaegerRetentionHours } from '../topology/collector';
import { Sandbox, startSandbox, RUN_DIR } from '../topology/sandbox';
import { Binaries, binaries, goModuleVersion, JAEGER_MODULE, jaegerRelease, requireBinaries, ROOT } from '../toolchain/binaries';
import { ADDRESSES, JAEGER_QUERY_URL, PORTS, PROXY_URL } from '../topology/topology';
import { cpuMeter, udpDrops } from './cpu';
import { diskMiB, rssOf } from './memory';
import { JaegerClient } from '../tools/jaeger';
import { LoadOptions, LoadResult, RunOptions, runLoad } from '../tools/load';
import { measureEnvoySpan, measureServiceSpan, SpanCost } from './span-cost';


const FULL: Plan = {
  concurrency: 16, throughputS: 15, latencyRps: 100, latencyS: 15, deliveryRps: 200, deliveryS: 30,
  memoryRequests: 100_000, memoryRps: 500, steadyPairs: 3, spanCost: { rps: 1000, durationS: 10, rounds: 2 },
  sampling: { rps: 500, durationS: 30 },
};
const SMOKE: Plan = {
  concurrency: 4, throughputS: 2, latencyRps: 50, latencyS: 2, deliveryRps: 50, deliveryS: 2,
  memoryRequests: 1000, memoryRps: 250, steadyPairs: 1, spanCost: { rps: 200, durationS: 2, rounds: 1 },
  sampling: { rps: 100, durationS: 3 },
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

/** The variants that run here, their Envoys' tracer, and the tracer their Compose file gives the services. */
const VARIANTS = LOCAL_VARIANTS.map((variant) => ({ variant, tracer: variant.envoyTracer, services: servicesTracer(variant) }));

/**
 * Starts a sandbox (untraced: no variant given), with Jaeger in the given sampling mode (head
 * unless given), warms it up, runs `body`, and stops it whatever happens.
 */
async function withSandbox<T>(bins: Binaries, runDir: string, variant: RenderedVariant | undefined, body: (sandbox: Sandbox) => Promise<T>, mode?: SamplingMode): Promise<T> {
  // Every run starts on an empty store, so no run pays for the traces of the one before.
  rmSync(path.join(runDir, 'badger'), { recursive: true, force: true });
  const sandbox = await startSandbox({ runDir, binaries: bins, tracing: variant !== undefined, variant, jaegerSampling: mode ? { JAEGER_SAMPLING: mode } : {} });
  try {
    await runLoad(load(WARM_UP.rps, WARM_UP.durationS, 4));
    return await body(sandbox);
  } finally {
    await sandbox.stop();
  }
}

/** Traced requests in slices, with every process's resident memory after each. */
async function memoryRun(sandbox: Sandbox, plan: Plan, retentionHours: number): Promise<MemoryRun> {
  process.stderr.write(`bench: memory over ${plan.memoryRequests} requests at ${plan.memoryRps} req/s ...\n`);
  const pids = pidsOf(sandbox);
  const badger = sandbox.specs.get('jaeger')!.env!.BADGER_DIRECTORY;
  const sample = (requests: number) => ({ requests, rssMiB: rssOf(pids), anonMiB: rssOf(pids, 'RssAnon'), badgerMiB: diskMiB(badger) });
  const samples: MemoryRun['samples'] = [sample(0)];
  let sent = 0;
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    const slice = await runLoad(load(plan.memoryRps, plan.memoryRequests / MEMORY_SAMPLES / plan.memoryRps, plan.concurrency), { progress: true });
    sent += slice.requests;
    samples.push(sample(sent));
  }
  return { rps: plan.memoryRps, retentionHours, samples };
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
  // The same answer handling in every steady run, so the load generator's share compares too.
  const steadyRun = (sandbox: Sandbox, label: string, ids: string[] = []) =>
    phase(`steady ${plan.deliveryRps} req/s, ${label}`, sandbox, steadyLoad, collectTraceIds(ids));

  /** The traced variant's first run: throughput, latency, delivery, memory and its service span, then its steady CPU. */
  const firstTracedRun = async ({ tracer, services }: (typeof VARIANTS)[number], traced: Sandbox) => {
    const name = `tracing on (${tracer})`;
    const throughput = await phase(`throughput, ${name}`, traced, load(0, plan.throughputS, plan.concurrency));
    const chain = await phase(`the chain at ${plan.latencyRps} req/s, ${name}`, traced, load(plan.latencyRps, plan.latencyS, plan.concurrency));
    const ids: string[] = [];
    const dropsBefore = udpDrops([6831, 6832]);
    const reporterBefore = await reporterStats(traced, tracer);
    const sinceUs = Date.now() * 1000;
    const deliveryPhase = await steadyRun(traced, name, ids);
    const counted = await countComplete(jaeger, ids, sinceUs);
    const dropsAfter = udpDrops([6831, 6832]);
    const reporterAfter = await reporterStats(traced, tracer);
    const delivery: Delivery = {
      requests: deliveryPhase.load.requests,
      answered200: ids.length,
      ...counted,
      udpDrops: Object.fromEntries(Object.keys(dropsAfter).map((p) => [p, dropsAfter[Number(p)] - dropsBefore[Number(p)]])),
      reporter: Object.fromEntries(Object.keys(reporterAfter).map((k) => [k, reporterAfter[k] - (reporterBefore[k] ?? 0)])),
    };
    const memory = await memoryRun(traced, plan, jaegerRetentionHours(readFileSync(path.join(ROOT, 'jaeger', 'config.yaml'), 'utf8')));
    process.stderr.write(`bench: one ${services} span, measured alone ...\n`);
    const serviceSpan = await measureServiceSpan(traced.specs.get('service2')!, services, runDir, plan.spanCost);
    return { throughput, chain, delivery, memory, serviceSpan, steady: perRequest(deliveryPhase) };
  };

  let untraced!: Results['untraced'];
  let envoySpan!: SpanCost[];
  const variants: VariantResults[] = [];
  const pairs = new Map<EnvoyTracer, Pair[]>(VARIANTS.map((v) => [v.tracer, []]));
  // Each traced run is followed by an untraced one; the pairs of all variants interleave.
  for (let pair = 0; pair < plan.steadyPairs; pair++) {
    for (const variant of VARIANTS) {
      const on = await withSandbox(bins, runDir, variant.variant, async (traced) => {
        if (pair > 0) return perRequest(await steadyRun(traced, `tracing on (${variant.tracer})`));
        const first = await firstTracedRun(variant, traced);
        if (!envoySpan) {
          process.stderr.write('bench: one Envoy span of each tracer, measured alone ...\n');
          envoySpan = await measureEnvoySpan(bins.envoy, runDir, plan.spanCost);
        }
        variants.push({
          tracer: variant.tracer,
          services: variant.services,
          throughput: first.throughput.load,
          cpu: first.throughput.cpu,
          chain: first.chain.load,
          delivery: { ...first.delivery, share: first.delivery.answered200 ? first.delivery.complete / first.delivery.answered200 : 0 },
          pairs: [],
          memory: first.memory,
          serviceSpan: first.serviceSpan,
        });
        return first.steady;
      });
      const off = await withSandbox(bins, runDir, undefined, async (plain) => {
        if (!untraced) {
          const throughput = await phase('throughput, tracing off', plain, load(0, plan.throughputS, plan.concurrency));
          const floor = await phase(`service2 direct at ${plan.latencyRps} req/s`, plain, load(plan.latencyRps, plan.latencyS, plan.concurrency, SERVICE2_DIRECT, '/trace/2'));
          untraced = { throughput: throughput.load, cpu: throughput.cpu, floor: floor.load };
        }
        return perRequest(await steadyRun(plain, 'tracing off'));
      });
      pairs.get(variant.tracer)!.push({ on, off });
    }
  }
  for (const v of variants) v.pairs = pairs.get(v.tracer)!;

  // Head and tail sampling at the same load, one sandbox after the other.
  const sampling: SamplingCost[] = [];
  for (const variant of VARIANTS) {
    for (const mode of ['head', 'tail'] as const) {
      const run = await withSandbox(bins, runDir, variant.variant, (sandbox) => samplingRun(sandbox, mode, load(plan.sampling.rps, plan.sampling.durationS, plan.concurrency), jaeger), mode);
      sampling.push({ tracer: variant.tracer, ...run });
    }
  }

  const results: Results = {
    date: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    versions: { envoy: envoyVersion(bins.envoy), jaeger: jaegerVersion(bins.jaeger) },
    plan,
    untraced,
    steadyRps: plan.deliveryRps,
    variants,
    envoySpan,
    sampling,
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
