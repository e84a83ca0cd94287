import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ENVOY_MODES, envoyBatchMode, renderSpanCost, SDK_SHIPPED_BATCH, sdkBatchMode } from '../../bench/span-cost';
import { loadConfig } from '../../services/config';
import { serviceEnvironment, VARIANTS } from '../../topology/variants';

const hcmOf = (yaml: string) => parse(yaml).static_resources.listeners[0].filter_chains[0].filters[0].typed_config;

test('the lone Envoy answers by itself on 127.0.0.4, outside the topology', () => {
  const config = parse(renderSpanCost('untraced').yaml);
  assert.deepEqual(config.admin.address.socket_address, { address: '127.0.0.4', port_value: 8001 });
  assert.deepEqual(config.static_resources.listeners[0].address.socket_address, { address: '127.0.0.4', port_value: 8000 });
  assert.deepEqual(hcmOf(renderSpanCost('untraced').yaml).route_config.virtual_hosts[0].routes[0].direct_response, { status: 200, body: { inline_string: 'ok\n' } });
  assert.equal(hcmOf(renderSpanCost('untraced').yaml).tracing, undefined);
});

test("the traced Envoy gets the sandbox's own Zipkin settings, reporting to the local Jaeger", () => {
  const { yaml, serviceName } = renderSpanCost('zipkin JSON');
  const config = parse(yaml);
  assert.equal(serviceName, 'span-cost');
  assert.deepEqual(hcmOf(yaml).tracing.provider.typed_config, {
    '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
    collector_cluster: 'jaeger_zipkin',
    collector_endpoint: '/api/v2/spans',
    collector_endpoint_version: 'HTTP_JSON',
    shared_span_context: false,
    trace_context_option: 'USE_B3_WITH_W3C_PROPAGATION',
  });
  assert.deepEqual(config.layered_runtime.layers[0].static_layer, { 'tracing.zipkin.flush_interval_ms': 1000, 'tracing.zipkin.min_flush_spans': 25 });
  assert.deepEqual(config.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '127.0.0.1', port_value: 9411 });
});

test('the protobuf run differs from the shipped settings in the encoding and 128-bit trace ids only', () => {
  const json = parse(renderSpanCost('zipkin JSON').yaml);
  const proto = parse(renderSpanCost('zipkin protobuf').yaml);
  const provider = hcmOf(renderSpanCost('zipkin protobuf').yaml).tracing.provider.typed_config;
  assert.equal(provider.collector_endpoint_version, 'HTTP_PROTO');
  assert.equal(provider.trace_id_128bit, true);
  delete provider.trace_id_128bit;
  provider.collector_endpoint_version = 'HTTP_JSON';
  proto.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.tracing.provider.typed_config = provider;
  assert.deepEqual(proto, json);
});

test('the batch-size runs differ from the shipped settings in min_flush_spans only', () => {
  const json = parse(renderSpanCost('zipkin JSON').yaml);
  for (const [mode, spans] of [['zipkin JSON, 5 a post', 5], ['zipkin JSON, 100 a post', 100]] as const) {
    const other = parse(renderSpanCost(mode).yaml);
    assert.equal(other.layered_runtime.layers[0].static_layer['tracing.zipkin.min_flush_spans'], spans);
    other.layered_runtime.layers[0].static_layer['tracing.zipkin.min_flush_spans'] = 25;
    assert.deepEqual(other, json);
  }
});

test('the OpenTelemetry batch-size runs differ from the shipped OpenTelemetry settings in min_flush_spans only', () => {
  const shipped = parse(renderSpanCost('opentelemetry OTLP').yaml);
  for (const [mode, spans] of [['opentelemetry OTLP, 5 a post', 5], ['opentelemetry OTLP, 25 a post', 25]] as const) {
    const other = parse(renderSpanCost(mode).yaml);
    assert.equal(other.layered_runtime.layers[0].static_layer['tracing.opentelemetry.min_flush_spans'], spans);
    other.layered_runtime.layers[0].static_layer['tracing.opentelemetry.min_flush_spans'] = 1000;
    assert.deepEqual(other, shipped);
  }
  assert.deepEqual(ENVOY_MODES.filter((m) => m.includes('a post')), [
    'zipkin JSON, 5 a post',
    'zipkin JSON, 100 a post',
    'zipkin JSON, 1000 a post',
    'opentelemetry OTLP, 5 a post',
    'opentelemetry OTLP, 25 a post',
    'opentelemetry OTLP, 100 a post',
  ]);
});

test("the OpenTelemetry run gets the sandbox's own OpenTelemetry tracer, sending OTLP to the local Jaeger", () => {
  const { yaml, serviceName } = renderSpanCost('opentelemetry OTLP');
  const config = parse(yaml);
  assert.equal(serviceName, 'span-cost');
  assert.deepEqual(hcmOf(yaml).tracing.provider.typed_config, {
    '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
    http_service: { http_uri: { uri: 'http://127.0.0.1:4318/v1/traces', cluster: 'jaeger_otlp', timeout: '1s' } },
    service_name: 'span-cost',
  });
  assert.deepEqual(config.layered_runtime.layers[0].static_layer, { 'tracing.opentelemetry.flush_interval_ms': 1000, 'tracing.opentelemetry.min_flush_spans': 1000 });
});

test("each tracer's shipped batch is its own mode, and every other size a mode of its own", () => {
  assert.equal(envoyBatchMode('zipkin JSON', 25), 'zipkin JSON');
  assert.equal(envoyBatchMode('zipkin JSON', 1000), 'zipkin JSON, 1000 a post');
  assert.equal(envoyBatchMode('opentelemetry OTLP', 1000), 'opentelemetry OTLP');
  assert.equal(envoyBatchMode('opentelemetry OTLP', 25), 'opentelemetry OTLP, 25 a post');
  assert.equal(sdkBatchMode(512), 'opentelemetry');
  assert.equal(sdkBatchMode(2048), 'opentelemetry, 2048 a post');
});

test("the SDK's shipped batch is the one the OpenTelemetry variant's services run with", () => {
  for (const service of ['service1', 'service2'] as const) {
    assert.equal(loadConfig(serviceEnvironment(VARIANTS.otel, service)).otel?.batch.maxExportBatchSize, SDK_SHIPPED_BATCH);
  }
  assert.equal(SDK_SHIPPED_BATCH, 512);
});
