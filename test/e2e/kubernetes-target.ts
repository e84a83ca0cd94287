/**
 * The sandbox as a Kubernetes user runs it: the variant's images built under the Docker
 * engine and loaded into the cluster, then `kubectl apply -k k8s/<variant>` (with
 * E2E_STANDINS=true, its stand-in overlay in toolchain/kubernetes/standins), on the real
 * one-node cluster `npm run cluster:start` runs (toolchain/kubernetes/cluster.ts).
 *
 *   E2E_VARIANT          zipkin (the default) or otel; native needs the plugin from GitHub
 *
 * The suites reach the front proxy, its admin page and Jaeger at their Services' cluster
 * addresses, which this machine routes to the cluster's node; docs/kubernetes.md's
 * `kubectl port-forward` is tested on its own (kubernetes.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { httpOk } from '../../lib/http';
import { pollUntil } from '../../lib/poll';
import { ROOT } from '../../toolchain/binaries';
import { localVolume, NODE_IP } from '../../toolchain/kubernetes/config';
import { clusterRunning, kubectl, paths } from '../../toolchain/kubernetes/cluster';
import { loadImages } from '../../toolchain/kubernetes/images';
import { docker } from '../../toolchain/docker/engine';
import { findVariant, servicesTracer, Variant, variantChoices } from '../../topology/variants';
import { JaegerClient } from '../../tools/jaeger';
import type { ContainerName } from '../../topology/topology';
import { insideService1 } from './inside-service1';
import type { Target } from './target';
import { variantPropagation } from './target';

export const NAMESPACE = 'envoy-jaeger';
const DEPLOYMENTS: ContainerName[] = ['front-envoy', 'service1', 'service2', 'jaeger', 'prometheus'];
/** The stand-ins the overlays in toolchain/kubernetes/standins name (toolchain/docker/standins.ts). */
const STANDIN_IMAGES = ['sandbox-standin/jaeger:2.13.0', 'sandbox-standin/prometheus:v3.16.0'];
const STANDIN_ARGS = ['--build-arg', 'NODE_IMAGE=sandbox-standin/node:26.12.1-trixie-slim', '--build-arg', 'CURRENT_ENVOY_IMAGE=sandbox-standin/envoy:v1.40.0'];
const ROLLOUT_TIMEOUT = '180s';

export function kubernetesVariant(env: Record<string, string | undefined> = process.env): Variant {
  const name = env.E2E_VARIANT || 'zipkin';
  const variant = findVariant(name, 'local');
  if (!variant) throw new Error(`E2E_VARIANT must be ${variantChoices('local')} on the CI cluster (native needs the plugin from GitHub), got "${name}"`);
  return variant;
}

/** The folder `kubectl apply -k` is given: the variant's overlay, or its stand-in overlay. */
export function kustomizeDir(variant: Variant, env: Record<string, string | undefined> = process.env): string {
  return env.E2E_STANDINS === 'true' ? path.join('toolchain', 'kubernetes', 'standins', variant.name) : path.join('k8s', variant.name);
}

/** The images the overlay runs, built as docs/kubernetes.md builds them. */
export function variantImages(variant: Variant): Array<{ image: string; dockerfile: string }> {
  return [
    { image: `envoy-jaeger/front-envoy:${variant.name}`, dockerfile: 'Dockerfile-frontenvoy' },
    { image: `envoy-jaeger/service:${variant.name}`, dockerfile: 'Dockerfile-service' },
  ];
}

/** kubectl in the sandbox's namespace. */
export const ns = (...args: string[]) => kubectl(['-n', NAMESPACE, ...args]);

function rollout(deployment: string): void {
  ns('rollout', 'status', `deployment/${deployment}`, `--timeout=${ROLLOUT_TIMEOUT}`);
}

/** A Deployment's pods as `kubectl get pods -o json` gives them. */
export const podsOf = (deployment: string) => JSON.parse(ns('get', 'pods', '-l', `app=${deployment}`, '-o', 'json')).items as Array<Record<string, any>>;

/** The pods of a Deployment, with what the kubelet says of their containers. */
interface PodState {
  name: string;
  deleting: boolean;
  containers: Array<{ name: string; running: boolean; ready: boolean }>;
}

function pods(deployment: string): PodState[] {
  return podsOf(deployment).map((pod) => ({
    name: pod.metadata.name,
    deleting: Boolean(pod.metadata.deletionTimestamp),
    containers: [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].map((c: Record<string, any>) => ({
      name: c.name,
      running: Boolean(c.state?.running),
      ready: Boolean(c.ready),
    })),
  }));
}

/** The addresses of a Deployment's ready pods, as its headless Service's name resolves to them. */
export function readyAddresses(deployment: string): string[] {
  return podsOf(deployment)
    .filter((pod) => !pod.metadata.deletionTimestamp && (pod.status.conditions ?? []).some((c: Record<string, string>) => c.type === 'Ready' && c.status === 'True'))
    .map((pod) => pod.status.podIP as string)
    .sort();
}

/** The hosts an Envoy's cluster holds, from its admin page's /clusters. */
export function clusterHosts(clusters: string, cluster: string): string[] {
  const hosts = new Set<string>();
  for (const line of clusters.split('\n')) {
    const m = new RegExp(`^${cluster}::(\\d+\\.\\d+\\.\\d+\\.\\d+):\\d+::health_flags::`).exec(line);
    if (m) hosts.add(m[1]);
  }
  return [...hosts].sort();
}

/**
 * What calls a service, through its Envoy: service1's is the front proxy (its admin page is on
 * the front-envoy Service), service2's is service1's sidecar (its admin page is on the pod's
 * loopback, read from inside the pod).
 */
async function callerClusters(deployment: 'service1' | 'service2', frontAdmin: string): Promise<string> {
  if (deployment === 'service1') return (await fetch(`${frontAdmin}/clusters`)).text();
  return ns('exec', 'deployment/service1', '-c', 'app', '--', 'node', '-e', "fetch('http://127.0.0.1:8001/clusters').then((r) => r.text()).then((t) => process.stdout.write(t))");
}

/**
 * Until the caller's Envoy holds exactly the service's ready pods: it finds them by DNS every
 * 5 s, so a pod just started (or gone) is not yet (or still) called for that long.
 */
async function callersSee(deployment: ContainerName, frontAdmin: string): Promise<void> {
  if (deployment === 'jaeger') {
    // Behind its cluster address: ready once kube-proxy sends this machine's requests to the new pod.
    const query = `http://${ns('get', 'service', 'jaeger', '-o', 'jsonpath={.spec.clusterIP}')}:16686/api/v3/services`;
    return pollUntil(() => httpOk(query, 2_000), 'Jaeger to answer at its cluster address', { timeoutMs: 30_000, intervalMs: 500 });
  }
  if (deployment !== 'service1' && deployment !== 'service2') return;
  await pollUntil(async () => {
    const ready = readyAddresses(deployment);
    const held = clusterHosts(await callerClusters(deployment, frontAdmin), deployment);
    if (JSON.stringify(held) !== JSON.stringify(ready)) throw new Error(`the caller's Envoy holds [${held.join(', ')}], the ready pods are [${ready.join(', ')}]`);
  }, `the Envoy that calls ${deployment} to hold its ready pods`, { timeoutMs: 30_000, intervalMs: 500 });
}

async function scale(deployment: ContainerName, replicas: number, frontAdmin: string): Promise<void> {
  ns('scale', `deployment/${deployment}`, `--replicas=${replicas}`);
  if (replicas > 0) {
    rollout(deployment);
    return callersSee(deployment, frontAdmin);
  }
  await pollUntil(() => {
    const left = pods(deployment);
    if (left.length > 0) throw new Error(`${left.map((p) => p.name).join(', ')} still there`);
  }, `the pods of ${deployment} to be gone`, { timeoutMs: 60_000, intervalMs: 250 });
}

/** The end of every container's log in a Deployment's pod, or why there is none. */
function deploymentLogs(deployment: string): string {
  try {
    return ns('logs', `deployment/${deployment}`, '--all-containers', '--prefix', '--tail', '15');
  } catch (err) {
    return `${deployment}: ${(err as Error).message}`;
  }
}

/** The claim's volume on the node: made before the apply, removed with the namespace. */
const VOLUME = 'sandbox-jaeger-data';
const volumeDir = () => path.join(paths().volumes, VOLUME);

async function removeSandbox(): Promise<void> {
  kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  kubectl(['delete', 'persistentvolume', VOLUME, '--ignore-not-found', '--wait=true', '--timeout=60s']);
  rmSync(volumeDir(), { recursive: true, force: true });
}

/** jaegerSampling: Jaeger's sampling mode and settings, set as docs/kubernetes.md sets them (`kubectl set env`). */
export interface KubernetesTarget extends Target {
  /** `kubectl scale`, resolved once the pods are ready and their callers' Envoys hold them. */
  scale(deployment: 'service1' | 'service2', replicas: number): Promise<void>;
}

export async function kubernetesTarget(jaegerSampling: Record<string, string> = {}): Promise<KubernetesTarget> {
  if (!clusterRunning()) throw new Error('no cluster of ours runs: npm run cluster:start (with a Docker engine: npm run docker:start)');
  const variant = kubernetesVariant();
  const standins = process.env.E2E_STANDINS === 'true';
  for (const { image, dockerfile } of variantImages(variant)) {
    docker(['build', '--quiet', '--target', variant.name, '-f', dockerfile, ...(standins ? STANDIN_ARGS : []), '-t', image, '.'], { cwd: ROOT });
  }
  loadImages([...variantImages(variant).map((i) => i.image), ...(standins ? STANDIN_IMAGES : [])]);

  await removeSandbox();
  mkdirSync(volumeDir(), { recursive: true });
  kubectl(['apply', '-f', '-'], localVolume(VOLUME, volumeDir(), { namespace: NAMESPACE, name: 'jaeger-data' }));
  kubectl(['apply', '-k', path.join(ROOT, kustomizeDir(variant))]);
  const settings = Object.entries(jaegerSampling).map(([k, v]) => `${k}=${v}`);
  if (settings.length > 0) ns('set', 'env', 'deployment/jaeger', ...settings);
  const clusterIp = (service: string) => ns('get', 'service', service, '-o', 'jsonpath={.spec.clusterIP}');
  const front = clusterIp('front-envoy');
  const jaeger = clusterIp('jaeger');
  const proxy = `http://${front}:8000`;
  const frontAdmin = `http://${front}:8001`;
  for (const deployment of DEPLOYMENTS) rollout(deployment);
  for (const deployment of DEPLOYMENTS) await callersSee(deployment, frontAdmin);

  const sampling = insideService1((args) => ns('exec', 'deployment/service1', '-c', 'app', '--', 'node', ...args));

  const mode = jaegerSampling.JAEGER_SAMPLING;
  return {
    name: `kubectl apply -k ${kustomizeDir(variant)} on the CI cluster (node ${NODE_IP})${mode ? `, JAEGER_SAMPLING=${mode}` : ''}`,
    propagation: variantPropagation(variant),
    servicesTracer: servicesTracer(variant),
    proxy,
    frontAdmin,
    jaeger: new JaegerClient(`http://${jaeger}:16686`),
    samplingUrl: `http://${jaeger}:5778`,
    sampling,
    sidecarAdmin: () => undefined,
    readStrategies: () => JSON.parse(ns('get', 'configmap', 'sampling-strategies', '-o', 'json')).data['sampling-strategies.json'],
    async writeStrategies(json) {
      const patch = JSON.stringify({ data: { 'sampling-strategies.json': json } });
      ns('patch', 'configmap', 'sampling-strategies', '--type', 'merge', '-p', patch);
      // The kubelet updates the mounted file at its next sync of the pod (within syncFrequency, 10 s
      // on this cluster, about a minute by default); Jaeger's part, re-reading it, is the test's.
      await pollUntil(() => {
        const mounted = ns('exec', 'deployment/jaeger', '--', 'cat', '/etc/sandbox-jaeger-strategies/sampling-strategies.json');
        if (mounted !== json) throw new Error('the mounted file is not the new one yet');
      }, 'the kubelet to update the strategies in the Jaeger pod', { timeoutMs: 90_000, intervalMs: 500 });
    },
    // The Kubernetes way: no replicas, then one again, ready.
    stop: (container) => scale(container, 0, frontAdmin),
    start: (container) => scale(container, 1, frontAdmin),
    scale: (container, replicas) => scale(container, replicas, frontAdmin),
    // A deleted pod: the kubelet sends the app SIGTERM and keeps its sidecar until the app has exited.
    terminateService: async (container) => void ns('delete', 'pod', pods(container)[0].name, '--wait=false'),
    running: (container) => {
      const list = pods(container).filter((p) => !p.deleting);
      return list.length > 0 && list.every((p) => p.containers.length > 0 && p.containers.every((c) => c.running));
    },
    logs: () => DEPLOYMENTS.map(deploymentLogs).join('\n'),
    close: removeSandbox,
  };
}
