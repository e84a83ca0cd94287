import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { fillSidecarTemplate, localizeAddresses, renderEnvoy, renderVariant, swapTracer, ZIPKIN_CLUSTER } from '../../topology/render';
import { envoyConfigs, RENDERED_VARIANTS, RenderedVariant, VARIANTS } from '../../topology/variants';
import { localHostPort } from '../../topology/topology';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const front = read('front-envoy-jaeger.yaml');
const sidecar1 = fillSidecarTemplate(read('service-envoy-jaeger.yaml'), '1');

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function providers(config: Json): Json[] {
  const found: Json[] = [];
  const walk = (node: Json) => {
    if (node && typeof node === 'object') {
      if (node.provider) found.push(node.provider);
      Object.values(node).forEach(walk);
    }
  };
  walk(config);
  return found;
}

test('turns compose hostnames and each container\'s own addresses into its loopback address', () => {
  const rendered = parse(renderEnvoy(sidecar1, 'service1').yaml);
  const [ingress, egress] = rendered.static_resources.listeners;
  assert.equal(ingress.address.socket_address.address, '127.0.0.2');
  assert.equal(egress.address.socket_address.address, '127.0.0.2');
  assert.equal(rendered.admin.address.socket_address.address, '127.0.0.2');
  const endpoint = (name: string) =>
    rendered.static_resources.clusters.find((c: Json) => c.name === name).load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  assert.deepEqual(endpoint('local_service'), { address: '127.0.0.2', port_value: 8080 });
  assert.deepEqual(endpoint('service2'), { address: '127.0.0.3', port_value: 8000 });
  assert.deepEqual(endpoint(ZIPKIN_CLUSTER), { address: '127.0.0.1', port_value: 9411 });
  assert.equal(localHostPort('http://jaeger:5778/sampling', 'service1'), 'http://127.0.0.1:5778/sampling');
  assert.equal(localHostPort('http://127.0.0.1:9000/trace/2', 'service1'), 'http://127.0.0.2:9000/trace/2');
  assert.equal(localHostPort('jaeger:6831', 'service1'), '127.0.0.1:6831');
  assert.equal(
    localHostPort('endpoint=http://jaeger:5778,pollingIntervalMs=5000,initialSamplingRate=1', 'service2'),
    'endpoint=http://127.0.0.1:5778,pollingIntervalMs=5000,initialSamplingRate=1',
  );
  assert.equal(localHostPort('a=localhost:1,b=service2:2', 'service1'), 'a=127.0.0.2:1,b=127.0.0.3:2');
});

test('swaps the native Jaeger plugin for Envoy\'s Zipkin tracer and keeps the service name', () => {
  const { yaml, serviceName } = renderEnvoy(front, 'front-envoy');
  assert.equal(serviceName, 'front-proxy');
  const [provider] = providers(parse(yaml));
  assert.deepEqual(provider, {
    name: 'envoy.tracers.zipkin',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
      collector_cluster: ZIPKIN_CLUSTER,
      collector_endpoint: '/api/v2/spans',
      collector_endpoint_version: 'HTTP_JSON',
      shared_span_context: false,
      trace_context_option: 'USE_B3_WITH_W3C_PROPAGATION',
    },
  });
  assert.equal(renderEnvoy(sidecar1, 'service1').serviceName, 'service1');
});

test('every Zipkin Envoy drops each context header a caller may send, in every route table it has', () => {
  const contextHeaders = ['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'traceparent', 'uber-trace-id'];
  for (const [shipped, container, tables] of [
    [front, 'front-envoy', ['front_routes']],
    [sidecar1, 'service1', ['ingress_routes', 'egress_routes']],
  ] as const) {
    const rendered = parse(renderEnvoy(shipped, container).yaml);
    const routeConfigs = rendered.static_resources.listeners.map((l: Json) => l.filter_chains[0].filters[0].typed_config.route_config);
    assert.deepEqual(routeConfigs.map((r: Json) => r.name), tables);
    for (const routes of routeConfigs) assert.deepEqual(routes.request_headers_to_remove, contextHeaders, `${container} ${routes.name}`);
  }
});

test('changes nothing else in the shipped configuration', () => {
  for (const [shipped, container] of [
    [front, 'front-envoy'],
    [sidecar1, 'service1'],
  ] as const) {
    const original = parse(shipped, { merge: true });
    const rendered = parse(renderEnvoy(shipped, container).yaml);
    // Undo the two transformations by hand; what remains must be identical.
    rendered.static_resources.clusters = rendered.static_resources.clusters.filter((c: Json) => c.name !== ZIPKIN_CLUSTER);
    delete rendered.layered_runtime;
    const undo = (a: Json, b: Json) => {
      if (a && typeof a === 'object') {
        if (a.socket_address) a.socket_address.address = b.socket_address.address;
        if (a.provider) a.provider = b.provider;
        if (a.request_headers_to_remove && b && !b.request_headers_to_remove) delete a.request_headers_to_remove;
        for (const key of Object.keys(a)) undo(a[key], b?.[key]);
      }
    };
    undo(rendered, original);
    assert.deepEqual(rendered, original);
  }
});

test('renders the benchmark\'s untraced variant without any tracing block', () => {
  const { yaml, serviceName } = renderEnvoy(sidecar1, 'service1', { tracing: false });
  assert.equal(serviceName, 'service1');
  assert.doesNotMatch(yaml, /tracing|zipkin|dynamic_ot/);
});

test('ships the current-Envoy variant as exactly what the tracer transformation makes of the native configs', () => {
  for (const { shipped, file } of envoyConfigs(VARIANTS.zipkin)) {
    assert.equal(read(file), renderVariant(VARIANTS.zipkin as RenderedVariant, read(shipped), shipped), `${file} is stale: run npm run render:envoy`);
  }
});

test('points the Compose variant at jaeger:9411 by name, so a recreated Jaeger is found again', () => {
  for (const variant of ['front-envoy-zipkin.yaml', 'service-envoy-zipkin.yaml']) {
    const config = parse(read(variant));
    const cluster = config.static_resources.clusters.find((c: Json) => c.name === 'jaeger_zipkin');
    assert.equal(cluster.type, 'STRICT_DNS', variant);
    assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: 'jaeger', port_value: 9411 });
    assert.deepEqual(
      providers(config).map((p) => p.name),
      variant.startsWith('front') ? ['envoy.tracers.zipkin'] : ['envoy.tracers.zipkin', 'envoy.tracers.zipkin'],
    );
    // Everything but the tracer is as shipped: the same listeners, addresses and routes.
    assert.doesNotMatch(read(variant), /dynamic_ot|libjaegertracing|127\.0\.0\.[23]/);
  }
  assert.match(read('service-envoy-zipkin.yaml'), /operation: ingress service\$\{SERVICE_NAME\}/, 'still a template for start-service.sh');
});

test('has the Zipkin tracer send every second, as the plugin does, and lets the admin page change the runtime', () => {
  for (const config of [parse(renderEnvoy(front, 'front-envoy').yaml), parse(read('service-envoy-zipkin.yaml'))]) {
    assert.deepEqual(config.layered_runtime, {
      layers: [
        { name: 'zipkin_reporting', static_layer: { 'tracing.zipkin.flush_interval_ms': 1000, 'tracing.zipkin.min_flush_spans': 25 } },
        { name: 'admin', admin_layer: {} },
      ],
    });
  }
  assert.match(read('service-envoy-jaeger.yaml'), /bufferFlushInterval: 1 /);
  assert.equal(parse(renderEnvoy(front, 'front-envoy', { tracing: false }).yaml).layered_runtime, undefined);
});

test('renders exactly the two shipped configs into each current-Envoy variant', () => {
  assert.deepEqual(
    RENDERED_VARIANTS.map((v) => [v.name, envoyConfigs(v)]),
    [
      ['zipkin', [{ shipped: 'front-envoy-jaeger.yaml', file: 'front-envoy-zipkin.yaml' }, { shipped: 'service-envoy-jaeger.yaml', file: 'service-envoy-zipkin.yaml' }]],
      ['otel', [{ shipped: 'front-envoy-jaeger.yaml', file: 'front-envoy-otel.yaml' }, { shipped: 'service-envoy-jaeger.yaml', file: 'service-envoy-otel.yaml' }]],
    ],
  );
});

test("swaps the native Jaeger plugin for Envoy's OpenTelemetry tracer: OTLP over HTTP to Jaeger, the plugin's service name", () => {
  const { yaml, serviceName } = renderEnvoy(sidecar1, 'service1', { tracer: 'opentelemetry' });
  assert.equal(serviceName, 'service1');
  const config = parse(yaml);
  const expected = {
    name: 'envoy.tracers.opentelemetry',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
      http_service: { http_uri: { uri: 'http://127.0.0.1:4318/v1/traces', cluster: 'jaeger_otlp', timeout: '1s' } },
      service_name: 'service1',
    },
  };
  assert.deepEqual(providers(config), [expected, expected], 'ingress and egress');
  const cluster = config.static_resources.clusters.find((c: Json) => c.name === 'jaeger_otlp');
  assert.equal(cluster.type, 'STATIC');
  assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '127.0.0.1', port_value: 4318 });
  assert.equal(config.static_resources.clusters.find((c: Json) => c.name === ZIPKIN_CLUSTER), undefined);
  assert.deepEqual(config.layered_runtime, {
    layers: [
      { name: 'opentelemetry_reporting', static_layer: { 'tracing.opentelemetry.flush_interval_ms': 1000, 'tracing.opentelemetry.min_flush_spans': 1000 } },
      { name: 'admin', admin_layer: {} },
    ],
  });
  const contextHeaders = ['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'traceparent', 'uber-trace-id'];
  for (const listener of config.static_resources.listeners) {
    assert.deepEqual(listener.filter_chains[0].filters[0].typed_config.route_config.request_headers_to_remove, contextHeaders, listener.name);
  }
});

test('ships the OpenTelemetry variant as exactly what the tracer transformation makes of the native configs', () => {
  for (const { shipped, file } of envoyConfigs(VARIANTS.otel)) {
    assert.equal(read(file), renderVariant(VARIANTS.otel as RenderedVariant, read(shipped), shipped), `${file} is stale: run npm run render:envoy`);
  }
  const front = parse(read('front-envoy-otel.yaml'));
  assert.equal(providers(front)[0].typed_config.http_service.http_uri.uri, 'http://jaeger:4318/v1/traces');
  assert.equal(front.static_resources.clusters.find((c: Json) => c.name === 'jaeger_otlp').type, 'STRICT_DNS');
  assert.match(read('service-envoy-otel.yaml'), /service_name: service\$\{SERVICE_NAME\}/, 'still a template for start-service.sh');
  assert.match(read('front-envoy-otel.yaml'), /^# Generated from front-envoy-jaeger\.yaml by `npm run render:envoy` for the OpenTelemetry variant \(docker-compose\.otel\.yml\)/);
});

test('points the local Zipkin tracer at Jaeger by its address, with no DNS', () => {
  const rendered = parse(renderEnvoy(front, 'front-envoy').yaml);
  const cluster = rendered.static_resources.clusters.find((c: Json) => c.name === ZIPKIN_CLUSTER);
  assert.equal(cluster.type, 'STATIC');
});

test("moves the plugin's own Jaeger addresses to the container's loopback too", () => {
  const config = parse(sidecar1, { merge: true });
  localizeAddresses(config, 'service1');
  const plugin = providers(config)[0].typed_config.config;
  assert.equal(plugin.reporter.localAgentHostPort, '127.0.0.1:6831');
  assert.equal(plugin.sampler.samplingServerURL, 'http://127.0.0.1:5778/sampling');
});

test('refuses configs whose tracers do not agree on one service name', () => {
  const two = parse(sidecar1, { merge: true });
  const tracers = providers(two);
  tracers[1].typed_config.config = { ...tracers[1].typed_config.config, service_name: 'other' };
  assert.throws(() => swapTracer(two, 'zipkin'), /^Error: expected one Jaeger tracer service name, found: service1, other$/);
  assert.throws(() => swapTracer({ static_resources: { clusters: [] } }, 'opentelemetry'), /found: none$/);
});

test('the untraced variant keeps the service name for --service-cluster', () => {
  assert.equal(renderEnvoy(front, 'front-envoy', { tracing: false }).serviceName, 'front-proxy');
  assert.equal(renderEnvoy(sidecar1, 'service1', { tracing: false }).serviceName, 'service1');
});
