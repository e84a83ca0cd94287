/**
 * What one span costs, measured alone, each run right after the other so the
 * machine's speed is the same for both sides:
 *  - a single Envoy that answers every request itself (no upstream), once
 *    without tracing, once with the Zipkin tracer and once with the
 *    OpenTelemetry tracer exactly as the sandbox renders them, reporting to
 *    the running Jaeger. For comparison only, each tracer at the other batch
 *    sizes of ENVOY_BATCHES, and Zipkin sending protobuf instead of JSON (see
 *    ZIPKIN_PROTO_PROBLEMS for why the sandbox cannot use it);
 *  - service2's app as a variant runs it, called directly, once with its
 *    tracer disabled and once traced (each span a root, sampled by Jaeger's
 *    100% strategy); the OpenTelemetry SDK also at the other batch sizes.
 * The difference in CPU per request is the price of the one span each request makes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { OTLP_MIN_FLUSH_SPANS, swapTracer, ZIPKIN_MIN_FLUSH_SPANS } from '../topology/render';
import { ServiceTracerName } from '../topology/variants';
import { httpOk } from '../lib/http';
import { ProcessGroup, ProcessSpec } from '../topology/processes';
import { Listen, takenListens } from '../topology/ports';
import { cpuSeconds } from './cpu';
import { runLoad } from '../tools/load';

/** An address outside the topology's 127.0.0.1-3. */
export const SPAN_COST_HOST = '127.0.0.4';
const PORT = 8000;
const ADMIN_PORT = 8001;

/**
 * The batch sizes measured at an Envoy (spans a post) and in the SDK (OTEL_BSP_MAX_EXPORT_BATCH_SIZE).
 * A tracer's shipped size is its own mode ('zipkin JSON', 'opentelemetry OTLP', 'opentelemetry'); every
 * other size in the list is a mode of its own, measured against it.
 */
export const ENVOY_BATCHES = [5, 25, 100, 1000] as const;
export const SDK_BATCHES = [64, 512, 2048] as const;
/** The SDK's batch as the services run it: the SDK's default, which the Compose files leave alone. */
export const SDK_SHIPPED_BATCH = 512;

type EnvoyEncoding = 'zipkin JSON' | 'opentelemetry OTLP';
type EnvoyBatchMode = `${EnvoyEncoding}, ${(typeof ENVOY_BATCHES)[number]} a post`;
type SdkBatchMode = `opentelemetry, ${(typeof SDK_BATCHES)[number]} a post`;
export type SpanCostMode = 'untraced' | 'zipkin protobuf' | EnvoyEncoding | EnvoyBatchMode | ServiceTracerName | SdkBatchMode;

const SHIPPED_ENVOY_BATCH: Record<EnvoyEncoding, number> = { 'zipkin JSON': ZIPKIN_MIN_FLUSH_SPANS, 'opentelemetry OTLP': OTLP_MIN_FLUSH_SPANS };

/** The mode that measures an Envoy encoding at `spans` a post: the shipped mode itself at the shipped size. */
export function envoyBatchMode(encoding: EnvoyEncoding, spans: (typeof ENVOY_BATCHES)[number]): SpanCostMode {
  return spans === SHIPPED_ENVOY_BATCH[encoding] ? encoding : `${encoding}, ${spans} a post`;
}

/** The mode that measures the SDK at `spans` a batch: the shipped 'opentelemetry' mode at the shipped size. */
export function sdkBatchMode(spans: (typeof SDK_BATCHES)[number]): SpanCostMode {
  return spans === SDK_SHIPPED_BATCH ? 'opentelemetry' : `opentelemetry, ${spans} a post`;
}

const otherSizes = (encoding: EnvoyEncoding) => ENVOY_BATCHES.map((n) => envoyBatchMode(encoding, n)).filter((mode) => mode !== encoding);

/** The Envoy runs: each tracer as shipped, beside it each of the other batch sizes, and the encoding Zipkin was chosen over. */
export const ENVOY_MODES: readonly SpanCostMode[] = [
  'untraced',
  'zipkin JSON',
  'opentelemetry OTLP',
  ...otherSizes('zipkin JSON'),
  ...otherSizes('opentelemetry OTLP'),
  'zipkin protobuf',
];

/** Why HTTP_PROTO is measured but not shipped, as found against Jaeger 2.13's Zipkin receiver. */
export const ZIPKIN_PROTO_PROBLEMS = [
  "Envoy writes a 64-bit trace id as 8 bytes; Jaeger's Zipkin receiver (zipkin-go's proto decoder) wants 16 and answers 400 to the whole report",
  "with 128-bit ids the report is taken, but Envoy writes span ids in the machine's byte order (little-endian on x86), so Envoy's spans no longer match the parent ids the services report from the B3 headers",
];

/** A minimal config in the shipped form: one listener that answers 200 itself, traced by the plugin. */
export function spanCostConfig(): Record<string, any> {
  return {
    admin: { address: { socket_address: { address: SPAN_COST_HOST, port_value: ADMIN_PORT } } },
    static_resources: {
      listeners: [
        {
          name: 'span_cost',
          address: { socket_address: { address: SPAN_COST_HOST, port_value: PORT } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'span_cost',
                    tracing: {
                      provider: {
                        name: 'envoy.tracers.dynamic_ot',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.config.trace.v3.DynamicOtConfig',
                          library: '/usr/local/lib/libjaegertracing_plugin.so',
                          config: { service_name: 'span-cost' },
                        },
                      },
                    },
                    route_config: {
                      virtual_hosts: [
                        {
                          name: 'all',
                          domains: ['*'],
                          routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'ok\n' } } }],
                        },
                      ],
                    },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [],
    },
  };
}

/** The config for one mode, rendered the way the sandbox renders its Envoys. */
export function renderSpanCost(mode: SpanCostMode): { yaml: string; serviceName: string } {
  const config = spanCostConfig();
  const hcm = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  if (mode === 'untraced') {
    delete hcm.tracing;
    return { yaml: stringify(config), serviceName: 'span-cost' };
  }
  const tracer = mode.startsWith('opentelemetry') ? 'opentelemetry' : 'zipkin';
  const serviceName = swapTracer(config, tracer);
  if (mode === 'zipkin protobuf') {
    Object.assign(hcm.tracing.provider.typed_config, { collector_endpoint_version: 'HTTP_PROTO', trace_id_128bit: true });
  }
  const batch = /, (\d+) a post$/.exec(mode)?.[1];
  if (batch) config.layered_runtime.layers[0].static_layer[`tracing.${tracer}.min_flush_spans`] = Number(batch);
  return { yaml: stringify(config), serviceName };
}

export interface SpanCost {
  mode: SpanCostMode;
  rps: number;
  requests: number;
  /** The measured process's CPU per request. */
  cpuUs: number;
}

interface Run {
  mode: SpanCostMode;
  spec: ProcessSpec;
  path: string;
}

export interface SpanCostPlan {
  rps: number;
  durationS: number;
  /** Rounds of every mode, in turn, so a drift in the machine's speed falls on each; the results are their means. */
  rounds: number;
}

/** What a measured process may listen on; all of it must be free before the first run. */
const SPAN_COST_LISTENS: Listen[] = [
  { owner: 'span-cost process', host: SPAN_COST_HOST, port: PORT, protocol: 'tcp' },
  { owner: 'span-cost envoy admin', host: SPAN_COST_HOST, port: ADMIN_PORT, protocol: 'tcp' },
];

/** Starts each run's process alone, loads it at a steady rate, and measures its CPU per request. */
async function measure(runs: Run[], runDir: string, { rps, durationS, rounds }: SpanCostPlan): Promise<SpanCost[]> {
  const taken = await takenListens(SPAN_COST_LISTENS);
  if (taken.length > 0) throw new Error(`cannot measure a span's cost: ${taken.join('; ')}`);
  mkdirSync(path.join(runDir, 'logs'), { recursive: true });
  const results: SpanCost[] = [];
  const group = new ProcessGroup(path.join(runDir, 'logs'));
  try {
    for (const run of Array.from({ length: rounds }, () => runs).flat()) {
      run.spec.validate?.();
      const running = await group.start(run.spec);
      const target = `http://${SPAN_COST_HOST}:${PORT}`;
      const options = { concurrency: 8, target, path: run.path };
      // Past start-up costs first (see WARM_UP in bench.ts): a root span makes two Buffer() calls.
      await runLoad({ rps, durationS: Math.min(durationS, 6000 / rps), ...options });
      const before = cpuSeconds(running.child.pid!) ?? 0;
      const load = await runLoad({ rps, durationS, ...options });
      const used = (cpuSeconds(running.child.pid!) ?? before) - before;
      results.push({ mode: run.mode, rps: load.achievedRps, requests: load.requests, cpuUs: (used / load.requests) * 1e6 });
      await group.stop(run.spec.name);
    }
  } finally {
    await group.stopAll();
  }
  return runs.map(({ mode }) => {
    const ofMode = results.filter((r) => r.mode === mode);
    const mean = (f: (r: SpanCost) => number) => ofMode.reduce((a, r) => a + f(r), 0) / ofMode.length;
    return { mode, rps: mean((r) => r.rps), requests: mean((r) => r.requests), cpuUs: mean((r) => r.cpuUs) };
  });
}

/** One Envoy per mode. */
export function measureEnvoySpan(envoy: string, runDir: string, plan: SpanCostPlan): Promise<SpanCost[]> {
  mkdirSync(runDir, { recursive: true });
  const runs = ENVOY_MODES.map((mode): Run => {
    const { yaml, serviceName } = renderSpanCost(mode);
    const file = path.join(runDir, `span-cost-${mode.replace(/ /g, '-')}.yaml`);
    writeFileSync(file, yaml);
    return {
      mode,
      path: '/',
      spec: {
        name: 'span-cost-envoy',
        command: envoy,
        args: ['-c', file, '--service-cluster', serviceName, '--use-dynamic-base-id', '--log-level', 'warn'],
        listens: SPAN_COST_LISTENS,
        ready: () => httpOk(`http://${SPAN_COST_HOST}:${ADMIN_PORT}/ready`),
        readyTimeoutMs: 20_000,
      },
    };
  });
  return measure(runs, runDir, plan);
}

/**
 * service2's app as a variant's sandbox runs it (its spec), moved to SPAN_COST_HOST, untraced and
 * traced; with the OpenTelemetry SDK also at each of the other batch sizes.
 */
export function measureServiceSpan(service2: ProcessSpec, traced: ServiceTracerName, runDir: string, plan: SpanCostPlan): Promise<SpanCost[]> {
  const batches = traced === 'opentelemetry' ? SDK_BATCHES.map(sdkBatchMode).filter((mode) => mode !== traced) : [];
  const runs = (['untraced', traced, ...batches] as const).map((mode): Run => {
    const env: Record<string, string> = { ...service2.env, HOST: SPAN_COST_HOST, PORT: String(PORT) };
    if (mode === 'untraced') Object.assign(env, { JAEGER_DISABLED: 'true', OTEL_SDK_DISABLED: 'true' });
    else {
      delete env.JAEGER_DISABLED;
      delete env.OTEL_SDK_DISABLED;
    }
    const batch = /, (\d+) a post$/.exec(mode)?.[1];
    if (batch) env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = batch;
    return {
      mode,
      path: '/trace/2',
      spec: {
        ...service2,
        name: 'span-cost-service2',
        env,
        listens: [SPAN_COST_LISTENS[0]],
        ready: () => httpOk(`http://${SPAN_COST_HOST}:${PORT}/healthz`),
      },
    };
  });
  return measure(runs, runDir, plan);
}
