/**
 * What every workload of k8s/ must hold, read off the manifests `kubectl kustomize` renders:
 * probes, resources, a non-root user, a read-only root filesystem and no capabilities, a
 * termination message from the logs, the services' sidecar as a native sidecar, and the
 * services' environment as their Compose file sets it. One line per finding.
 */
export type Manifest = Record<string, any>;

interface Container {
  name: string;
  [key: string]: any;
}

function containerFindings(where: string, c: Container, podSecurity: Manifest): string[] {
  const found: string[] = [];
  const at = `${where} container ${c.name}`;
  if (!c.readinessProbe) found.push(`${at} has no readinessProbe`);
  if (!c.livenessProbe) found.push(`${at} has no livenessProbe`);
  for (const kind of ['cpu', 'memory']) {
    if (!c.resources?.requests?.[kind]) found.push(`${at} requests no ${kind}`);
  }
  if (!c.resources?.limits?.memory) found.push(`${at} has no memory limit`);
  const sc = c.securityContext ?? {};
  if (sc.allowPrivilegeEscalation !== false) found.push(`${at} may escalate privileges`);
  if (sc.readOnlyRootFilesystem !== true) found.push(`${at} may write its root filesystem`);
  if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]' || (sc.capabilities?.add ?? []).length > 0) found.push(`${at} keeps capabilities (drop must be [ALL], add nothing)`);
  if ((sc.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true) found.push(`${at} may run as root`);
  const user = sc.runAsUser ?? podSecurity.runAsUser;
  if (typeof user !== 'number' || user === 0) found.push(`${at} names no non-root user`);
  if (c.terminationMessagePolicy !== 'FallbackToLogsOnError') found.push(`${at} does not show its last log lines when it fails`);
  return found;
}

/** The findings for one rendered overlay; none is the only good answer. */
export function workloadFindings(manifests: Manifest[]): string[] {
  const found: string[] = [];
  for (const m of manifests.filter((x) => x.kind === 'Deployment')) {
    const where = `Deployment ${m.metadata.name}`;
    const pod = m.spec.template.spec;
    const podSecurity = pod.securityContext ?? {};
    if (podSecurity.seccompProfile?.type !== 'RuntimeDefault') found.push(`${where} has no RuntimeDefault seccomp profile`);
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) found.push(...containerFindings(where, c, podSecurity));
  }
  return found;
}

/** service1 and service2: the app, and its Envoy as a native sidecar; their env, as Compose gives it. */
export function serviceFindings(manifests: Manifest[], composeEnv: (service: 'service1' | 'service2') => Record<string, string>): string[] {
  const found: string[] = [];
  for (const service of ['service1', 'service2'] as const) {
    const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === service);
    if (!deployment) {
      found.push(`no Deployment ${service}`);
      continue;
    }
    const pod = deployment.spec.template.spec;
    const sidecars = (pod.initContainers ?? []).map((c: Container) => `${c.name}:${c.restartPolicy}`);
    if (JSON.stringify(sidecars) !== '["envoy:Always"]') found.push(`${service}'s init containers are [${sidecars.join(', ')}], not its Envoy as a native sidecar (envoy:Always)`);
    const app = pod.containers.find((c: Container) => c.name === 'app');
    const env = Object.fromEntries((app?.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]));
    const want = composeEnv(service);
    for (const name of new Set([...Object.keys(want), ...Object.keys(env)])) {
      if (env[name] !== want[name]) found.push(`${service}'s ${name} is ${env[name] ?? 'unset'} on Kubernetes and ${want[name] ?? 'unset'} in Compose`);
    }
  }
  return found;
}
