/**
 * The sandbox as users start it: `docker compose up --build --wait`, under a
 * real Docker engine (`npm run docker:start`).
 *
 *   E2E_VARIANT          native (docker-compose.yml, the default), zipkin (with
 *                        docker-compose.zipkin.yml) or otel (docker-compose.otel.yml)
 *   E2E_STANDINS=true    builds on the stand-in images (CI, where no registry
 *                        is reachable; `npm run toolchain -- docker` makes them)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { COMPOSE, ROOT } from '../../toolchain/binaries';
import { composeFiles, composeVariant } from './compose-files';
import { servicesTracer } from '../../topology/variants';
import { JaegerClient } from '../../tools/jaeger';
import { sendTo } from './http';
import { insideService1 } from './inside-service1';
import type { ContainerName } from '../../topology/topology';
import type { SamplingSubject, Target } from './target';
import { variantPropagation } from './target';

export interface Published {
  service: string;
  /** "0.0.0.0:8000->8000/tcp", as Docker publishes it. */
  port: string;
}

export interface ComposeState {
  service: string;
  state: string;
  health: string;
}

/** Docker Compose as `npm run toolchain -- compose` builds it, else the docker CLI's plugin. */
function composeCommand(files: string[], args: string[]): [string, string[]] {
  const all = [...files.flatMap((f) => ['-f', f]), ...args];
  return existsSync(COMPOSE) ? [COMPOSE, all] : ['docker', ['compose', ...all]];
}

/** One Compose command on the run's files, with extra environment, as a user types it: its status and output. */
export function composeRun(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; output: string } {
  const [command, all] = composeCommand(composeFiles(), args);
  const run = spawnSync(command, all, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
  return { status: run.status, stdout: run.stdout, output: `${run.stderr}${run.stdout}` };
}

/** Every line of every published port, one per address family Docker bound. */
function parseJsonLines(out: string): Array<Record<string, unknown>> {
  const text = out.trim();
  if (!text) return [];
  return text.startsWith('[') ? JSON.parse(text) : text.split('\n').map((line) => JSON.parse(line));
}

export interface ComposeTarget extends Target {
  published(): Published[];
  states(): ComposeState[];
  /** `docker compose down` (the volumes kept), then `up --wait`. */
  downAndUp(): void;
}

/** jaegerSampling: Jaeger's sampling mode and settings, set as a user sets them, in Compose's environment. */
export async function composeTarget(jaegerSampling: Record<string, string> = {}): Promise<ComposeTarget> {
  const files = composeFiles();
  const variant = composeVariant();
  const propagation = variantPropagation(variant);
  const compose = (...args: string[]): string => {
    const run = composeRun(args, jaegerSampling);
    if (run.status !== 0) throw new Error(`docker compose ${args.join(' ')} failed:\n${run.output.trim().split('\n').slice(-20).join('\n')}`);
    return run.stdout;
  };
  const strategies = path.join(ROOT, 'jaeger', 'sampling-strategies.json');
  const original = readFileSync(strategies, 'utf8');
  compose('up', '--build', '--wait');
  const port = (name: string, fallback: number) => Number(process.env[name] || fallback);
  const proxy = `http://127.0.0.1:${port('PROXY_PORT', 8000)}`;

  // Native: the front Envoy's plugin samples as Jaeger says, so through the proxy its strategy
  // decides. Zipkin and OpenTelemetry: Envoy samples by its own settings; service1 decides for
  // traces it starts, which a request from inside its container, past the sidecar, makes.
  const sampling: SamplingSubject = variant.name !== 'native'
    ? insideService1((args) => compose('exec', '-T', 'service1', 'node', ...args))
    : { service: 'front-proxy', send: (count, headers, spacingMs) => sendTo(`${proxy}/service/1`, count, headers, spacingMs) };

  const running = (container: ContainerName) => compose('ps', '--status', 'running', '--services').split('\n').includes(container);
  const mode = jaegerSampling.JAEGER_SAMPLING;
  return {
    name: `docker compose (${files.join(', ')})${mode ? `, JAEGER_SAMPLING=${mode}` : ''}`,
    propagation,
    servicesTracer: servicesTracer(variant),
    proxy,
    frontAdmin: `http://127.0.0.1:${port('ADMIN_PORT', 8001)}`,
    jaeger: new JaegerClient(`http://127.0.0.1:${port('JAEGER_UI_PORT', 16686)}`),
    samplingUrl: `http://127.0.0.1:${port('SAMPLING_PORT', 5778)}`,
    sampling,
    sidecarAdmin: () => undefined,
    readStrategies: () => readFileSync(strategies, 'utf8'),
    writeStrategies: (json) => writeFileSync(strategies, json),
    // The Compose way: a killed container, and `up --wait` to bring it back healthy.
    stop: async (container) => void compose(container === 'jaeger' ? 'stop' : 'kill', container),
    start: async (container) => void compose('up', '--wait', container),
    // `docker compose stop`: SIGTERM to start-service.sh, which drains the service before its sidecar.
    terminateService: async (container) => void compose('stop', container),
    running,
    logs: () => compose('logs', '--no-color', '--tail', '15'),
    published: () =>
      parseJsonLines(compose('ps', '--format', 'json')).flatMap((c) =>
        ((c.Publishers as Array<{ URL: string; TargetPort: number; PublishedPort: number; Protocol: string }>) ?? [])
          .filter((p) => p.PublishedPort > 0)
          .map((p) => ({ service: String(c.Service), port: `${p.URL}:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}` })),
      ),
    states: () =>
      parseJsonLines(compose('ps', '--all', '--format', 'json')).map((c) => ({ service: String(c.Service), state: String(c.State), health: String(c.Health) })),
    downAndUp: () => {
      compose('down');
      compose('up', '--wait');
    },
    async close() {
      writeFileSync(strategies, original);
      compose('down', '--volumes', '--remove-orphans');
    },
  };
}
