import assert from 'node:assert/strict';
import { test } from 'node:test';
import { badgerMiBPer100k, renderMarkdown, Results } from '../../bench/report';
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

const zipkinDelivery = {
  requests: 6000,
  answered200: 6000,
  complete: 5997,
  share: 5997 / 6000,
  missingHops: { 'service2 "GET /trace/:n"': 3 },
  incomplete: ['abc: service2 "GET /trace/:n" is missing'],
  udpDrops: { 6831: 0, 6832: 3 },
  reporter: { 'tracing.zipkin.spans_sent': 24000, 'tracing.zipkin.reports_dropped': 0 },
  waitedS: 7,
  nesting: { outside: 2, worst: { 'service1 "ingress service1"': { early: 0, late: 1345, traces: 2 } } },
};

const memory = (jaeger: number, service1: number, badgerMiB: number) => ({
  rps: 500,
  retentionHours: 72,
  samples: [
    { requests: 0, rssMiB: { jaeger: 55, service1: 90, 'front-envoy': 40, prometheus: 30 }, anonMiB: { jaeger: 50 }, badgerMiB: 10 },
    { requests: 50_000, rssMiB: { jaeger: 250, service1: 110, 'front-envoy': 60, prometheus: 40 }, anonMiB: { jaeger: 150 }, badgerMiB: 200 },
    { requests: 100_000, rssMiB: { jaeger, service1, 'front-envoy': 61, prometheus: 90 }, anonMiB: { jaeger: jaeger / 2 }, badgerMiB },
  ],
});

const results: Results = {
  date: '2026-11-25T12:00:00.000Z',
  mode: 'full',
  machine: { cores: 2, cpu: 'Test CPU', node: 'v26.12.1' },
  versions: { envoy: '1.40.0', jaeger: '2.13.0' },
  plan: { concurrency: 16, throughputS: 15, latencyRps: 100, latencyS: 15, deliveryRps: 200, deliveryS: 30, memoryRequests: 100_000, memoryRps: 500, steadyPairs: 3, spanCost: { rps: 1000, durationS: 10, rounds: 2 }, sampling: { rps: 500, durationS: 30 } },
  untraced: { throughput: load(1600, 8, 20), cpu: { service1: 57 }, floor: load(100, 0, 2) },
  steadyRps: 200,
  variants: [
    {
      tracer: 'zipkin',
      services: 'jaeger-client',
      throughput: load(800, 18, 40),
      cpu: { jaeger: 33, service1: 45 },
      chain: load(100, 3, 6),
      delivery: zipkinDelivery,
      pairs: [
        { on: { jaeger: 600, service1: 900, 'load generator': 250 }, off: { jaeger: 5, service1: 700, 'load generator': 200 } },
        { on: { jaeger: 500, service1: 1000, 'load generator': 250 }, off: { jaeger: 5, service1: 600, 'load generator': 200 } },
      ],
      memory: memory(270.4, 112.5, 410),
      serviceSpan: [
        { mode: 'untraced', rps: 1000, requests: 10_000, cpuUs: 440 },
        { mode: 'jaeger-client', rps: 1000, requests: 10_000, cpuUs: 500 },
      ],
    },
    {
      tracer: 'opentelemetry',
      services: 'opentelemetry',
      throughput: load(1200, 12, 30),
      cpu: { jaeger: 20, service1: 50 },
      chain: load(100, 2, 5),
      delivery: { ...zipkinDelivery, complete: 6000, share: 1, missingHops: {}, incomplete: [], udpDrops: {}, reporter: { 'tracing.opentelemetry.spans_sent': 24000 }, nesting: { outside: 0, worst: {} } },
      pairs: [
        { on: { jaeger: 300, service1: 800, 'load generator': 200 }, off: { jaeger: 5, service1: 700, 'load generator': 200 } },
        { on: { jaeger: 300, service1: 750, 'load generator': 200 }, off: { jaeger: 5, service1: 700, 'load generator': 200 } },
        { on: { jaeger: 300, service1: 900, 'load generator': 200 }, off: { jaeger: 5, service1: 800, 'load generator': 200 } },
      ],
      memory: memory(300, 140, 160),
      serviceSpan: [
        { mode: 'untraced', rps: 1000, requests: 10_000, cpuUs: 440 },
        { mode: 'opentelemetry', rps: 1000, requests: 10_000, cpuUs: 470 },
        { mode: 'opentelemetry, 64 a post', rps: 1000, requests: 10_000, cpuUs: 500 },
        { mode: 'opentelemetry, 2048 a post', rps: 1000, requests: 10_000, cpuUs: 465 },
      ],
    },
  ],
  envoySpan: [
    { mode: 'untraced', rps: 1000, requests: 10_000, cpuUs: 90 },
    { mode: 'zipkin JSON', rps: 1000, requests: 10_000, cpuUs: 180 },
    { mode: 'opentelemetry OTLP', rps: 1000, requests: 10_000, cpuUs: 115 },
    { mode: 'zipkin JSON, 5 a post', rps: 1000, requests: 10_000, cpuUs: 215 },
    { mode: 'zipkin JSON, 100 a post', rps: 1000, requests: 10_000, cpuUs: 230 },
    { mode: 'zipkin JSON, 1000 a post', rps: 1000, requests: 10_000, cpuUs: 400 },
    { mode: 'opentelemetry OTLP, 5 a post', rps: 1000, requests: 10_000, cpuUs: 160 },
    { mode: 'opentelemetry OTLP, 25 a post', rps: 1000, requests: 10_000, cpuUs: 130 },
    { mode: 'opentelemetry OTLP, 100 a post', rps: 1000, requests: 10_000, cpuUs: 120 },
    { mode: 'zipkin protobuf', rps: 1000, requests: 10_000, cpuUs: 120 },
  ],
  sampling: [
    { tracer: 'zipkin', mode: 'head', load: load(500, 3, 9), cpuUs: { jaeger: 700, prometheus: 15, service1: 900, 'load generator': 100 }, jaegerAnonMiB: { before: 60, peak: 400 }, badgerMiB: 24, kept: { looked: 500, found: 500 } },
    { tracer: 'zipkin', mode: 'tail', load: load(500, 3, 9), cpuUs: { jaeger: 500, prometheus: 16, service1: 910, 'load generator': 100 }, jaegerAnonMiB: { before: 61, peak: 250.4 }, badgerMiB: 3, kept: { looked: 500, found: 48 } },
  ],
};

const rows = (md: string) => md.split('\n').filter((line) => line.startsWith('| '));

test('sets the variants side by side, the native one named as not runnable here', () => {
  const md = renderMarkdown(results);
  assert.match(md, /^### Benchmark \(full\): 2026-11-25, 2 cores \(Test CPU\)/);
  assert.equal(rows(md)[0], '| measure | native | Zipkin | OpenTelemetry | goal |');
});

test('leads with the CPU ratio outside the collector: the median of the pairs, their range, every pair, and the µs tracing adds', () => {
  const md = renderMarkdown(results);
  // Zipkin pairs, outside Jaeger: 1150 / 900 = 1.28 and 1250 / 800 = 1.56, median 1.42; shares 250 and 450 µs.
  // OpenTelemetry: 1000 / 900 = 1.11, 950 / 900 = 1.06, 1100 / 1000 = 1.10, median 1.10; shares 100, 50, 100 µs.
  assert.equal(
    rows(md)[2],
    '| CPU per request at 200 req/s outside the collector (Envoys, services, load generator), tracing on ÷ off: median of 3 pairs (range) | cannot run here | **1.42** (1.28–1.56) | **1.10** (1.06–1.11) | ≤ 1.15 (Zipkin), ≤ 1.10 (OpenTelemetry) |',
  );
  assert.equal(rows(md)[3], '| the same, each pair | cannot run here | 1.28, 1.56 | 1.11, 1.06, 1.10 | - |');
  assert.equal(rows(md)[4], "| tracing's share of that CPU per request, median | cannot run here | 350 µs | 100 µs | - |");
});

test('reports throughput, delivery, nesting, latency and memory per variant against their goals', () => {
  const md = renderMarkdown(results);
  assert.equal(rows(md)[5], '| throughput of /trace/1, 16 connections, on ÷ off (1600 req/s off) | cannot run here | 800 req/s = **0.50** | 1200 req/s = **0.75** | ratio ≥ 0.90 |');
  assert.equal(rows(md)[6], '| complete traces after 200 req/s for 30 s | cannot run here | **99.95%** (5997 of 6000) | **100.00%** (6000 of 6000) | 100% |');
  assert.equal(rows(md)[7], '| complete traces with a child outside its parent by more than 1 ms | cannot run here | **2** of 5997 | **0** of 6000 | 0 |');
  assert.equal(rows(md)[8], '| latency p50 / p90 / p99 of /trace/1 at 100 req/s (floor: service2 alone 0 ms / 1 ms / 2 ms) | cannot run here | 3 ms / 4 ms / 6 ms (p99 **6 ms**) | 2 ms / 3 ms / 5 ms (p99 **5 ms**) | p99 < 20 ms |');
  assert.equal(
    rows(md)[9],
    "| Jaeger's resident memory after 100000 traced requests at 500 req/s, on Badger | cannot run here | **270 MiB** (55 before), 135 MiB of it its own, the rest Badger's mapped files | **300 MiB** (55 before), 150 MiB of it its own, the rest Badger's mapped files | - |",
  );
  // (410 - 10) MiB over 100,000 requests; (160 - 10) MiB.
  assert.equal(rows(md)[10], "| Jaeger's disk (Badger) per 100,000 traced requests, kept 72 h | cannot run here | **400 MiB** | **150 MiB** | - |");
  // Prometheus grew by 50 MiB, but it keeps the metrics, as Jaeger keeps the spans: not counted.
  assert.equal(rows(md)[11], '| largest growth of an Envoy or service after the first slice of that run | cannot run here | **+2.5 MiB** (service1) | **+30.0 MiB** (service1) | < 20 MiB |');
});

test("breaks each variant's CPU down by process, with medians, and says where spans were lost", () => {
  const md = renderMarkdown(results);
  const zipkin = md.slice(md.indexOf('#### Zipkin'), md.indexOf('#### OpenTelemetry'));
  // service1: medians of 900 and 1000 (950) against 700 and 600 (650).
  assert.match(zipkin, /\| service1 \| 45 \/ 57 \| 950 \/ 650 \/ 300 \|/);
  assert.match(zipkin, /\| jaeger \| 33 \/ - \| 550 \/ 5 \/ 545 \|/);
  assert.match(zipkin, /\| total \| 78 \/ 57 \| 1750 \/ 855 \/ 895 \|/);
  assert.match(zipkin, /Tracing's CPU per request \(medians\): 895 µs in all; Jaeger 545 µs, the Envoys 0 µs, the services 300 µs, the load generator 50 µs\./);
  assert.match(zipkin, /missing from incomplete traces: service2 "GET \/trace\/:n": 3; UDP datagrams dropped on Jaeger's 6831 \/ 6832: 0 \/ 3; the Envoys' reporter: spans_sent 24000; waited 7 s/);
  assert.match(zipkin, /^- incomplete: abc: service2/m);
  assert.match(zipkin, /^- outside its parent: service1 "ingress service1" in 2 traces, at worst 0 µs early, 1345 µs late$/m);
  const otel = md.slice(md.indexOf('#### OpenTelemetry'));
  assert.match(otel, /^#### OpenTelemetry \(Envoy's opentelemetry tracer, opentelemetry in the services\)$/m);
  assert.match(otel, /missing from incomplete traces: none; the Envoys' reporter: spans_sent 24000;/);
  assert.doesNotMatch(otel, /UDP datagrams/);
  assert.match(otel, /\| process \| MiB after 0 \| MiB after 50000 \| MiB after 100000 \|\n\| --- \| --- \| --- \| --- \|\n\| jaeger \| 55 \| 250 \| 300 \|/);
});

test('prices one span of each tracer, counts the spans from the trace, and sets their sum against what each goal leaves', () => {
  const md = renderMarkdown(results);
  assert.match(md, /^What one span costs, measured alone \(each figure the mean of 2 runs, the settings in turn\):$/m);
  assert.match(
    md,
    /90 µs per request untraced; \*\*90 µs per Zipkin span\*\* as shipped \(JSON, 25 spans a post; 5 a post, Envoy's default: 125 µs; 25 a post, shipped: 90 µs; 100 a post: 140 µs; 1000 a post: 310 µs\), \*\*25 µs per OpenTelemetry span\*\* as shipped \(OTLP protobuf over HTTP, 1000 spans a post; 5 a post, Envoy's default: 70 µs; 25 a post: 40 µs; 100 a post: 30 µs; 1000 a post, shipped: 25 µs\); each posts every second at the latest\. Zipkin protobuf would cost 30 µs a span, but Jaeger cannot use what Envoy sends: Envoy writes a 64-bit trace id as 8 bytes/,
  );
  // The trace has 4 Envoy spans (front, service1 ingress and egress, service2 ingress) and 3 service spans.
  // Zipkin: 4 × 90 + 3 × 60 = 540 µs; the median untraced run outside Jaeger is 850 µs, 0.15 of it 127 µs (1.15 − 1 is a hair under 0.15).
  assert.match(md, /- Zipkin: service2's app called directly at 1000 req\/s costs 440 µs a request untraced and 500 µs traced: \*\*60 µs per jaeger-client span\*\*\. A request makes 4 Envoy spans and 3 service spans: 4 × 90 \+ 3 × 60 = \*\*540 µs\*\*, where the goal leaves 127 µs \(0\.15 × 850 µs\); the Envoy spans alone take 360 µs\./);
  // OpenTelemetry: 4 × 25 + 3 × 30 = 190 µs; 0.10 × 900 µs = 90 µs.
  assert.match(md, /- OpenTelemetry: .* 470 µs traced: \*\*30 µs per opentelemetry span\*\*\. A request makes 4 Envoy spans and 3 service spans: 4 × 25 \+ 3 × 30 = \*\*190 µs\*\*, where the goal leaves 90 µs \(0\.10 × 900 µs\); the Envoy spans alone take 100 µs\. By batch size \(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, and a post every 1000 ms at the latest\): 64 a post 60 µs, 512 a post, shipped 30 µs, 2048 a post 25 µs\./);
});

test("scales Badger's growth to 100,000 requests from the run's first sample to its last, wherever the run starts", () => {
  const sample = (requests: number, badgerMiB: number) => ({ requests, rssMiB: {}, anonMiB: {}, badgerMiB });
  // (370 - 250) MiB over (60,000 - 20,000) requests: 300 MiB per 100,000.
  assert.equal(badgerMiBPer100k({ rps: 500, retentionHours: 72, samples: [sample(20_000, 250), sample(40_000, 300), sample(60_000, 370)] }), 300);
});

test("sets Jaeger's head and tail sampling side by side: its CPU, the rest's, its memory, Badger's growth and what it stored", () => {
  const md = renderMarkdown(results);
  const table = rows(md).filter((line) => line.startsWith('| Zipkin, '));
  // 5000 requests each; head: Jaeger 700 µs, the rest 900 + 100 = 1000 µs; Badger 24 MiB over 5000 requests = 480 MiB per 100,000.
  assert.deepEqual(table, [
    '| Zipkin, head | 500 req/s, 5000 | **700 µs** | 1000 µs | **400 MiB** (60 before) | 480 MiB | 500 of 500 |',
    '| Zipkin, tail | 500 req/s, 5000 | **500 µs** | 1010 µs | **250 MiB** (61 before) | 60 MiB | 48 of 500 |',
  ]);
  assert.match(md, /\| variant, mode \| load, requests \| Jaeger's CPU per request \| CPU per request outside Jaeger and Prometheus \| Jaeger's own memory, peak \| Badger per 100,000 requests \| traces stored, of a sample \|/);
});
