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
  plan: { concurrency: 16, throughputS: 15, latencyRps: 100, latencyS: 15, deliveryRps: 200, deliveryS: 30, memoryRequests: 100_000, memoryRps: 500 },
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
    'delivery at 200 req/s': { jaeger: 12, service1: 18, 'load generator': 5 },
    'steady 200 req/s, tracing off': { service1: 13, 'load generator': 4 },
  },
  steadyRps: { on: 200, off: 200 },
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
  assert.match(md, /\| service1 \| 45 \| 57 \| 18 \| 13 \| 900 \/ 650 \|/, 'CPU µs per request at the steady rate');
  assert.match(md, /Tracing's CPU per request at 200 req\/s: 900 µs in all; Jaeger 600 µs, the Envoys 0 µs, the services 250 µs, the load generator 50 µs\./);
  assert.match(md, /service2 "GET \/trace\/:n": 3/);
  assert.match(md, /6831 \/ 6832: 0 \/ 3/);
  assert.match(md, /- incomplete: abc: service2/);
});

test('reports the traces where a child sticks out of its parent, and by how much at worst', () => {
  const md = renderMarkdown(results);
  assert.match(md, /\| complete traces with a child sticking out of its parent by more than 1 ms, same run \| \*\*2\*\* of 5997 \| 0 \|/);
  assert.match(md, /^- outside its parent: service1 "ingress service1" in 2 traces, at worst 0 µs early, 1345 µs late$/m);
});

test('leads with the CPU per request outside the collector, tracing on against off', () => {
  const md = renderMarkdown(results);
  // service1 18% + load generator 5% of a core at 200 req/s: 1150 µs; off, 13% + 4%: 850 µs.
  const rows = md.split('\n').filter((line) => line.startsWith('| '));
  assert.equal(rows[2], '| CPU per request at 200 req/s outside the collector (Envoys, services, load generator), tracing on / off | 1150 / 850 µs = **1.35** | ratio ≤ 1.15 |');
});

test("reports Jaeger's memory against its bound and the largest growth of the rest after warm-up", () => {
  const md = renderMarkdown(results);
  // 100 MiB + 10,000 traces × 24 KiB = 334.4 MiB, rounded up.
  assert.match(md, /\| Jaeger's resident memory after 100000 traced requests at 500 req\/s \(max_traces 10000\) \| \*\*270 MiB\*\* \(55 MiB before\) \| < 335 MiB \|/);
  assert.match(md, /\| largest growth of an Envoy or service from 50000 to 100000 requests \| \*\*\+2\.5 MiB\*\* \(service1\) \| < 20 MiB \|/);
  assert.match(md, /\| process \| MiB after 0 \| MiB after 50000 \| MiB after 100000 \|\n\| --- \| --- \| --- \| --- \|\n\| jaeger \| 55 \| 250 \| 270 \|/);
});
