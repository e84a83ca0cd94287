import assert from 'node:assert/strict';
import { test } from 'node:test';
import fetch from 'node-fetch';
import { B3_FORMAT } from '../../services/b3';
import { createJaegerClientTracer, stderrLogger } from '../../services/jaeger-client';
import { startApp, withEnv } from './helpers';

test("reports JAEGER_TAGS and the service's own tag as process tags", async (t) => {
  withEnv(t, {
    JAEGER_TAGS: 'team=checkout, region = eu-1,host=${SANDBOX_TEST_UNSET_VARIABLE:fallback}',
    JAEGER_AGENT_HOST: '127.0.0.1',
    JAEGER_AGENT_PORT: '9',
    JAEGER_SAMPLER_TYPE: 'const',
    JAEGER_SAMPLER_PARAM: '1',
  });
  const tracer = createJaegerClientTracer({ serviceNumber: '2', propagation: 'b3', logger: { info: () => {}, error: () => {} } });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  const tags = (tracer as unknown as { _process: { serviceName: string; tags: Array<{ key: string; value: unknown }> } })._process;
  const byKey = Object.fromEntries(tags.tags.map((tag) => [tag.key, tag.value]));
  assert.equal(tags.serviceName, 'service2');
  assert.equal(byKey.team, 'checkout');
  assert.equal(byKey.region, 'eu-1');
  assert.equal(byKey.host, 'fallback');
  assert.equal(byKey['trace.propagation'], 'b3');
});

test("writes jaeger-client's messages to stderr, errors marked", (t) => {
  const lines: unknown[] = [];
  t.mock.method(console, 'error', (...args: unknown[]) => lines.push(args.join(' ')));
  stderrLogger.info('sampler updated');
  stderrLogger.error('UDP send failed');
  assert.deepEqual(lines, ['jaeger-client: sampler updated', 'jaeger-client error: UDP send failed']);
});

test('with JAEGER_DISABLED=true the service answers without a trace id and still closes its tracer', { timeout: 10_000 }, async (t) => {
  withEnv(t, { JAEGER_DISABLED: 'true' });
  const tracer = createJaegerClientTracer({ serviceNumber: '2', propagation: 'jaeger' });
  const { base } = await startApp(t, { tracer, config: { serviceNumber: '2' } });
  const res = await fetch(`${base}/trace/2`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-trace-id'), null);
  await new Promise<void>((resolve) => tracer.close(resolve));
});

test('a tracer from createJaegerClientTracer reads both B3 forms and writes the multi-header one', (t) => {
  withEnv(t, { JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '9', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' });
  const tracer = createJaegerClientTracer({ serviceNumber: '1', propagation: 'b3', logger: { info: () => {}, error: () => {} } });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  const single = tracer.extract(B3_FORMAT, { b3: '463ac35c9f6413ad48485a3953bb6124-0020000000000001-1' });
  assert.equal(single?.toTraceId(), '463ac35c9f6413ad48485a3953bb6124');
  assert.equal(single?.toSpanId(), '0020000000000001');
  const multi = tracer.extract(B3_FORMAT, { 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-sampled': '1' });
  assert.equal(multi?.toTraceId(), '64fe8b2a57d3eff7');
  const carrier: Record<string, string> = {};
  tracer.inject(tracer.startSpan('op', { childOf: multi! }).context(), B3_FORMAT, carrier);
  assert.equal(carrier['x-b3-traceid'], '64fe8b2a57d3eff7');
  assert.equal(carrier['x-b3-parentspanid'], 'e457b5a2e4d86bd1');
  assert.equal(carrier.b3, undefined);
});
