/**
 * What the end-to-end tests run against: the local topology (real Envoy and
 * Jaeger as processes, the default) or `docker compose up --build --wait`
 * (E2E_TARGET=compose, see compose-target.ts). Both expose the same handles,
 * so the assertions are the same.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ProcessGroup } from '../../local/processes';
import { startSandbox } from '../../local/sandbox';
import { ADDRESSES, JAEGER_QUERY_URL, JAEGER_SAMPLING_URL, PORTS, PROXY_URL } from '../../local/topology';
import { JaegerClient } from '../../tools/jaeger';
import { composeTarget } from './compose-target';
import { Answer, sendTo } from './http';

export type Container = 'front-envoy' | 'service1' | 'service2' | 'jaeger';

export interface SamplingSubject {
  /** The service whose strategy decides. */
  service: string;
  /** Sends requests that this service answers as the root of their traces. */
  send(count: number, headers?: Record<string, string>): Promise<Answer[]>;
}


export interface Target {
  name: string;
  /** The context format the sandbox's Envoys read and write: Jaeger's plugin, or Zipkin's B3. */
  propagation: 'jaeger' | 'b3';
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
    propagation: 'b3',
    proxy: PROXY_URL,
    jaeger: new JaegerClient(JAEGER_QUERY_URL),
    samplingUrl: JAEGER_SAMPLING_URL,
    // Through the proxy, Envoy's Zipkin tracer decides; a service decides for the traces it starts.
    sampling: { service: 'service1', send: (count, headers) => sendTo(`http://${ADDRESSES.service1}:${PORTS.service}/service/1`, count, headers) },
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

export function target(): Promise<Target> {
  return process.env.E2E_TARGET === 'compose' ? composeTarget() : localTarget();
}
