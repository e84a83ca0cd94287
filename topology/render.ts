/**
 * Shipped Envoy YAML -> YAML that runs elsewhere, by exactly two named
 * transformations and nothing else:
 *
 *  1. addresses: compose hostnames and each container's own 127.0.0.1/0.0.0.0
 *     become that container's loopback address (see topology.ts);
 *  2. tracer: the envoy.tracers.dynamic_ot provider (the Jaeger native plugin,
 *     which no Envoy after 1.29 can load) becomes Envoy's built-in Zipkin
 *     tracer, sending to Jaeger's Zipkin receiver with B3 headers (W3C
 *     traceparent read from callers too), each Envoy forwarding only the
 *     context it wrote. The plugin's
 *     service_name becomes Envoy's --service-cluster, which is the name Zipkin
 *     spans carry.
 *
 *     Or Envoy's OpenTelemetry tracer, sending OTLP over HTTP to Jaeger's
 *     :4318 with W3C traceparent.
 *
 * The local topology applies both. Each Compose variant is transformation 2
 * alone, written to the files its row of variants.ts names by
 * `npm run render:envoy`. The benchmark alone
 * also renders an untraced variant (tracing: false), with every tracing block
 * removed, to measure what tracing costs.
 */
import { parse, stringify } from 'yaml';
import { ADDRESSES, ContainerName, localAddress, localHostPort, PORTS } from './topology';
import { EnvoyTracer, RenderedVariant } from './variants';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const ZIPKIN_CLUSTER = 'jaeger_zipkin';
/** How often Envoy's Zipkin tracer sends what it holds; the native configs' bufferFlushInterval is 1 s too. */
export const ZIPKIN_FLUSH_INTERVAL_MS = 1000;
/**
 * Spans per report, per Envoy worker (Envoy's default is 5). Each report is an HTTP request, but
 * the JSON encoder gets slower per span as a report grows (every span's text is rewritten with the
 * number fix-ups of all spans before it), so a middling batch is cheapest: 25 costs a quarter to
 * a third less per span than 5 or 100 (bench/results.md).
 */
export const ZIPKIN_MIN_FLUSH_SPANS = 25;

export interface RenderedEnvoy {
  yaml: string;
  /** The tracer's service name, passed to Envoy as --service-cluster. */
  serviceName: string;
}

/** The sidecar template, filled in as start-service.sh does it. */
export function fillSidecarTemplate(template: string, serviceNumber: string): string {
  return template.replaceAll('${SERVICE_NAME}', serviceNumber);
}

function walk(node: Json, visit: (object: Json) => void): void {
  if (Array.isArray(node)) node.forEach((item) => walk(item, visit));
  else if (node && typeof node === 'object') {
    visit(node);
    Object.values(node).forEach((value) => walk(value, visit));
  }
}

/** Transformation 1. */
export function localizeAddresses(config: Json, inside: ContainerName): void {
  // A YAML alias (the sidecar's *jaeger) is one object reached twice: move it once.
  const done = new Set<Json>();
  walk(config, (object) => {
    if (object.socket_address) object.socket_address.address = localAddress(object.socket_address.address, inside);
    if (object.name === 'envoy.tracers.dynamic_ot' && !done.has(object.typed_config.config)) {
      const jaeger = object.typed_config.config;
      done.add(jaeger);
      jaeger.reporter.localAgentHostPort = localHostPort(jaeger.reporter.localAgentHostPort, inside);
      jaeger.sampler.samplingServerURL = localHostPort(jaeger.sampler.samplingServerURL, inside);
    }
  });
}

/** Where a tracer sends its spans: Jaeger's Zipkin receiver (:9411) or its OTLP/HTTP one (:4318). */
export interface Collector {
  address: string;
  port: number;
  /** STATIC for an IP address, STRICT_DNS for a hostname (re-resolved, so a new Jaeger is found). */
  type: 'STATIC' | 'STRICT_DNS';
}

const COLLECTOR_PORTS: Record<EnvoyTracer, number> = { zipkin: PORTS.jaegerZipkin, opentelemetry: PORTS.jaegerOtlpHttp };

/** Jaeger's receiver for the tracer on the local topology. */
export const localCollector = (tracer: EnvoyTracer): Collector => ({ address: ADDRESSES.jaeger, port: COLLECTOR_PORTS[tracer], type: 'STATIC' });
/** Jaeger's receiver for the tracer on the Compose network. */
export const composeCollector = (tracer: EnvoyTracer): Collector => ({ address: 'jaeger', port: COLLECTOR_PORTS[tracer], type: 'STRICT_DNS' });

export const OTLP_CLUSTER = 'jaeger_otlp';
/** How often Envoy's OpenTelemetry tracer sends what it holds (its default is 5 s), as for Zipkin. */
export const OTLP_FLUSH_INTERVAL_MS = 1000;
/**
 * Spans per OTLP post, per Envoy worker (Envoy's default is 5). Unlike Zipkin's JSON, OTLP protobuf
 * costs less per span the larger the post (bench/results.md measures 5, 25, 100 and 1000), so the
 * post is left to the one-second flush: at the sandbox's rates no worker holds 1000 spans in a second.
 */
export const OTLP_MIN_FLUSH_SPANS = 1000;

/**
 * Every trace-context header a caller may send. A Zipkin Envoy answers in the form it read (single
 * `b3`, the x-b3-* set, and `traceparent` beside either) but passes the other forms, and Jaeger's
 * uber-trace-id, on untouched, so a caller's stale copy would travel beside the fresh context; an
 * OpenTelemetry Envoy writes traceparent and tracestate and passes the rest on. Each Envoy removes
 * them all from the request it forwards; its own context is written after the removal (seen on
 * Envoy 1.40, and proved by the e2e suites).
 */
export const CONTEXT_HEADERS = ['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'traceparent', 'uber-trace-id'];

function zipkinProvider(): Json {
  return {
    name: 'envoy.tracers.zipkin',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
      collector_cluster: ZIPKIN_CLUSTER,
      collector_endpoint: '/api/v2/spans',
      collector_endpoint_version: 'HTTP_JSON',
      // One span per Envoy hop, as the Jaeger plugin makes, not Zipkin's shared client/server span.
      shared_span_context: false,
      // Callers that send W3C traceparent are continued too: B3 is read first, then W3C.
      trace_context_option: 'USE_B3_WITH_W3C_PROPAGATION',
    },
  };
}

function openTelemetryProvider(serviceName: string, collector: Collector): Json {
  return {
    name: 'envoy.tracers.opentelemetry',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
      // OTLP protobuf over HTTP, the services' own exporter and port: one receiver, no HTTP/2 cluster.
      http_service: {
        http_uri: { uri: `http://${collector.address}:${collector.port}/v1/traces`, cluster: OTLP_CLUSTER, timeout: '1s' },
      },
      // The resource's service.name; no sampler: the connection manager's sampling decides, as it
      // does for Zipkin, and x-client-trace-id and a caller's sampled flag are followed.
      service_name: serviceName,
    },
  };
}

/** Transformation 2. Returns the service name the plugin was configured with. */
export function swapTracer(config: Json, tracer: EnvoyTracer, collector: Collector = localCollector(tracer)): string {
  const names = new Set<string>();
  walk(config, (manager) => {
    const provider = manager.tracing?.provider;
    if (provider?.name !== 'envoy.tracers.dynamic_ot') return;
    const serviceName = provider.typed_config.config.service_name;
    names.add(serviceName);
    manager.tracing.provider = tracer === 'zipkin' ? zipkinProvider() : openTelemetryProvider(serviceName, collector);
    const routes = manager.route_config;
    routes.request_headers_to_remove = [...(routes.request_headers_to_remove ?? []), ...CONTEXT_HEADERS];
  });
  if (names.size !== 1) throw new Error(`expected one Jaeger tracer service name, found: ${[...names].join(', ') || 'none'}`);
  // Send spans every second, as the plugin's bufferFlushInterval does, or sooner once a worker holds
  // a batch of them.
  const reporting =
    tracer === 'zipkin'
      ? { name: 'zipkin_reporting', static_layer: { 'tracing.zipkin.flush_interval_ms': ZIPKIN_FLUSH_INTERVAL_MS, 'tracing.zipkin.min_flush_spans': ZIPKIN_MIN_FLUSH_SPANS } }
      : { name: 'opentelemetry_reporting', static_layer: { 'tracing.opentelemetry.flush_interval_ms': OTLP_FLUSH_INTERVAL_MS, 'tracing.opentelemetry.min_flush_spans': OTLP_MIN_FLUSH_SPANS } };
  // The admin layer lets the admin page change the runtime while Envoy runs, e.g.
  // `POST /runtime_modify?tracing.random_sampling=25`.
  config.layered_runtime = { layers: [reporting, { name: 'admin', admin_layer: {} }] };
  const cluster = tracer === 'zipkin' ? ZIPKIN_CLUSTER : OTLP_CLUSTER;
  config.static_resources.clusters.push({
    name: cluster,
    type: collector.type,
    connect_timeout: '0.25s',
    load_assignment: {
      cluster_name: cluster,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { socket_address: { address: collector.address, port_value: collector.port } } } }] },
      ],
    },
  });
  return [...names][0];
}

/** Removes tracing from every HTTP connection manager; returns the service name it had. */
export function removeTracing(config: Json): string {
  let serviceName = '';
  walk(config, (object) => {
    if (object.tracing?.provider) {
      serviceName = object.tracing.provider.typed_config.config?.service_name ?? serviceName;
      delete object.tracing;
    }
  });
  return serviceName;
}

export interface RenderOptions {
  /** false: every tracing block removed (the benchmark's untraced runs). */
  tracing?: boolean;
  tracer?: EnvoyTracer;
}

export function renderEnvoy(shippedYaml: string, inside: ContainerName, { tracing = true, tracer = 'zipkin' }: RenderOptions = {}): RenderedEnvoy {
  const config = parse(shippedYaml, { merge: true });
  localizeAddresses(config, inside);
  const serviceName = tracing ? swapTracer(config, tracer) : removeTracing(config);
  return { yaml: stringify(config, { aliasDuplicateObjects: false }), serviceName };
}

const TRACER_TITLES: Record<EnvoyTracer, string> = { zipkin: 'Zipkin', opentelemetry: 'OpenTelemetry' };

/** Transformation 2 alone, for Compose: what the variant's files hold. */
export function renderVariant(variant: RenderedVariant, shippedYaml: string, shippedName: string): string {
  const config = parse(shippedYaml, { merge: true });
  swapTracer(config, variant.envoyTracer, composeCollector(variant.envoyTracer));
  return `# Generated from ${shippedName} by \`npm run render:envoy\` for the ${variant.title} variant (${variant.composeFile}):
# Envoy's ${TRACER_TITLES[variant.envoyTracer]} tracer replaces the Jaeger native plugin; nothing else differs.
# Edit ${shippedName} and render again; a test fails while the two disagree.
${stringify(config, { aliasDuplicateObjects: false })}`;
}
