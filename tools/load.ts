/**
 * A steady load on the front proxy with loadtest, which spaces requests evenly
 * (autocannon's rate limit sends each second's quota in one burst at the start
 * of the second, which measures its own queueing). A live progress bar, and a
 * summary of what happened. loadtest times requests in whole milliseconds.
 */
import { SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { LatencySummary, ms, summarize } from '../lib/stats';

interface LoadtestAnswer {
  statusCode: number;
  requestElapsed: number;
  headers: Record<string, string | string[] | undefined>;
}

/** How long one request may take before it counts as unanswered. */
const REQUEST_TIMEOUT_MS = 10_000;

// loadtest 8 returns a promise when given no callback; its bundled types predate that.
const { loadTest } = require('loadtest') as {
  loadTest(options: {
    url: string;
    concurrency: number;
    requestsPerSecond?: number;
    maxRequests?: number;
    maxSeconds: number;
    agentKeepAlive: boolean;
    timeout: number;
    quiet: boolean;
    headers?: Record<string, string>;
    statusCallback(error: Error | undefined, result: LoadtestAnswer | undefined): void;
  }): Promise<unknown>;
};

export interface LoadOptions {
  /** Requests per second; 0 sends as fast as the connections allow (the benchmark's throughput run). */
  rps: number;
  durationS: number;
  concurrency: number;
  path: string;
  target: string;
  /** Set by --count-traces: the Jaeger to ask, after the run, how many of the answered requests' traces it kept. */
  countTracesIn?: string;
  /**
   * Set by --fault VALUE=SHARE: that share of the requests carry `x-sandbox-fault: VALUE` (the faults
   * lab of docs/labs.md), sent beside the plain ones at their share of the rate.
   */
  faults?: Fault[];
}

export interface Fault {
  value: string;
  share: number;
}

export interface LoadResult {
  options: LoadOptions;
  requests: number;
  /** Requests that got an HTTP answer, of any status. */
  answered: number;
  elapsedS: number;
  achievedRps: number;
  /** Count per HTTP status, and per kind of transport failure. */
  outcomes: Record<string, number>;
  errors: number;
  latency: LatencySummary;
}

export class UsageError extends Error {}

export const LOAD_USAGE =
  'usage: npm run load -- --rps R --duration SECONDS [--concurrency C] [--path /trace/1] [--target http://127.0.0.1:8000] [--fault abort-503@service1-egress=0.05 ...] [--count-traces [--jaeger http://127.0.0.1:16686]]';

/** `--fault VALUE=SHARE`: a fault of the faults lab and the share of requests that carry it. */
function parseFaults(raw: string[]): Fault[] {
  const faults = raw.map((arg) => {
    const match = /^([a-z0-9-]+@[a-z0-9-]+)=(.*)$/.exec(arg);
    const share = Number(match?.[2]);
    if (!match || !match[2] || !Number.isFinite(share) || share <= 0 || share >= 1) {
      throw new UsageError(`--fault must be a fault of the faults lab and a share above 0 and below 1, as abort-503@service1-egress=0.05, got "${arg}"`);
    }
    return { value: match[1], share };
  });
  const total = faults.reduce((sum, f) => sum + f.share, 0);
  if (total >= 1) throw new UsageError(`the --fault shares add up to ${Number(total.toFixed(6))}: they must leave some plain requests, below 1 in all`);
  return faults;
}

function positive(name: string, raw: string | undefined, fallback?: number, { integer = false, max = Infinity } = {}): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required (${LOAD_USAGE})`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)) || value > max) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'whole ' : ''}number${max < Infinity ? ` up to ${max}` : ''}, got "${raw}"`);
  }
  return value;
}

export function parseLoadArgs(argv: string[]): LoadOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        rps: { type: 'string' },
        duration: { type: 'string' },
        concurrency: { type: 'string' },
        path: { type: 'string' },
        target: { type: 'string' },
        'count-traces': { type: 'boolean' },
        jaeger: { type: 'string' },
        fault: { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (${LOAD_USAGE})`);
  }
  const v = parsed.values;
  const path = v.path ?? '/trace/1';
  if (!path.startsWith('/')) throw new UsageError(`--path must start with "/", got "${path}"`);
  const target = httpUrl('target', v.target ?? 'http://127.0.0.1:8000');
  if (v.jaeger !== undefined && !v['count-traces']) throw new UsageError(`--jaeger goes with --count-traces (${LOAD_USAGE})`);
  const jaeger = v['count-traces'] ? httpUrl('jaeger', v.jaeger ?? process.env.JAEGER_URL ?? 'http://127.0.0.1:16686') : undefined;
  return {
    rps: positive('rps', v.rps, undefined, { max: 100_000 }),
    durationS: positive('duration', v.duration, undefined, { max: 86_400 }),
    concurrency: positive('concurrency', v.concurrency, 10, { integer: true, max: 10_000 }),
    path,
    target: target.replace(/\/$/, ''),
    ...(jaeger ? { countTracesIn: jaeger.replace(/\/$/, '') } : {}),
    ...(v.fault ? { faults: parseFaults(v.fault) } : {}),
  };
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${name} must be an http:// URL, got "${value}"`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`--${name} must be an http:// URL, got "${value}"`);
  return value;
}

export interface RunOptions {
  /** Show a live progress bar on stderr (only where stderr is a terminal). */
  progress?: boolean;
  /** Per-answer observer, e.g. to collect trace ids. */
  onAnswer?: (status: number, latencyMs: number, headers: LoadtestAnswer['headers']) => void;
  headers?: Record<string, string>;
}

export async function runLoad(options: LoadOptions, { progress = false, onAnswer, headers }: RunOptions = {}): Promise<LoadResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const count = (key: string) => (outcomes[key] = (outcomes[key] ?? 0) + 1);
  let errors = 0;
  let unanswered = 0;

  const bar =
    progress && process.stderr.isTTY
      ? new SingleBar({ format: 'load |{bar}| {value}/{total} s | {rate} req/s | {errors} errors', stream: process.stderr, hideCursor: true })
      : undefined;
  let lastTotal = 0;
  bar?.start(Math.ceil(options.durationS), 0, { rate: 0, errors: 0 });
  const ticker = setInterval(() => {
    const total = latencies.length + unanswered;
    bar?.increment(1, { rate: total - lastTotal, errors });
    lastTotal = total;
  }, 1000);

  const started = performance.now();
  try {
    await loadTest({
      url: `${options.target}${options.path}`,
      concurrency: options.concurrency,
      requestsPerSecond: options.rps > 0 ? options.rps : undefined,
      // A paced run sends exactly rps × duration requests and ends once every one is answered (or
      // has timed out), so a request still in flight at the end is counted too; its time limit only
      // stops a run that cannot keep up. An unpaced run is bounded by its duration alone.
      ...(options.rps > 0
        ? { maxRequests: Math.max(1, Math.round(options.rps * options.durationS)), maxSeconds: options.durationS + REQUEST_TIMEOUT_MS / 1000 }
        : { maxSeconds: options.durationS }),
      agentKeepAlive: true,
      timeout: REQUEST_TIMEOUT_MS,
      quiet: true,
      headers,
      statusCallback(error, answer) {
        if (!answer) {
          errors++;
          unanswered++;
          count(error?.message ? `no answer (${error.message})` : 'no answer');
          return;
        }
        latencies.push(answer.requestElapsed);
        count(String(answer.statusCode));
        if (answer.statusCode >= 400) errors++;
        onAnswer?.(answer.statusCode, answer.requestElapsed, answer.headers);
      },
    });
  } finally {
    clearInterval(ticker);
    bar?.stop();
  }
  const elapsedS = (performance.now() - started) / 1000;
  const requests = latencies.length + unanswered;
  return {
    options,
    requests,
    answered: latencies.length,
    elapsedS,
    achievedRps: requests / elapsedS,
    outcomes,
    errors,
    latency: summarize(latencies),
  };
}

/** What one kind of request in a run got: the plain ones (no fault), or those with one fault. */
export interface KindResult {
  fault?: string;
  result: LoadResult;
}

/**
 * The run with its --fault requests mixed in: each kind is a paced run of its own at its share of
 * the rate, all at once, so the kinds interleave evenly over the duration. The plain run shows the
 * progress bar. onAnswer hears which kind each answer was.
 */
export async function runMixed(
  options: LoadOptions,
  { progress = false, onAnswer }: { progress?: boolean; onAnswer?: (fault: string | undefined, ...answer: Parameters<NonNullable<RunOptions['onAnswer']>>) => void } = {},
): Promise<KindResult[]> {
  const faults = options.faults ?? [];
  const plainShare = 1 - faults.reduce((sum, f) => sum + f.share, 0);
  const kinds = [{ fault: undefined as string | undefined, share: plainShare }, ...faults.map((f) => ({ fault: f.value as string | undefined, share: f.share }))];
  return Promise.all(
    kinds.map(async ({ fault, share }, i) => ({
      fault,
      result: await runLoad(
        { ...options, rps: options.rps * share },
        {
          progress: progress && i === 0,
          headers: fault ? { 'x-sandbox-fault': fault } : undefined,
          onAnswer: onAnswer && ((...answer) => onAnswer(fault, ...answer)),
        },
      ),
    })),
  );
}

const byStatus = (outcomes: Record<string, number>): string =>
  Object.entries(outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');

/** One line for the requests that carried a fault: how many, and what they got. */
export function formatFaultResult({ fault, result }: KindResult): string {
  return `with fault ${fault}  ${result.requests} requests at ${result.options.rps} req/s (by status: ${byStatus(result.outcomes)})`;
}

export function formatLoadResult(result: LoadResult): string {
  const { options, latency } = result;
  const outcomes = byStatus(result.outcomes);
  const rows: Array<[string, string]> = [
    ['target', `${options.target}${options.path}`],
    ['asked', `${options.rps > 0 ? `${options.rps} req/s` : 'as fast as possible'} for ${options.durationS} s over ${options.concurrency} connections`],
    ['requests', String(result.requests)],
    ['rate achieved', `${result.achievedRps.toFixed(1)} req/s`],
    ['errors', `${result.errors}${outcomes ? ` (by status: ${outcomes})` : ''}`],
    ['latency p50', ms(latency.p50)],
    ['latency p90', ms(latency.p90)],
    ['latency p99', ms(latency.p99)],
    ['latency max', ms(latency.max)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

