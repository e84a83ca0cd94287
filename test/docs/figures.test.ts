import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

test('the docs give one figure for a sampling change: Jaeger re-reads the file, then the slowest tracer asks again', () => {
  const reload = parse(read('jaeger/strategies-file.yaml')).extensions.remote_sampling.file.reload_interval;
  assert.match(reload, /^\d+s$/);
  const polls = [
    ...['front-envoy-jaeger.yaml', 'service-envoy-jaeger.yaml'].flatMap((f) => [...read(f).matchAll(/samplingRefreshInterval: (\d+)/g)].map((m) => Number(m[1]))),
    Number(parse(read('docker-compose.yml'), { merge: true }).services.service1.environment.JAEGER_SAMPLER_REFRESH_INTERVAL) / 1000,
    Number(/pollingIntervalMs=(\d+)/.exec(read('docker-compose.otel.yml'))?.[1]) / 1000,
  ];
  assert.equal(polls.length, 4, "the front proxy's and the sidecars' plugin, and both service tracers");
  const seconds = parseInt(reload, 10) + Math.max(...polls);
  assert.equal(seconds, 6);
  assert.match(read('docs/tracing.md'), new RegExp(`takes effect within ${seconds} s of the edit`));
  assert.match(read('docs/labs.md'), new RegExp(`within ${seconds} s of the edit`));
  assert.match(read('docs/labs.md'), new RegExp(`^sleep ${seconds} `, 'm'));
  assert.doesNotMatch(read('docs/tracing.md'), /at most 5 s/);
});

test("the docs quote Jaeger's memory and disk on Badger as the benchmark's last full run measured it", () => {
  const results = JSON.parse(read('bench/results.json'));
  assert.equal(results.mode, 'full');
  const bullet = (read('docs/benchmark.md').split('\n- ').find((b) => b.startsWith('**Memory and disk')) ?? '').replace(/\s+/g, ' ');
  assert.ok(bullet, 'docs/benchmark.md has a bullet on memory and disk');
  type Sample = { requests: number; rssMiB: { jaeger: number }; anonMiB: { jaeger: number }; badgerMiB: number };
  const [zipkin, otel] = ['zipkin', 'opentelemetry'].map((tracer) => results.variants.find((v: { tracer: string }) => v.tracer === tracer).memory.samples as Sample[]);
  const last = (samples: Sample[]) => samples[samples.length - 1];
  // The Badger folder's growth over the run, scaled to 100,000 requests.
  const per100k = (samples: Sample[]) => Math.round(((last(samples).badgerMiB - samples[0].badgerMiB) / (last(samples).requests - samples[0].requests)) * 100_000);
  for (const [label, figure] of [
    ['resident after the run, Zipkin then OpenTelemetry', `${Math.round(last(zipkin).rssMiB.jaeger)} MiB and ${Math.round(last(otel).rssMiB.jaeger)} MiB`],
    ['its own memory of that', `${Math.round(last(zipkin).anonMiB.jaeger)} and ${Math.round(last(otel).anonMiB.jaeger)} MiB`],
    ['disk per 100,000 traced requests', `${per100k(zipkin)} and ${per100k(otel)} MiB`],
  ]) {
    assert.ok(bullet.includes(figure), `${label}: ${figure}`);
  }
  assert.ok(bullet.includes(`full run of ${results.date.slice(0, 10)}`) || read('docs/benchmark.md').includes(`full run of ${results.date.slice(0, 10)}`), `names the run of ${results.date.slice(0, 10)}`);
  assert.doesNotMatch(read('jaeger/config.yaml'), /\d+ MiB/, 'the figure has one home, docs/benchmark.md');
  assert.doesNotMatch(read('docs/tracing.md'), /\d+ MiB/, 'tracing.md points to the benchmark for the figures');
});

test("the README's cost row quotes each variant's CPU ratio as the benchmark's last full run measured it", () => {
  const results = JSON.parse(read('bench/results.json'));
  assert.equal(results.mode, 'full');
  const row = read('README.md').split('\n').find((line) => line.startsWith('| measured cost'));
  assert.ok(row, 'the README has a cost row');
  const cells = row.split(' | ');
  // Jaeger and the Prometheus that keeps its metrics are the collector side: the ratio leaves both out.
  const outsideJaeger = (cpu: Record<string, number>) => Object.entries(cpu).reduce((sum, [name, us]) => (name === 'jaeger' || name === 'prometheus' ? sum : sum + us), 0);
  for (const [tracer, column] of [['zipkin', 2], ['opentelemetry', 3]] as const) {
    const pairs: Array<{ on: Record<string, number>; off: Record<string, number> }> = results.variants.find((v: { tracer: string }) => v.tracer === tracer).pairs;
    const ratios = pairs.map((p) => outsideJaeger(p.on) / outsideJaeger(p.off)).sort((a, b) => a - b);
    assert.equal(ratios.length, 3, 'three pairs: the middle one is the median');
    const quoted = `×${ratios[1].toFixed(2)} CPU outside Jaeger and Prometheus (${ratios[0].toFixed(2)}–${ratios[2].toFixed(2)})`;
    assert.ok(cells[column].startsWith(quoted), `${tracer}: "${quoted}" in "${cells[column]}"`);
  }
});

test("the docs quote what tail sampling costs Jaeger as the benchmark's last full run measured it", () => {
  const results = JSON.parse(read('bench/results.json'));
  assert.equal(results.mode, 'full');
  type Run = { tracer: string; mode: string; cpuUs: Record<string, number>; jaegerAnonMiB: { peak: number }; badgerMiB: number; load: { requests: number } };
  const run = (tracer: string, mode: string): Run => results.sampling.find((r: Run) => r.tracer === tracer && r.mode === mode);
  // Outside the collector: every process but Jaeger and the Prometheus that scrapes it.
  const outside = (r: Run) => Object.entries(r.cpuUs).reduce((sum, [name, us]) => (name === 'jaeger' || name === 'prometheus' ? sum : sum + us), 0);
  const bullet = (read('docs/benchmark.md').split('\n- ').find((b) => b.startsWith('**Tail sampling')) ?? '').replace(/\s+/g, ' ');
  assert.ok(bullet, 'docs/benchmark.md has a bullet on tail sampling');
  const labs = read('docs/labs.md').replace(/\s+/g, ' ');
  for (const [tracer, title] of [['zipkin', 'Zipkin'], ['opentelemetry', 'OpenTelemetry']]) {
    const [head, tail] = [run(tracer, 'head'), run(tracer, 'tail')];
    const memory = `its own memory at most ${Math.round(head.jaegerAnonMiB.peak)} and ${Math.round(tail.jaegerAnonMiB.peak)} MiB`;
    const quoted = [
      `${title}: Jaeger ${Math.round(head.cpuUs.jaeger)} µs a request under head sampling, ${Math.round(tail.cpuUs.jaeger)} µs under tail`,
      memory,
      `Badger ${Math.round((head.badgerMiB / head.load.requests) * 100_000)} and ${Math.round((tail.badgerMiB / tail.load.requests) * 100_000)} MiB per 100,000 requests`,
      `outside Jaeger and Prometheus ${Math.round(outside(head))} and ${Math.round(outside(tail))} µs`,
    ];
    for (const figure of quoted) assert.ok(bullet.includes(figure), `benchmark.md: "${figure}"`);
    assert.ok(labs.includes(`${title}: ${memory}`), `labs.md quotes ${title}'s memory: "${memory}"`);
  }
});
