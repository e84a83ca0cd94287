/**
 * The whole topology as processes: jaeger, each service with its sidecar, the
 * front Envoy. Configs are rendered from the shipped files (render.ts); the
 * services run as compiled, by command, with their environment from
 * docker-compose.yml passed through the same address transformation.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { httpOk, ProcessGroup, ProcessSpec } from './processes';
import { fillSidecarTemplate, renderEnvoy } from './render';
import { Binaries, requireBinaries, ROOT } from './binaries';
import { ADDRESSES, ContainerName, isContainer, localHostPort, PORTS } from './topology';

export const RUN_DIR = path.join(ROOT, '.local');

export interface SandboxOptions {
  runDir?: string;
  binaries?: Binaries;
  /** Extra environment for both services (e.g. a faster sampler refresh in tests). */
  serviceEnv?: Record<string, string>;
  /** false: the benchmark's baseline, with tracing removed from the Envoys and the services. */
  tracing?: boolean;
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

function validateEnvoy(envoy: string, file: string, serviceName: string): void {
  const run = spawnSync(envoy, ['--mode', 'validate', '-c', file, '--service-cluster', serviceName], { encoding: 'utf8' });
  if (run.error) throw new Error(`cannot run ${envoy} (${run.error.message})`);
  if (run.status !== 0) {
    const reason = `${run.stderr}${run.stdout}`.trim().split('\n').slice(-3).join('\n');
    throw new Error(`envoy --mode validate rejected ${file}:\n${reason}`);
  }
}

export function sandboxSpecs(options: SandboxOptions = {}): { specs: ProcessSpec[]; runDir: string; strategiesFile: string } {
  const bins = options.binaries ?? requireBinaries();
  const tracing = options.tracing ?? true;
  const runDir = options.runDir ?? RUN_DIR;
  mkdirSync(path.join(runDir, 'logs'), { recursive: true });
  const compose = parse(read('docker-compose.yml'), { merge: true });
  const strategiesFile = path.join(runDir, 'sampling-strategies.json');
  copyFileSync(path.join(ROOT, 'jaeger', 'sampling-strategies.json'), strategiesFile);

  const envoySpec = (name: string, container: ContainerName, shipped: string): ProcessSpec => {
    const rendered = renderEnvoy(shipped, container, { tracing });
    const file = path.join(runDir, `${name}.yaml`);
    writeFileSync(file, rendered.yaml);
    const admin = `http://${ADDRESSES[container]}:${PORTS.envoyAdmin}`;
    return {
      name,
      command: bins.envoy,
      args: ['-c', file, '--service-cluster', rendered.serviceName, '--use-dynamic-base-id', '--log-level', 'warn'],
      validate: () => validateEnvoy(bins.envoy, file, rendered.serviceName),
      ready: () => httpOk(`${admin}/ready`),
    };
  };

  const serviceSpecs = (container: 'service1' | 'service2'): ProcessSpec[] => {
    const shippedEnv: Record<string, string> = compose.services[container].environment;
    const env = Object.fromEntries(Object.entries(shippedEnv).map(([k, v]) => [k, localValue(String(v), container)]));
    Object.assign(env, {
      HOST: ADDRESSES[container],
      PORT: String(PORTS.service),
      // Transformation 2's other half: Zipkin Envoys read and write B3.
      TRACE_PROPAGATION: 'b3',
      ...options.serviceEnv,
      ...(tracing ? {} : { JAEGER_DISABLED: 'true' }),
    });
    const number = env.SERVICE_NAME;
    return [
      {
        name: container,
        command: process.execPath,
        args: [path.join(ROOT, 'dist', 'services', 'server.js')],
        env,
        ready: () => httpOk(`http://${ADDRESSES[container]}:${PORTS.service}/healthz`),
      },
      envoySpec(`${container}-envoy`, container, fillSidecarTemplate(read('service-envoy-jaeger.yaml'), number)),
    ];
  };

  const jaeger: ProcessSpec = {
    name: 'jaeger',
    command: bins.jaeger,
    args: ['--config', path.join(ROOT, 'jaeger', 'config.yaml')],
    env: { JAEGER_LISTEN_HOST: ADDRESSES.jaeger, SAMPLING_STRATEGIES_FILE: strategiesFile },
    ready: () => httpOk(`http://${ADDRESSES.jaeger}:${PORTS.jaegerHealth}/status`),
    readyTimeoutMs: 30_000,
  };

  const specs = [
    jaeger,
    ...serviceSpecs('service2'),
    ...serviceSpecs('service1'),
    envoySpec('front-envoy', 'front-envoy', read('front-envoy-jaeger.yaml')),
  ];
  return { specs, runDir, strategiesFile };
}

/** Starts everything in dependency order; on any failure stops what started and rethrows. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { specs, runDir, strategiesFile } = sandboxSpecs(options);
  // Every rendered Envoy config passes Envoy's own validation before anything starts.
  for (const spec of specs) spec.validate?.();
  const group = new ProcessGroup(path.join(runDir, 'logs'));
  try {
    for (const spec of specs) await group.start(spec);
  } catch (err) {
    await group.stopAll();
    throw err;
  }
  return {
    group,
    runDir,
    strategiesFile,
    specs: new Map(specs.map((s) => [s.name, s])),
    stop: () => group.stopAll(),
  };
}
