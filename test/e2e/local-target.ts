/**
 * The local topology as an end-to-end target: real Envoy and Jaeger as processes on
 * loopback, in the variant E2E_VARIANT names: zipkin (the default) or otel.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ProcessGroup } from '../../topology/processes';
import { startSandbox } from '../../topology/sandbox';
import { ADDRESSES, ContainerName, FRONT_ADMIN_URL, JAEGER_QUERY_URL, JAEGER_SAMPLING_URL, PORTS, PROXY_URL } from '../../topology/topology';
import { DEFAULT_LOCAL_VARIANT, findVariant, RenderedVariant, servicesTracer, variantChoices } from '../../topology/variants';
import { JaegerClient } from '../../tools/jaeger';
import type { Target } from './target';
import { variantPropagation } from './target';
import { sendTo } from './http';

/** Faster than shipped, so the tests need not wait for a sampler refresh or a span batch. */
const TEST_SERVICE_ENV = {
  JAEGER_SAMPLER_REFRESH_INTERVAL: '300',
  JAEGER_REPORTER_FLUSH_INTERVAL: '100',
  OTEL_TRACES_SAMPLER_ARG: `endpoint=${JAEGER_SAMPLING_URL},pollingIntervalMs=300,initialSamplingRate=1`,
  OTEL_BSP_SCHEDULE_DELAY: '100',
};

export function localVariant(env: Record<string, string | undefined> = process.env): RenderedVariant {
  const name = env.E2E_VARIANT || DEFAULT_LOCAL_VARIANT.name;
  const variant = findVariant(name, 'local') as RenderedVariant | undefined;
  if (!variant) throw new Error(`E2E_VARIANT must be ${variantChoices('local')} on the local topology (native needs Compose), got "${name}"`);
  return variant;
}

/**
 * jaegerSampling: Jaeger's sampling mode and settings (jaeger/start-jaeger.sh); head unless given.
 * runDir: a run folder of its own, so nothing a run before stored (traces, sampling probabilities) is there.
 */
export async function localTarget(jaegerSampling: Record<string, string> = {}, runDir?: string): Promise<Target> {
  const variant = localVariant();
  const sandbox = await startSandbox({ serviceEnv: TEST_SERVICE_ENV, variant, jaegerSampling, runDir });
  const group: ProcessGroup = sandbox.group;
  // A "container" is its process and, for the services, its sidecar, in the sandbox's start order.
  const processesOf = (container: ContainerName) => [...sandbox.specs.keys()].filter((n) => n === container || n === `${container}-envoy`);
  return {
    name: `local processes, the ${variant.name} variant${jaegerSampling.JAEGER_SAMPLING ? `, Jaeger sampling ${jaegerSampling.JAEGER_SAMPLING}` : ''}`,
    propagation: variantPropagation(variant),
    servicesTracer: servicesTracer(variant),
    proxy: PROXY_URL,
    frontAdmin: FRONT_ADMIN_URL,
    jaeger: new JaegerClient(JAEGER_QUERY_URL),
    samplingUrl: JAEGER_SAMPLING_URL,
    // Through the proxy, the Envoy's own sampling decides; a service decides for the traces it starts.
    sampling: { service: 'service1', send: (count, headers, spacingMs) => sendTo(`http://${ADDRESSES.service1}:${PORTS.service}/service/1`, count, headers, spacingMs) },
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
