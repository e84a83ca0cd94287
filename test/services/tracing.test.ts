import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test, TestContext } from 'node:test';
import fetch from 'node-fetch';
import { createApp } from '../../services/app';
import type { Propagation } from '../../services/config';
import { createTracing } from '../../services/tracing';
import { pollUntil } from '../../lib/poll';
import { listen, recordingDownstream, testConfig, withEnv } from './helpers';

/** The headers service1 sends downstream when TRACER=jaeger-client runs with the given propagation. */
async function headersSentWith(t: TestContext, propagation: Propagation) {
  // A tracer that samples everything and reports to a port nothing listens on.
  withEnv(t, { JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '9', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' });
  const downstream = await recordingDownstream(t);
  const config = testConfig({ tracer: 'jaeger-client', propagation, downstreamUrl: downstream.url });
  const tracing = createTracing(config);
  t.after(() => new Promise<void>((resolve) => tracing.close(resolve)));
  const base = await listen(t, createApp({ config, tracing, fetch, hostname: 'test-host', resolvedHostname: '127.0.0.1' }));
  const res = await fetch(`${base}/trace/1`);
  assert.equal(res.status, 200);
  assert.equal(downstream.requests.length, 1);
  return { sent: downstream.requests[0], traceId: res.headers.get('x-trace-id') };
}

test('TRACER=jaeger-client with TRACE_PROPAGATION=b3 writes B3 headers of its own trace downstream, and no uber-trace-id', async (t) => {
  const { sent, traceId } = await headersSentWith(t, 'b3');
  // x-trace-id is jaeger-client's own form, without leading zeros; B3 writes all 16 characters.
  assert.equal(sent['x-b3-traceid'], traceId!.padStart(16, '0'));
  assert.match(String(sent['x-b3-spanid']), /^[0-9a-f]{16}$/);
  assert.equal(sent['x-b3-sampled'], '1');
  assert.equal(sent['uber-trace-id'], undefined);
});

test('TRACER=jaeger-client with TRACE_PROPAGATION=jaeger writes uber-trace-id downstream, and no B3 header', async (t) => {
  const { sent, traceId } = await headersSentWith(t, 'jaeger');
  assert.match(String(sent['uber-trace-id']), new RegExp(`^${traceId}:[0-9a-f]{1,16}:[0-9a-f]{1,16}:1$`));
  assert.equal(sent['x-b3-traceid'], undefined);
  assert.equal(sent.b3, undefined);
});

test("TRACER=jaeger-client reports as service<SERVICE_NAME>, its propagation a process tag, to JAEGER_AGENT_PORT", async (t) => {
  const agent = dgram.createSocket('udp4');
  const batches: Buffer[] = [];
  agent.on('message', (message) => batches.push(message));
  await new Promise<void>((resolve) => agent.bind(0, '127.0.0.1', resolve));
  t.after(() => agent.close());
  withEnv(t, { JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.address().port), JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' });
  const config = testConfig({ serviceNumber: '7', tracer: 'jaeger-client', propagation: 'b3' });
  const tracing = createTracing(config);
  const base = await listen(t, createApp({ config, tracing, fetch, hostname: 'test-host', resolvedHostname: '127.0.0.1' }));
  assert.equal((await fetch(`${base}/service/7`)).status, 200);
  await new Promise<void>((resolve) => tracing.close(resolve));
  await pollUntil(() => assert.ok(batches.length > 0, 'no batch yet'), 'a batch at the agent', { timeoutMs: 5000, intervalMs: 50 });
  // Thrift binary writes strings as they are: the batch names the process and carries its tags.
  const batch = Buffer.concat(batches).toString('latin1');
  for (const text of ['service7', 'trace.propagation', 'b3', 'GET /service/:n']) assert.ok(batch.includes(text), `the batch carries "${text}"`);
});
