/**
 * The whole topology as processes: jaeger, prometheus, each service with its sidecar, the
 * front Envoy. Configs are rendered from the shipped files (render.ts); the
 * services run as compiled, by command, with their environment from
 * docker-compose.yml and the variant's Compose file, passed through the same
 * address transformation. The variants that run here are those variants.ts
 * marks local.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { checkJaegerStart, jaegerListens, localPrometheusArgs, localPrometheusConfig, removeEmptyMemtables } from './collector';
import { Listen, takenListens } from './ports';
import { httpOk } from '../lib/http';
import { ProcessGroup, ProcessSpec } from './processes';
import { fillSidecarTemplate, renderEnvoy } from './render';
import { Binaries, requireBinaries, ROOT } from '../toolchain/binaries';
import { ADDRESSES, ContainerName, isContainer, localHostPort, PORTS, PROMETHEUS_URL } from './topology';
import { DEFAULT_LOCAL_VARIANT, RenderedVariant, serviceEnvironment, SHIPPED_FRONT, SHIPPED_SIDECAR } from './variants';

export const RUN_DIR = path.join(ROOT, '.local');

export interface SandboxOptions {
  runDir?: string;
  binaries?: Binaries;
  /** Extra environment for both services (e.g. a faster sampler refresh in tests). */
  serviceEnv?: Record<string, string>;
  /** false: the benchmark's baseline, with tracing removed from the Envoys and the services. */
  tracing?: boolean;
  /** A variant that runs here (variants.ts); zipkin unless given. */
  variant?: RenderedVariant;
  /**
   * Jaeger's sampling mode and its settings, as jaeger/start-jaeger.sh reads them:
   * JAEGER_SAMPLING (head unless given), TAIL_SAMPLING_* and ADAPTIVE_SAMPLING_*.
   */
  jaegerSampling?: Record<string, string>;
  /** Called when a process that was running exits without being asked to. */
  onUnexpectedExit?: (report: string) => void;
}

/** What a run starts and the files it writes, worked out without touching anything. */
export interface SandboxPlan {
  specs: ProcessSpec[];
  runDir: string;
  strategiesFile: string;
  files: Map<string, string>;
}

export interface Sandbox {
  group: ProcessGroup;
  runDir: string;
  /** The copy of the strategies file this Jaeger reads; edit it to change sampling. */
  strategiesFile: string;
  specs: Map<string, ProcessSpec>;
  stop(): Promise<void>;
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** A compose environment value as seen from this machine. */
function localValue(value: string, inside: ContainerName): string {
  return isContainer(value) ? ADDRESSES[value] : localHostPort(value, inside);
}

export function validateEnvoy(envoy: string, file: string, serviceName: string): void {
  const run = spawnSync(envoy, ['--mode', 'validate', '-c', file, '--service-cluster', serviceName], { encoding: 'utf8' });
  if (run.error) throw new Error(`cannot run ${envoy} (${run.error.message})`);
  if (run.status !== 0) {
    const reason = `${run.stderr}${run.stdout}`.trim().split('\n').slice(-3).join('\n');
    throw new Error(`envoy --mode validate rejected ${file}:\n${reason}`);
  }
}

/** Where Envoy listens: every listener and the admin interface. */
function envoyListens(name: string, config: string): Listen[] {
  const parsed = parse(config);
  const socket = (owner: string, address: { socket_address: { address: string; port_value: number; protocol?: string } }): Listen => ({
    owner,
    host: address.socket_address.address,
    port: address.socket_address.port_value,
    protocol: address.socket_address.protocol === 'UDP' ? 'udp' : 'tcp',
  });
  return [
    ...parsed.static_resources.listeners.map((l: { name: string; address: never }) => socket(`${name} ${l.name}`, l.address)),
    socket(`${name} admin`, parsed.admin.address),
  ];
}

export function sandboxPlan(options: SandboxOptions = {}): SandboxPlan {
  const bins = options.binaries ?? requireBinaries();
  const tracing = options.tracing ?? true;
  const runDir = options.runDir ?? RUN_DIR;
  const files = new Map<string, string>();
  const variant = options.variant ?? DEFAULT_LOCAL_VARIANT;
  const tracer = variant.envoyTracer;
  const strategiesFile = path.join(runDir, 'sampling-strategies.json');
  files.set(strategiesFile, read(path.join('jaeger', 'sampling-strategies.json')));

  const envoySpec = (name: string, container: ContainerName, shipped: string): ProcessSpec => {
    const rendered = renderEnvoy(shipped, container, { tracing, tracer });
    const file = path.join(runDir, `${name}.yaml`);
    files.set(file, rendered.yaml);
    const admin = `http://${ADDRESSES[container]}:${PORTS.envoyAdmin}`;
    return {
      name,
      command: bins.envoy,
      args: ['-c', file, '--service-cluster', rendered.serviceName, '--use-dynamic-base-id', '--log-level', 'warn'],
      listens: envoyListens(name, rendered.yaml),
      validate: () => validateEnvoy(bins.envoy, file, rendered.serviceName),
      ready: () => httpOk(`${admin}/ready`),
      readyTimeoutMs: 20_000,
    };
  };

  const serviceSpecs = (container: 'service1' | 'service2'): ProcessSpec[] => {
    const env = Object.fromEntries(Object.entries(serviceEnvironment(variant, container)).map(([k, v]) => [k, localValue(v, container)]));
    Object.assign(env, {
      HOST: ADDRESSES[container],
      PORT: String(PORTS.service),
      ...options.serviceEnv,
      ...(tracing ? {} : { JAEGER_DISABLED: 'true', OTEL_SDK_DISABLED: 'true' }),
    });
    const number = env.SERVICE_NAME;
    return [
      {
        name: container,
        command: process.execPath,
        // As start-service.sh runs it: the OpenTelemetry SDK, when TRACER asks for it, starts before the app.
        args: ['--require', path.join(ROOT, 'dist', 'services', 'instrumentation.js'), path.join(ROOT, 'dist', 'services', 'server.js')],
        env,
        listens: [{ owner: container, host: env.HOST, port: Number(env.PORT), protocol: 'tcp' }],
        ready: () => httpOk(`http://${ADDRESSES[container]}:${PORTS.service}/healthz`),
        readyTimeoutMs: 20_000,
      },
      envoySpec(`${container}-envoy`, container, fillSidecarTemplate(read(SHIPPED_SIDECAR), number)),
    ];
  };

  const compose = parse(read('docker-compose.yml'));
  const badger = path.join(runDir, 'badger');
  const startJaeger = path.join(ROOT, 'jaeger', 'start-jaeger.sh');
  const jaegerEnv = {
    ...options.jaegerSampling,
    // As in Compose, start-jaeger.sh lays the sampling mode's files over jaeger/config.yaml.
    JAEGER_BIN: bins.jaeger,
    JAEGER_LISTEN_HOST: ADDRESSES.jaeger,
    SAMPLING_STRATEGIES_FILE: strategiesFile,
    // Traces outlive a restart here as in Compose's volume; delete the folder to forget them.
    BADGER_DIRECTORY: badger,
    PROMETHEUS_URL,
  };
  const jaeger: ProcessSpec = {
    name: 'jaeger',
    command: 'sh',
    args: [startJaeger],
    env: jaegerEnv,
    validate: () => checkJaegerStart(startJaeger, jaegerEnv),
    // Badger keeps its memtables with its keys (jaeger/config.yaml).
    beforeStart: () => void removeEmptyMemtables(path.join(badger, 'keys')),
    listens: jaegerListens(read(path.join('jaeger', 'config.yaml')), ADDRESSES.jaeger),
    ready: () => httpOk(`http://${ADDRESSES.jaeger}:${PORTS.jaegerHealth}/status`),
    // Its first start on a cold machine (the Go runtime, every extension) takes longer.
    readyTimeoutMs: 30_000,
  };

  const prometheusConfig = path.join(runDir, 'prometheus.yml');
  files.set(prometheusConfig, localPrometheusConfig(read(path.join('prometheus', 'prometheus.yml'))));
  const prometheus: ProcessSpec = {
    name: 'prometheus',
    command: bins.prometheus,
    args: localPrometheusArgs(compose.services.prometheus.command, prometheusConfig, path.join(runDir, 'prometheus')),
    listens: [{ owner: 'prometheus', host: ADDRESSES.prometheus, port: PORTS.prometheus, protocol: 'tcp' }],
    ready: () => httpOk(`${PROMETHEUS_URL}/-/ready`),
    readyTimeoutMs: 30_000,
  };

  const specs = [
    jaeger,
    prometheus,
    ...serviceSpecs('service2'),
    ...serviceSpecs('service1'),
    envoySpec('front-envoy', 'front-envoy', read(SHIPPED_FRONT)),
  ];
  return { specs, runDir, strategiesFile, files };
}

/** Writes the plan's rendered configs and strategies copy into its run folder. */
export function writePlan(plan: SandboxPlan): void {
  mkdirSync(path.join(plan.runDir, 'logs'), { recursive: true });
  for (const [file, content] of plan.files) writeFileSync(file, content);
}

/** The plan, written out: what validation and the tests read. */
export function sandboxSpecs(options: SandboxOptions = {}): SandboxPlan {
  const plan = sandboxPlan(options);
  writePlan(plan);
  return plan;
}

/**
 * Starts everything in dependency order; on any failure stops what started and
 * rethrows. Nothing is written while an address the topology needs is taken,
 * so a second run leaves the first one's files alone.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const plan = sandboxPlan(options);
  const taken = await takenListens(plan.specs.flatMap((spec) => spec.listens ?? []));
  if (taken.length > 0) throw new Error(`the sandbox cannot start:\n  ${taken.join('\n  ')}`);
  writePlan(plan);
  // Every rendered Envoy config passes Envoy's own validation before anything starts.
  for (const spec of plan.specs) spec.validate?.();
  const group = new ProcessGroup(path.join(plan.runDir, 'logs'), options.onUnexpectedExit);
  try {
    for (const spec of plan.specs) await group.start(spec);
  } catch (err) {
    await group.stopAll();
    throw err;
  }
  return {
    group,
    runDir: plan.runDir,
    strategiesFile: plan.strategiesFile,
    specs: new Map(plan.specs.map((s) => [s.name, s])),
    stop: () => group.stopAll(),
  };
}
