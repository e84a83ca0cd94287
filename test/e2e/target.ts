/**
 * What the end-to-end tests run against: the local topology (real Envoy and
 * Jaeger as processes, the default) or `docker compose up --build --wait`
 * (E2E_TARGET=compose, where a Docker engine is available). Both expose the
 * same handles, so the assertions are the same.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ProcessGroup } from '../../local/processes';
import { startSandbox } from '../../local/sandbox';
import { ROOT } from '../../local/binaries';
import { ADDRESSES, JAEGER_QUERY_URL, JAEGER_SAMPLING_URL, PORTS, PROXY_URL } from '../../local/topology';
import { JaegerClient } from '../../tools/jaeger';

export type Container = 'front-envoy' | 'service1' | 'service2' | 'jaeger';

export interface SamplingSubject {
  /** The service whose strategy decides, and a URL where it starts traces itself. */
  service: string;
  url: string;
}

export interface Target {
  name: string;
  proxy: string;
  jaeger: JaegerClient;
  samplingUrl: string;
  sampling: SamplingSubject;
  /** The admin URL of a service's sidecar, where reachable. */
  sidecarAdmin(container: 'service1' | 'service2'): string | undefined;
  readStrategies(): string;
  writeStrategies(json: string): void;
  stop(container: Container): Promise<void>;
  start(container: Container): Promise<void>;
  /** SIGTERM to the service process only: it must drain while its sidecar keeps running. */
  terminateService(container: 'service1' | 'service2'): Promise<void>;
  /** True while all of the container's processes run. */
  running(container: Container): boolean;
  logs(): string;
  close(): Promise<void>;
}

/** Faster than shipped, so the tests need not wait a minute for a sampler refresh. */
const TEST_SERVICE_ENV = { JAEGER_SAMPLER_REFRESH_INTERVAL: '300', JAEGER_REPORTER_FLUSH_INTERVAL: '100' };


export async function localTarget(): Promise<Target> {
  const sandbox = await startSandbox({ serviceEnv: TEST_SERVICE_ENV });
  const group: ProcessGroup = sandbox.group;
  // A "container" is its process and, for the services, its sidecar, in the sandbox's start order.
  const processesOf = (container: Container) => [...sandbox.specs.keys()].filter((n) => n === container || n === `${container}-envoy`);
  return {
    name: 'local processes',
    proxy: PROXY_URL,
    jaeger: new JaegerClient(JAEGER_QUERY_URL),
    samplingUrl: JAEGER_SAMPLING_URL,
    // Through the proxy, Envoy's Zipkin tracer decides; a service decides for the traces it starts.
    sampling: { service: 'service1', url: `http://${ADDRESSES.service1}:${PORTS.service}/service/1` },
    sidecarAdmin: (c) => `http://${ADDRESSES[c]}:${PORTS.envoyAdmin}`,
    readStrategies: () => readFileSync(sandbox.strategiesFile, 'utf8'),
    writeStrategies: (json) => writeFileSync(sandbox.strategiesFile, json),
    async stop(container) {
      for (const name of processesOf(container).reverse()) await group.stop(name);
    },
    async start(container) {
      for (const name of processesOf(container)) {
        if (!group.get(name)) await group.start(sandbox.specs.get(name)!);
      }
    },
    async terminateService(container) {
      if (!group.get(container)) throw new Error(`${container} is not running`);
      await group.stop(container, { signal: 'SIGTERM' });
    },
    running: (container) => processesOf(container).every((name) => {
      const p = group.get(name);
      return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
    }),
    logs: () => group.tails(),
    close: () => sandbox.stop(),
  };
}

function compose(...args: string[]): string {
  const result = spawnSync('docker', ['compose', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker compose ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

export async function composeTarget(): Promise<Target> {
  compose('up', '--build', '--wait');
  const strategies = path.join(ROOT, 'jaeger', 'sampling-strategies.json');
  const original = readFileSync(strategies, 'utf8');
  const port = (name: string, fallback: number) => Number(process.env[name] || fallback);
  return {
    name: 'docker compose',
    proxy: `http://127.0.0.1:${port('PROXY_PORT', 8000)}`,
    jaeger: new JaegerClient(`http://127.0.0.1:${port('JAEGER_UI_PORT', 16686)}`),
    samplingUrl: `http://127.0.0.1:${port('SAMPLING_PORT', 5778)}`,
    // The front Envoy's native plugin samples remotely: through the proxy, its strategy decides.
    sampling: { service: 'front-proxy', url: `http://127.0.0.1:${port('PROXY_PORT', 8000)}/service/1` },
    sidecarAdmin: () => undefined,
    readStrategies: () => readFileSync(strategies, 'utf8'),
    writeStrategies: (json) => writeFileSync(strategies, json),
    stop: async (container) => void compose('stop', container),
    start: async (container) => void compose('up', '--wait', container),
    terminateService: async (container) => void compose('kill', '--signal', 'SIGTERM', container),
    running: (container) => compose('ps', '--status', 'running', '--services').split('\n').includes(container),
    logs: () => compose('logs', '--tail', '15'),
    async close() {
      writeFileSync(strategies, original);
      compose('down');
    },
  };
}

export function target(): Promise<Target> {
  return process.env.E2E_TARGET === 'compose' ? composeTarget() : localTarget();
}
