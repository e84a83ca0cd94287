import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { formatFaultResult, formatLoadResult, LOAD_USAGE, parseLoadArgs, runLoad, runMixed, UsageError } from '../../tools/load';
import { listen } from '../services/helpers';
import { startProcess } from '../process';

const CLI = path.join(__dirname, '..', '..', 'tools', 'load-cli.js');

test('reads the documented arguments, with defaults for the optional ones', () => {
  assert.deepEqual(parseLoadArgs(['--rps', '200', '--duration', '30']), {
    rps: 200,
    durationS: 30,
    concurrency: 10,
    path: '/trace/1',
    target: 'http://127.0.0.1:8000',
  });
  assert.deepEqual(parseLoadArgs(['--rps', '5', '--duration', '1', '--concurrency', '2', '--path', '/service/1', '--target', 'http://127.0.0.1:9/']), {
    rps: 5,
    durationS: 1,
    concurrency: 2,
    path: '/service/1',
    target: 'http://127.0.0.1:9',
  });
});

test('--count-traces asks the local Jaeger unless --jaeger names another', () => {
  const base = ['--rps', '5', '--duration', '1'];
  assert.equal(parseLoadArgs(base).countTracesIn, undefined);
  assert.equal(parseLoadArgs([...base, '--count-traces']).countTracesIn, 'http://127.0.0.1:16686');
  assert.equal(parseLoadArgs([...base, '--count-traces', '--jaeger', 'http://127.0.0.1:26686/']).countTracesIn, 'http://127.0.0.1:26686');
});

const badArgs: Array<[string[], RegExp]> = [
  [['--rps', '5', '--duration', '1', '--jaeger', 'http://127.0.0.1:16686'], /^--jaeger goes with --count-traces/],
  [['--rps', '5', '--duration', '1', '--count-traces', '--jaeger', 'jaeger:16686'], /^--jaeger must be an http:\/\/ URL, got "jaeger:16686"$/],
  [[], /^--rps is required/],
  [['--rps', '10'], /^--duration is required/],
  [['--rps', 'fast', '--duration', '1'], /^--rps must be a positive number/],
  [['--rps=-5', '--duration', '1'], /^--rps must be a positive number/],
  [['--rps', '5', '--duration', '1', '--concurrency', '2.5'], /^--concurrency must be a positive whole number/],
  [['--rps', '5', '--duration', '1', '--path', 'trace/1'], /^--path must start with "\/"/],
  [['--rps', '5', '--duration', '1', '--target', 'localhost:8000'], /^--target must be an http:\/\/ URL/],
  [['--rps', '5', '--duration', '1', '--bogus'], /^Unknown option '--bogus'/],
  [['--rps', '5', '--duration', '1', '--fault', 'abort-503@service1-egress'], /^--fault must be a fault of the faults lab and a share above 0 and below 1, as abort-503@service1-egress=0\.05, got "abort-503@service1-egress"$/],
  [['--rps', '5', '--duration', '1', '--fault', 'abort-503@service1-egress=1'], /^--fault must be .*, got "abort-503@service1-egress=1"$/],
  [['--rps', '5', '--duration', '1', '--fault', 'abort-503@service1-egress=0'], /^--fault must be .*, got "abort-503@service1-egress=0"$/],
  [['--rps', '5', '--duration', '1', '--fault', 'abort-503@service1-egress='], /^--fault must be .*, got "abort-503@service1-egress="$/],
  [['--rps', '5', '--duration', '1', '--fault', 'abort-503=0.1'], /^--fault must be .*, got "abort-503=0\.1"$/],
  [['--rps', '5', '--duration', '1', '--fault', 'X abort-503@service1-egress=0.1'], /^--fault must be .*, got "X abort-503@service1-egress=0\.1"$/],
  [['--rps', '5', '--duration', '1', '--fault', 'a@b=0.5', '--fault', 'c@d=0.5'], /^the --fault shares add up to 1: they must leave some plain requests, below 1 in all$/],
];

test('--fault takes a fault and its share, as often as given', () => {
  const parsed = parseLoadArgs(['--rps', '20', '--duration', '1', '--fault', 'abort-503@service1-egress=0.05', '--fault', 'delay-700@service2-ingress=0.1']);
  assert.deepEqual(parsed.faults, [
    { value: 'abort-503@service1-egress', share: 0.05 },
    { value: 'delay-700@service2-ingress', share: 0.1 },
  ]);
  assert.equal(parseLoadArgs(['--rps', '20', '--duration', '1']).faults, undefined);
});

for (const [argv, expected] of badArgs) {
  test(`rejects ${JSON.stringify(argv)} with one line`, () => {
    assert.throws(
      () => parseLoadArgs(argv),
      (err: unknown) => err instanceof UsageError && expected.test(err.message) && !err.message.includes('\n'),
    );
  });
}

test('the command exits 2 with one line on bad arguments', () => {
  const run = spawnSync(process.execPath, [CLI, '--rps', 'fast', '--duration', '1'], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.equal(run.stderr, 'npm run load: --rps must be a positive number up to 100000, got "fast"\n');
  assert.match(LOAD_USAGE, /^usage: npm run load -- --rps R --duration SECONDS/);
});

test('drives a server at the asked rate and counts answers by status', async (t) => {
  let n = 0;
  const base = await listen(t, (_req, res) => {
    res.statusCode = ++n % 5 === 0 ? 503 : 200;
    res.end('ok');
  });
  const result = await runLoad({ rps: 40, durationS: 1, concurrency: 4, path: '/trace/1', target: base });
  // A paced run sends exactly rate × duration requests and counts every answer, the last ones in flight too.
  assert.equal(result.requests, 40, `${result.requests} requests in 1 s at 40 req/s`);
  assert.equal(n, result.requests, 'the server saw exactly the requests counted');
  assert.equal(result.answered, result.requests);
  assert.equal(result.outcomes['503'] ?? 0, Math.floor(n / 5), 'every fifth answer was a 503');
  assert.equal(result.outcomes['503'] ?? 0, result.errors);
  assert.equal((result.outcomes['200'] ?? 0) + (result.outcomes['503'] ?? 0), result.requests);
  assert.ok(result.latency.p50 <= result.latency.p99 && result.latency.p99 <= result.latency.max);
  const printed = formatLoadResult(result);
  for (const row of ['requests', 'rate achieved', 'errors', 'latency p50', 'latency p90', 'latency p99', 'latency max']) {
    assert.match(printed, new RegExp(`^${row} `, 'm'));
  }
  assert.match(printed, n >= 5 ? /by status: 200: \d+, 503: \d+/ : /by status: 200: \d+/);
});

test('the command says so in one line when nothing answers', () => {
  const run = spawnSync(process.execPath, [CLI, '--rps', '5', '--duration', '1', '--target', 'http://127.0.0.1:9'], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.equal(run.stderr, 'npm run load: no request was answered by http://127.0.0.1:9\n');
  assert.match(run.stdout, /^errors +\d+ \(by status: no answer/m);
});

test('with --count-traces, says how many of the answered requests\' traces Jaeger kept', async (t) => {
  let n = 0;
  const service = await listen(t, (_req, res) => {
    res.setHeader('x-trace-id', `${++n}`.padStart(16, '0'));
    res.end('ok');
  });
  // Jaeger has the odd-numbered traces, and from the second look on every one: the count settles at once.
  let looks = 0;
  const jaeger = await listen(t, (req, res) => {
    const id = Number(/\/api\/v3\/traces\/(\w+)$/.exec(req.url ?? '')?.[1] ?? 'x');
    const kept = id % 2 === 1 || ++looks > 10;
    res.statusCode = kept ? 200 : 404;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(kept ? { result: { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: String(id).padStart(32, '0'), spanId: '00000000000000a1', name: 'x', startTimeUnixNano: '1000', endTimeUnixNano: '2000' }] }] }] } } : { error: { httpCode: 404, message: 'trace not found' } }));
  });
  const run = startProcess(t, process.execPath, [CLI, '--rps', '10', '--duration', '1', '--target', service, '--count-traces', '--jaeger', jaeger]);
  assert.equal(await run.exited, 0, run.stderr());
  assert.match(run.stdout(), /\ntraces in Jaeger {2}10 of 10 answered requests \(100\.0%\)\n$/);
});

test('mixes the faults in at their shares of the rate, each request with its own header, and says which kind each answer was', async (t) => {
  const seen: Record<string, number> = {};
  const base = await listen(t, (req, res) => {
    const fault = String(req.headers['x-sandbox-fault'] ?? 'none');
    seen[fault] = (seen[fault] ?? 0) + 1;
    res.statusCode = fault.startsWith('abort-') ? 502 : 200;
    res.end('ok');
  });
  const heard: Record<string, number[]> = {};
  const kinds = await runMixed(
    { rps: 40, durationS: 1, concurrency: 4, path: '/trace/1', target: base, faults: [{ value: 'abort-503@service1-egress', share: 0.25 }, { value: 'delay-5@service2-ingress', share: 0.125 }] },
    { onAnswer: (fault, status) => (heard[fault ?? 'none'] ??= []).push(status) },
  );
  // 40 requests: 25 plain, 10 with the abort, 5 with the delay.
  assert.deepEqual(seen, { none: 25, 'abort-503@service1-egress': 10, 'delay-5@service2-ingress': 5 });
  assert.deepEqual(kinds.map((k) => [k.fault, k.result.requests, k.result.options.rps]), [
    [undefined, 25, 25],
    ['abort-503@service1-egress', 10, 10],
    ['delay-5@service2-ingress', 5, 5],
  ]);
  assert.deepEqual(heard, { none: Array(25).fill(200), 'abort-503@service1-egress': Array(10).fill(502), 'delay-5@service2-ingress': Array(5).fill(200) });
  assert.equal(formatFaultResult(kinds[1]), 'with fault abort-503@service1-egress  10 requests at 10 req/s (by status: 502: 10)');
});

test('with --fault and --count-traces, counts the kept traces of each kind apart', async (t) => {
  let n = 0;
  const service = await listen(t, (req, res) => {
    // Plain requests get even ids, the faulty ones odd ids.
    n += 1;
    const id = req.headers['x-sandbox-fault'] ? 2 * n + 1 : 2 * n;
    res.setHeader('x-trace-id', `${id}`.padStart(16, '0'));
    res.statusCode = req.headers['x-sandbox-fault'] ? 502 : 200;
    res.end('ok');
  });
  // Jaeger kept every faulty trace and none of the plain ones.
  const jaeger = await listen(t, (req, res) => {
    const id = Number(/\/api\/v3\/traces\/(\w+)$/.exec(req.url ?? '')?.[1] ?? 'x');
    const kept = id % 2 === 1;
    res.statusCode = kept ? 200 : 404;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(kept ? { result: { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: String(id).padStart(32, '0'), spanId: '00000000000000a1', name: 'x', startTimeUnixNano: '1000', endTimeUnixNano: '2000' }] }] }] } } : { error: { httpCode: 404, message: 'trace not found' } }));
  });
  const run = startProcess(t, process.execPath, [CLI, '--rps', '20', '--duration', '1', '--target', service, '--fault', 'abort-503@service1-egress=0.25', '--count-traces', '--jaeger', jaeger]);
  assert.equal(await run.exited, 0, run.stderr());
  assert.match(run.stdout(), /\nwith fault abort-503@service1-egress {2}5 requests at 5 req\/s \(by status: 502: 5\)\n/);
  assert.match(run.stdout(), /\ntraces in Jaeger {2}0 of 15 answered requests \(0\.0%\)\n {2}with fault abort-503@service1-egress {2}5 of 5 answered requests \(100\.0%\)\n$/);
});

test('without --fault, runs the plain requests alone; a kind\'s statuses print in order', async (t) => {
  let n = 0;
  const base = await listen(t, (req, res) => {
    n++;
    assert.equal(req.headers['x-sandbox-fault'], undefined);
    res.end('ok');
  });
  const kinds = await runMixed({ rps: 20, durationS: 1, concurrency: 2, path: '/trace/1', target: base });
  assert.deepEqual(kinds.map((k) => [k.fault, k.result.requests]), [[undefined, 20]]);
  assert.equal(n, 20);
  const result = { ...kinds[0].result, outcomes: { '503': 1, '200': 19 } };
  assert.equal(formatFaultResult({ fault: 'abort-503@service1-egress', result }), 'with fault abort-503@service1-egress  20 requests at 20 req/s (by status: 200: 19, 503: 1)');
});
