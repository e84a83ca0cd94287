import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMarkdown, Results } from '../../tools/bench-report';
import { LoadResult } from '../../tools/load';

function load(rps: number, p50: number, p99: number): LoadResult {
  return {
    options: { rps, durationS: 10, concurrency: 16, path: '/trace/1', target: 'http://127.0.0.1:8000' },
    requests: rps * 10,
    answered: rps * 10,
    elapsedS: 10,
    achievedRps: rps,
    outcomes: { '200': rps * 10 },
    errors: 0,
    latency: { p50, p90: p50 + 1, p99, max: p99 + 5 },
  };
}

const results: Results = {
  date: '2026-11-25T12:00:00.000Z',
  mode: 'full',
  machine: { cores: 2, cpu: 'Test CPU', node: 'v20.20.2' },
  versions: { envoy: '1.36.4', jaeger: 'module github.com/jaegertracing/jaeger v0.0.0' },
  plan: { concurrency: 16, throughputS: 15, latencyRps: 100, latencyS: 15, deliveryRps: 200, deliveryS: 30, memoryRequests: 100_000, memoryRps: 500, steadyPairs: 2, spanCost: { rps: 1000, durationS: 10, rounds: 2 } },
  overhead: { on: load(800, 18, 40), off: load(1600, 8, 20), ratio: 0.5 },
  latency: { chain: load(100, 3, 6), floor: load(100, 0, 2) },
  delivery: {
    requests: 6000,
    answered200: 6000,
    complete: 5997,
    share: 5997 / 6000,
    missingHops: { 'service2 "GET /trace/:n"': 3 },
    incomplete: ['abc: service2 "GET /trace/:n" is missing'],
    udpDrops: { 6831: 0, 6832: 3 },
    zipkin: { 'tracing.zipkin.spans_sent': 24000 },
    waitedS: 7,
    nesting: { outside: 2, worst: { 'service1 "ingress service1"': { early: 0, late: 1345, traces: 2 } } },
  },
  cpu: {
    'throughput, tracing on': { jaeger: 33, service1: 45 },
    'throughput, tracing off': { service1: 57 },
  },
  steady: {
    rps: 200,
    on: [
      { jaeger: 600, service1: 900, 'load generator': 250 },
      { jaeger: 500, service1: 1000, 'load generator': 250 },
    ],
    off: [
      { jaeger: 5, service1: 700, 'load generator': 200 },
      { jaeger: 5, service1: 600, 'load generator': 200 },
    ],
  },
  spanCost: {
    envoy: [
      { mode: 'untraced', rps: 1000, requests: 10_000, cpuUs: 90 },
      { mode: 'zipkin JSON', rps: 1000, requests: 10_000, cpuUs: 180 },
      { mode: 'zipkin JSON, 5 a post', rps: 1000, requests: 10_000, cpuUs: 215 },
      { mode: 'zipkin JSON, 100 a post', rps: 1000, requests: 10_000, cpuUs: 230 },
      { mode: 'zipkin protobuf', rps: 1000, requests: 10_000, cpuUs: 120 },
    ],
    service: [
      { mode: 'untraced', rps: 1000, requests: 10_000, cpuUs: 440 },
      { mode: 'jaeger-client', rps: 1000, requests: 10_000, cpuUs: 500 },
    ],
  },
  memory: {
    rps: 500,
    maxTraces: 10_000,
    samples: [
      { requests: 0, rssMiB: { jaeger: 55, service1: 90, 'front-envoy': 40 } },
      { requests: 50_000, rssMiB: { jaeger: 250, service1: 110, 'front-envoy': 60 } },
      { requests: 100_000, rssMiB: { jaeger: 270.4, service1: 112.5, 'front-envoy': 61 } },
    ],
  },
};

test('reports the machine, the date, each goal beside its figure, and where spans were lost', () => {
  const md = renderMarkdown(results);
  assert.match(md, /^### Benchmark \(full\): 2026-11-25, 2 cores \(Test CPU\)/);
  assert.match(md, /\| throughput of \/trace\/1, 16 connections, tracing on \/ off \| 800 \/ 1600 req\/s = \*\*0\.50\*\* \| ratio ≥ 0\.90 \|/);
  assert.match(md, /\| complete traces after 6000 requests at 200 req\/s for 30 s \| \*\*99\.95%\*\* \(5997 of 6000\) \| 100% \|/);
  assert.match(md, /p99 \*\*6 ms\*\*\) \| p99 < 20 ms \|/);
  // Means of the two steady runs: service1 950 / 650 µs, Jaeger 550 / 5, the load generator 250 / 200.
  assert.match(md, /\| service1 \| 45 \| 57 \| 950 \/ 650 \/ 300 \|/, 'CPU µs per request at the steady rate');
  assert.match(md, /\| jaeger \| 33 \| - \| 550 \/ 5 \/ 545 \|/);
  assert.match(md, /\| total \| 78 \| 57 \| 1750 \/ 855 \/ 895 \|/);
  assert.match(md, /Tracing's CPU per request at 200 req\/s: 895 µs in all; Jaeger 545 µs, the Envoys 0 µs, the services 300 µs, the load generator 50 µs\./);
  assert.match(md, /service2 "GET \/trace\/:n": 3/);
  assert.match(md, /6831 \/ 6832: 0 \/ 3/);
  assert.match(md, /- incomplete: abc: service2/);
});

test('reports the traces where a child sticks out of its parent, and by how much at worst', () => {
  const md = renderMarkdown(results);
  assert.match(md, /\| complete traces with a child sticking out of its parent by more than 1 ms, same run \| \*\*2\*\* of 5997 \| 0 \|/);
  assert.match(md, /^- outside its parent: service1 "ingress service1" in 2 traces, at worst 0 µs early, 1345 µs late$/m);
});

test('leads with the CPU per request outside the collector, tracing on against off, over every steady run', () => {
  const md = renderMarkdown(results);
  // On: service1 950 + load generator 250 = 1200 µs; off: 650 + 200 = 850 µs; Jaeger left out.
  const rows = md.split('\n').filter((line) => line.startsWith('| '));
  assert.equal(rows[2], '| CPU per request at 200 req/s outside the collector (Envoys, services, load generator), tracing on / off, mean of 2 runs each | 1200 / 850 µs = **1.41** | ratio ≤ 1.15 |');
});

test('prices one Envoy span and one service span, and sets their sum for a request against what the goal leaves', () => {
  const md = renderMarkdown(results);
  assert.match(md, /^What one span costs, measured alone \(each figure the mean of 2 runs, the settings in turn\):$/m);
  assert.match(md, /90 µs per request untraced, 180 µs with a Zipkin span as shipped \(JSON\): \*\*90 µs per Envoy span\*\*, with 25 spans a post \(with 5 a post, Envoy's default: 125 µs; with 100: 140 µs\)\. With protobuf it would be 120 µs \(30 µs per span\), but Jaeger cannot use what Envoy sends: Envoy writes a 64-bit trace id as 8 bytes/);
  assert.match(md, /service2's app called directly, at 1000 req\/s: 440 µs per request with JAEGER_DISABLED, 500 µs traced: \*\*60 µs per jaeger-client span\*\*/);
  // 5 × 90 + 3 × 60 = 630 µs; 0.15 × 850 µs = 127.5, and 1.15 − 1 is a hair under 0.15 in floating point: 127.
  assert.match(md, /makes 5 Envoy spans and 3 service spans: 5 × 90 \+ 3 × 60 = 630 µs, where the goal leaves 127 µs \(0\.15 × 850 µs\); the Envoy spans alone take 450 µs\./);
});

test("reports Jaeger's memory against its bound and the largest growth of the rest after warm-up", () => {
  const md = renderMarkdown(results);
  // 100 MiB + 10,000 traces × 24 KiB = 334.4 MiB, rounded up.
  assert.match(md, /\| Jaeger's resident memory after 100000 traced requests at 500 req\/s \(max_traces 10000\) \| \*\*270 MiB\*\* \(55 MiB before\) \| < 335 MiB \|/);
  assert.match(md, /\| largest growth of an Envoy or service from 50000 to 100000 requests \| \*\*\+2\.5 MiB\*\* \(service1\) \| < 20 MiB \|/);
  assert.match(md, /\| process \| MiB after 0 \| MiB after 50000 \| MiB after 100000 \|\n\| --- \| --- \| --- \| --- \|\n\| jaeger \| 55 \| 250 \| 270 \|/);
});
