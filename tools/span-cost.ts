/**
 * What one Envoy span costs, measured alone: a single Envoy that answers every
 * request itself (no upstream), once without tracing and once with the Zipkin
 * tracer exactly as the sandbox renders it, reporting to the running Jaeger.
 * The difference in CPU per request is the price of the one span each request
 * makes. A third run sends protobuf instead of JSON, for comparison only: see
 * ZIPKIN_PROTO_PROBLEMS for why the sandbox cannot use it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { nativeToZipkin } from '../local/render';
import { httpOk, ProcessGroup } from '../local/processes';
import { takenListens } from '../local/ports';
import { cpuSeconds } from './cpu';
import { runLoad } from './load';

/** An address outside the topology's 127.0.0.1-3. */
export const SPAN_COST_HOST = '127.0.0.4';
const PORT = 8000;
const ADMIN_PORT = 8001;

export type SpanCostMode = 'untraced' | 'zipkin JSON' | 'zipkin protobuf';

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
  const serviceName = nativeToZipkin(config);
  if (mode === 'zipkin protobuf') {
    Object.assign(hcm.tracing.provider.typed_config, { collector_endpoint_version: 'HTTP_PROTO', trace_id_128bit: true });
  }
  return { yaml: stringify(config), serviceName };
}

export interface SpanCost {
  mode: SpanCostMode;
  rps: number;
  requests: number;
  /** Envoy's CPU per request. */
  cpuUs: number;
}

/** Runs one Envoy per mode at a steady rate and measures its CPU per request. */
export async function measureSpanCost(envoy: string, runDir: string, rps: number, durationS: number): Promise<SpanCost[]> {
  const taken = await takenListens([
    { owner: 'span-cost envoy', host: SPAN_COST_HOST, port: PORT, protocol: 'tcp' },
    { owner: 'span-cost envoy admin', host: SPAN_COST_HOST, port: ADMIN_PORT, protocol: 'tcp' },
  ]);
  if (taken.length > 0) throw new Error(`cannot measure a span's cost: ${taken.join('; ')}`);
  mkdirSync(path.join(runDir, 'logs'), { recursive: true });
  const results: SpanCost[] = [];
  const group = new ProcessGroup(path.join(runDir, 'logs'));
  const target = `http://${SPAN_COST_HOST}:${PORT}`;
  try {
    for (const mode of ['untraced', 'zipkin JSON', 'zipkin protobuf'] as const) {
      const { yaml, serviceName } = renderSpanCost(mode);
      const file = path.join(runDir, `span-cost-${mode.replace(/ /g, '-')}.yaml`);
      writeFileSync(file, yaml);
      const running = await group.start({
        name: 'span-cost-envoy',
        command: envoy,
        args: ['-c', file, '--service-cluster', serviceName, '--use-dynamic-base-id', '--log-level', 'warn'],
        ready: () => httpOk(`http://${SPAN_COST_HOST}:${ADMIN_PORT}/ready`),
      });
      await runLoad({ rps, durationS: Math.min(3, durationS), concurrency: 8, target, path: '/' });
      const before = cpuSeconds(running.child.pid!) ?? 0;
      const load = await runLoad({ rps, durationS, concurrency: 8, target, path: '/' });
      const used = (cpuSeconds(running.child.pid!) ?? before) - before;
      results.push({ mode, rps: load.achievedRps, requests: load.requests, cpuUs: (used / load.requests) * 1e6 });
      await group.stop('span-cost-envoy');
    }
  } finally {
    await group.stopAll();
  }
  return results;
}
