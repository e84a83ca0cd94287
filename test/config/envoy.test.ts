import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig, MIN_KEEP_ALIVE_TIMEOUT_MS } from '../../services/config';
import { findAll, Json, read, readYaml, renderSidecar } from './sandbox-files';

const PLUGIN = '/usr/local/lib/libjaegertracing_plugin.so';
const compose = readYaml('docker-compose.yml');
const front = readYaml('front-envoy-jaeger.yaml');
const sidecars = { service1: parse(renderSidecar('1'), { merge: true }), service2: parse(renderSidecar('2'), { merge: true }) };

const jaegerConfig = readYaml('jaeger/config.yaml');

/** The port of a Jaeger receiver or extension endpoint, as jaeger/config.yaml sets it. */
function jaegerPort(endpoint: string): number {
  const match = /:(\d+)"?$/.exec(endpoint);
  assert.ok(match, `${endpoint} ends in a port`);
  return Number(match[1]);
}

const JAEGER = {
  compact: jaegerPort(jaegerConfig.receivers.jaeger.protocols.thrift_compact.endpoint),
  binary: jaegerPort(jaegerConfig.receivers.jaeger.protocols.thrift_binary.endpoint),
  sampling: jaegerPort(jaegerConfig.extensions.remote_sampling.http.endpoint),
};

/** Jaeger's storage without its metrics backend, whose endpoint is Prometheus's, where Jaeger reads. */
const { metric_backends: _readsFrom, ...jaegerStorage } = jaegerConfig.extensions.jaeger_storage;
const jaegerServes = { extensions: { ...jaegerConfig.extensions, jaeger_storage: jaegerStorage }, receivers: jaegerConfig.receivers, exporters: jaegerConfig.exporters };

/** The ports a compose service listens on inside the envoymesh network, read from the files that set them. */
const LISTENS: Record<string, number[]> = {
  service1: [],
  service2: [],
  jaeger: findAll(jaegerServes, 'endpoint').map((e) => jaegerPort(e.endpoint)),
};

const listeners = (config: Json) => config.static_resources.listeners as Json[];
const tracers = (config: Json) => findAll(config, 'provider').map((p) => p.provider);

// What other containers reach: the sidecar listeners on every address.
for (const [name, config] of Object.entries(sidecars)) {
  LISTENS[name] = listeners(config)
    .filter((l) => l.address.socket_address.address === '0.0.0.0')
    .map((l) => l.address.socket_address.port_value);
}

function endpoints(config: Json): Array<{ cluster: string; address: string; port: number }> {
  return config.static_resources.clusters.flatMap((cluster: Json) =>
    cluster.load_assignment.endpoints.flatMap((e: Json) =>
      e.lb_endpoints.map((lb: Json) => ({
        cluster: cluster.name,
        address: lb.endpoint.address.socket_address.address,
        port: lb.endpoint.address.socket_address.port_value,
      })),
    ),
  );
}

function hostPort(value: string): [string, number] {
  const match = /^(?:http:\/\/)?([^:/]+):(\d+)/.exec(value);
  assert.ok(match, `${value} is host:port`);
  return [match[1], Number(match[2])];
}

test('the sidecar template renders for both services with nothing left to fill in', () => {
  for (const n of ['1', '2']) assert.doesNotMatch(renderSidecar(n), /\$\{/);
  assert.match(read('start-service.sh'), /sed "s\/\\\$\{SERVICE_NAME\}\/\$\{SERVICE_NAME\}\/g"/);
});

test('every Envoy traces with the Jaeger plugin that the Dockerfiles install', () => {
  const installer = read('install-jaeger-plugin.sh');
  assert.match(installer, new RegExp(`TARGET=${PLUGIN}`));
  assert.match(installer, /SHA256=4a7d17d4724ee890490bcd6cfdedb12a02316a3d33214348d30979abd201f1ca/);
  assert.match(read('Dockerfile-frontenvoy'), /install-jaeger-plugin\.sh/);
  assert.match(read('Dockerfile-service'), new RegExp(`COPY --from=native-envoy ${PLUGIN} ${PLUGIN}`));
  for (const config of [front, sidecars.service1, sidecars.service2]) {
    const providers = tracers(config);
    assert.equal(providers.length, listeners(config).length, 'every listener traces');
    for (const provider of providers) {
      assert.equal(provider.name, 'envoy.tracers.dynamic_ot');
      assert.equal(provider.typed_config['@type'], 'type.googleapis.com/envoy.config.trace.v3.DynamicOtConfig');
      assert.equal(provider.typed_config.library, PLUGIN);
    }
  }
});

test('each Envoy reports under its own service name', () => {
  const names = (config: Json) => [...new Set(tracers(config).map((p) => p.typed_config.config.service_name))];
  assert.deepEqual(names(front), ['front-proxy']);
  assert.deepEqual(names(sidecars.service1), ['service1']);
  assert.deepEqual(names(sidecars.service2), ['service2']);
});

test('the plugin reports to jaeger:6831 and asks jaeger:5778/sampling for its strategy', () => {
  for (const config of [front, sidecars.service1]) {
    for (const provider of tracers(config)) {
      const jaeger = provider.typed_config.config;
      assert.equal(jaeger.reporter.localAgentHostPort, 'jaeger:6831');
      assert.equal(jaeger.sampler.type, 'remote');
      // The plugin's default URL has no path, and Jaeger answers only on /sampling.
      assert.equal(jaeger.sampler.samplingServerURL, 'http://jaeger:5778/sampling');
      assert.equal(jaeger.sampler.param, 1, 'every request is sampled until Jaeger answers');
      assert.equal(jaeger.headers.jaegerDebugHeader, 'jaeger-debug-id');
      assert.equal(jaeger.headers.traceBaggageHeaderPrefix, 'uberctx-');
    }
  }
});

test('the plugin reports Thrift compact to the port Jaeger receives it on, and the services Thrift binary to theirs', () => {
  for (const config of [front, ...Object.values(sidecars)]) {
    for (const provider of tracers(config)) {
      assert.deepEqual(hostPort(provider.typed_config.config.reporter.localAgentHostPort), ['jaeger', JAEGER.compact]);
      assert.deepEqual(hostPort(provider.typed_config.config.sampler.samplingServerURL), ['jaeger', JAEGER.sampling]);
    }
  }
  for (const name of ['service1', 'service2']) {
    const env = compose.services[name].environment;
    assert.equal(Number(env.JAEGER_AGENT_PORT), JAEGER.binary, `${name} sends jaeger-client's Thrift binary`);
    assert.deepEqual(hostPort(env.JAEGER_SAMPLER_MANAGER_HOST_PORT), ['jaeger', JAEGER.sampling]);
  }
  assert.deepEqual([JAEGER.compact, JAEGER.binary, JAEGER.sampling], [6831, 6832, 5778], "Jaeger's documented ports");
});

test('the front proxy refuses request headers over 60 KiB, well under the 100 KB the e2e sends', () => {
  const [hcm] = findAll(front, 'max_request_headers_kb');
  assert.equal(hcm.max_request_headers_kb, 60);
  for (const config of Object.values(sidecars)) {
    assert.ok(findAll(config, 'max_request_headers_kb').every((h) => h.max_request_headers_kb >= 60), 'no sidecar is stricter than the edge');
  }
});

test('every host an Envoy talks to is a compose service, on a port it listens on', () => {
  const targets: Array<[string, number, string]> = [];
  for (const [name, config] of Object.entries({ front, ...sidecars })) {
    for (const e of endpoints(config)) targets.push([e.address, e.port, `${name} cluster ${e.cluster}`]);
    for (const provider of tracers(config)) {
      const jaeger = provider.typed_config.config;
      targets.push([...hostPort(jaeger.reporter.localAgentHostPort), `${name} reporter`]);
      targets.push([...hostPort(jaeger.sampler.samplingServerURL), `${name} sampler`]);
    }
  }
  for (const [host, port, where] of targets) {
    if (host === '127.0.0.1') continue;
    assert.ok(compose.services[host], `${where}: ${host} is a compose service`);
    assert.ok(LISTENS[host]?.includes(port), `${where}: ${host} listens on ${port}`);
  }
});

test('the listeners and local clusters match the ports the services use', () => {
  const [ingress, egress] = listeners(sidecars.service1);
  assert.deepEqual(ingress.address.socket_address, { address: '0.0.0.0', port_value: 8000 });
  assert.deepEqual(egress.address.socket_address, { address: '127.0.0.1', port_value: 9000 });
  const downstream = new URL(compose.services.service1.environment.DOWNSTREAM_URL);
  assert.equal(Number(downstream.port), 9000, 'service1 calls its own egress listener');
  const local = endpoints(sidecars.service1).find((e) => e.cluster === 'local_service');
  assert.deepEqual(local && [local.address, local.port], ['127.0.0.1', 8080], 'the service default HOST and PORT');
  assert.deepEqual(listeners(front)[0].address.socket_address, { address: '0.0.0.0', port_value: 8000 });
  assert.equal(front.admin.address.socket_address.port_value, 8001);
  assert.equal(sidecars.service1.admin.address.socket_address.port_value, 8001);
});

test('the front proxy routes /trace/ and /service/ to service1, names its spans, and guards the edge', () => {
  const hcm = findAll(front, 'route_config')[0];
  assert.equal(hcm.generate_request_id, true);
  assert.equal(hcm.use_remote_address, true);
  const routes = hcm.route_config.virtual_hosts[0].routes;
  assert.deepEqual(
    routes.map((r: Json) => [r.match.prefix, r.route.cluster]),
    [
      ['/trace/', 'service1'],
      ['/service/', 'service1'],
    ],
  );
});

test('every route names its span with a decorator', () => {
  for (const config of [front, sidecars.service1, sidecars.service2]) {
    for (const route of findAll(config, 'match')) assert.ok(route.decorator?.operation, JSON.stringify(route.match));
  }
  const operations = findAll(sidecars.service1, 'decorator').map((r) => r.decorator.operation);
  assert.deepEqual(operations, ['ingress service1', 'egress service2']);
  // Propagated, a decorator would rename the next Envoy's span after this one.
  for (const config of [front, sidecars.service1]) {
    for (const route of findAll(config, 'decorator')) assert.equal(route.decorator.propagate, false);
  }
});

test('the sampling strategies name every traced service', () => {
  const strategies = JSON.parse(read('jaeger/sampling-strategies.json'));
  assert.equal(strategies.default_strategy.type, 'probabilistic');
  assert.deepEqual(
    strategies.service_strategies.map((s: Json) => s.service).sort(),
    ['front-proxy', 'service1', 'service2'],
  );
  const jaeger = readYaml('jaeger/strategies-file.yaml');
  assert.equal(jaeger.extensions.remote_sampling.file.path, '${env:SAMPLING_STRATEGIES_FILE:-/etc/sandbox-jaeger/sampling-strategies.json}');
  assert.ok(jaeger.extensions.remote_sampling.file.reload_interval, 'the file is re-read while Jaeger runs');
});

test("every cluster that reaches an app lets go of idle connections before the app's keep-alive ends", () => {
  // Envoy's durations as the YAML writes them ("4s", "0.5s").
  const seconds = (duration: string) => {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(duration);
    assert.ok(match, `${duration} is a duration in seconds`);
    return Number(match[1]);
  };
  for (const [name, config] of Object.entries(sidecars)) {
    const apps = endpoints(config).filter((e) => e.port === loadConfig({ SERVICE_NAME: '1' }).port).map((e) => e.cluster);
    assert.deepEqual(apps, ['local_service'], `${name}'s clusters that reach its app`);
    const cluster = config.static_resources.clusters.find((c: Json) => c.name === 'local_service');
    const options = cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    const idle = seconds(options.common_http_protocol_options.idle_timeout);
    const least = loadConfig({ SERVICE_NAME: '1' }).keepAliveTimeoutMs;
    assert.equal(least, 5000, "the app's default is Node's own 5 s");
    assert.equal(least, MIN_KEEP_ALIVE_TIMEOUT_MS, 'and no shorter one is accepted');
    assert.ok(idle * 1000 < least, `${name}: idle_timeout ${idle} s is shorter than the app's ${least} ms`);
  }
});

test("the front proxy tags its span with the request's jaeger-debug-id, the header the plugin forces sampling on", () => {
  const [hcm] = findAll(front, 'tracing').map((node) => node.tracing);
  assert.deepEqual(hcm.custom_tags, [{ tag: 'jaeger-debug-id', request_header: { name: 'jaeger-debug-id' } }]);
  assert.equal(hcm.provider.typed_config.config.headers.jaegerDebugHeader, 'jaeger-debug-id');
  // The current variant keeps the tag: only the provider is swapped.
  const zipkin = parse(read('front-envoy-zipkin.yaml'));
  assert.deepEqual(findAll(zipkin, 'tracing')[0].tracing.custom_tags, hcm.custom_tags);
});
