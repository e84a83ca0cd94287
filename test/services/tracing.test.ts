import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTracer } from '../../services/tracing';
import { withEnv } from './helpers';

test("reports JAEGER_TAGS and the service's own tag as process tags", async (t) => {
  withEnv(t, {
    JAEGER_TAGS: 'team=checkout, region = eu-1,host=${SANDBOX_TEST_UNSET_VARIABLE:fallback}',
    JAEGER_AGENT_HOST: '127.0.0.1',
    JAEGER_AGENT_PORT: '9',
    JAEGER_SAMPLER_TYPE: 'const',
    JAEGER_SAMPLER_PARAM: '1',
  });
  const tracer = createTracer({ serviceNumber: '2', propagation: 'b3', logger: { info: () => {}, error: () => {} } });
  t.after(() => new Promise<void>((resolve) => tracer.close(resolve)));
  const tags = (tracer as unknown as { _process: { serviceName: string; tags: Array<{ key: string; value: unknown }> } })._process;
  const byKey = Object.fromEntries(tags.tags.map((tag) => [tag.key, tag.value]));
  assert.equal(tags.serviceName, 'service2');
  assert.equal(byKey.team, 'checkout');
  assert.equal(byKey.region, 'eu-1');
  assert.equal(byKey.host, 'fallback');
  assert.equal(byKey['trace.propagation'], 'b3');
});
