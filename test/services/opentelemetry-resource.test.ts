import assert from 'node:assert/strict';
import type http from 'node:http';
import { test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { startOpenTelemetry } from '../../services/opentelemetry';
import { withEnv } from './helpers';

test("OTEL_SERVICE_NAME wins over the service's own name, the instance id and the host's name stay, and shutdown takes the instrumentation off http", async (t) => {
  withEnv(t, { OTEL_SERVICE_NAME: 'checkout' });
  const exporter = new InMemorySpanExporter();
  const sdk = startOpenTelemetry({
    serviceName: 'service1',
    sampler: { name: 'always_on' },
    batch: { scheduledDelayMillis: 1000, maxExportBatchSize: 512 },
    processor: new SimpleSpanProcessor({ exporter }),
    log: () => {},
  });
  sdk.provider.getTracer('test').startSpan('probe').end();
  const [span] = exporter.getFinishedSpans() as ReadableSpan[];
  assert.equal(span.resource.attributes['service.name'], 'checkout');
  assert.match(String(span.resource.attributes['service.instance.id']), /^[0-9a-f-]{36}$/);
  // The replica that made the span: the pod's name on Kubernetes.
  assert.equal(span.resource.attributes['host.name'], require('node:os').hostname());
  assert.throws(() => startOpenTelemetry({ serviceName: 'again', sampler: { name: 'always_on' }, batch: { scheduledDelayMillis: 1, maxExportBatchSize: 1 } }), {
    message: 'the OpenTelemetry SDK is already started in this process',
  });
  // The instrumentation wraps http.request for the code that requires http after the SDK started, as the
  // app does, and restores it on shutdown.
  const { request } = require('node:http') as typeof http;
  assert.equal('__wrapped' in request, true);
  await sdk.shutdown();
  assert.equal('__wrapped' in (require('node:http') as typeof http).request, false);
});
