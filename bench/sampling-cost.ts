/**
 * What tail-based sampling costs (docs/labs.md#keep-the-traces-that-matter): the same steady load
 * on a sandbox whose Jaeger stores every trace (head sampling as shipped: every tracer keeps
 * every trace) and on one whose Jaeger decides by the tail_sampling policies. The hops do the same
 * work either way; Jaeger holds every trace's spans for the decision wait, and stores a tenth.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../toolchain/binaries';
import { Sandbox } from '../topology/sandbox';
import { JaegerClient } from '../tools/jaeger';
import { collectTraceIds, settledTraceCount } from '../tools/kept-traces';
import { LoadOptions, runLoad } from '../tools/load';
import { cpuMeter } from './cpu';
import { diskMiB, rssMiB } from './memory';
import type { SamplingCost, SamplingMode } from './report';

/** How long the tail_sampling processor waits before it decides (jaeger/tail-sampling.yaml), in seconds. */
export function decisionWaitS(config = readFileSync(path.join(ROOT, 'jaeger', 'tail-sampling.yaml'), 'utf8')): number {
  const wait = parse(config)?.processors?.tail_sampling?.decision_wait;
  const seconds = typeof wait === 'string' ? /^(\d+)s$/.exec(wait)?.[1] : undefined;
  if (!seconds) throw new Error(`jaeger/tail-sampling.yaml: decision_wait must be whole seconds, got ${JSON.stringify(wait)}`);
  return Number(seconds);
}

/** Traces looked up after the run to see what share Jaeger stored. */
const KEPT_SAMPLE = 500;

/**
 * One steady run on a started sandbox. CPU is counted from the load's start until the decision
 * wait and a second more have passed after its end, in both modes, so Jaeger's deferred work is
 * in; Jaeger's own memory (RssAnon) is read every second, and its peak kept.
 */
export async function samplingRun(sandbox: Sandbox, mode: SamplingMode, options: LoadOptions, jaeger: JaegerClient): Promise<Omit<SamplingCost, 'tracer'>> {
  process.stderr.write(`bench: ${options.rps} req/s for ${options.durationS} s, Jaeger sampling ${mode} ...\n`);
  const pids = Object.fromEntries(sandbox.group.names().map((name) => [name, sandbox.group.get(name)!.child.pid!]));
  const badger = sandbox.specs.get('jaeger')!.env!.BADGER_DIRECTORY;
  const before = { anon: rssMiB(pids.jaeger, 'RssAnon') ?? NaN, badger: diskMiB(badger) };
  let peak = before.anon;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pids.jaeger, 'RssAnon') ?? peak)), 1000);
  const ids: string[] = [];
  const started = performance.now();
  const meter = cpuMeter(pids);
  let load;
  let cpu;
  try {
    load = await runLoad(options, { progress: true, onAnswer: collectTraceIds(ids) });
    await new Promise((resolve) => setTimeout(resolve, (decisionWaitS() + 1) * 1000));
    cpu = meter.stop();
  } finally {
    clearInterval(sampler);
  }
  const elapsedS = (performance.now() - started) / 1000;
  const cpuUs = Object.fromEntries(Object.entries(cpu).map(([name, pct]) => [name, ((pct / 100) * elapsedS * 1e6) / load.requests]));
  const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / KEPT_SAMPLE)) === 0).slice(0, KEPT_SAMPLE);
  const kept = await settledTraceCount(jaeger, sample);
  return {
    mode,
    load,
    cpuUs,
    jaegerAnonMiB: { before: before.anon, peak },
    badgerMiB: diskMiB(badger) - before.badger,
    kept: { looked: sample.length, found: kept },
  };
}
