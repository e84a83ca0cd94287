import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Manifest, serviceFindings, workloadFindings } from '../../checks/k8s-rules';

const container = (name: string, more: Manifest = {}): Manifest => ({
  name,
  image: 'example/image:1',
  terminationMessagePolicy: 'FallbackToLogsOnError',
  readinessProbe: { httpGet: { path: '/ready', port: 8001 } },
  livenessProbe: { tcpSocket: { port: 8000 } },
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  ...more,
});

const service = (name: string, env: Record<string, string>): Manifest => ({
  kind: 'Deployment',
  metadata: { name },
  spec: {
    template: {
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        initContainers: [container('envoy', { restartPolicy: 'Always' })],
        containers: [container('app', { env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })) })],
      },
    },
  },
});

const COMPOSE_ENV = { service1: { SERVICE_NAME: '1', TRACE_PROPAGATION: 'b3' }, service2: { SERVICE_NAME: '2', TRACE_PROPAGATION: 'b3' } };
const good = () => [service('service1', COMPOSE_ENV.service1), service('service2', COMPOSE_ENV.service2), { kind: 'Service', metadata: { name: 'service1' } }];
const composeEnv = (s: 'service1' | 'service2') => COMPOSE_ENV[s];

test('finds nothing wrong with pods that hold every rule', () => {
  assert.deepEqual(workloadFindings(good()), []);
  assert.deepEqual(serviceFindings(good(), composeEnv), []);
});

test('names each rule a container breaks, one line each', () => {
  const manifests = good();
  const app = manifests[0].spec.template.spec.containers[0];
  delete app.readinessProbe;
  delete app.livenessProbe;
  delete app.resources.requests.cpu;
  delete app.resources.limits;
  app.securityContext = { allowPrivilegeEscalation: true, capabilities: { drop: ['NET_RAW'] } };
  delete app.terminationMessagePolicy;
  assert.deepEqual(workloadFindings(manifests), [
    'Deployment service1 container app has no readinessProbe',
    'Deployment service1 container app has no livenessProbe',
    'Deployment service1 container app requests no cpu',
    'Deployment service1 container app has no memory limit',
    'Deployment service1 container app may escalate privileges',
    'Deployment service1 container app may write its root filesystem',
    'Deployment service1 container app keeps capabilities (drop must be [ALL], add nothing)',
    'Deployment service1 container app does not show its last log lines when it fails',
  ]);
});

test('refuses root, an added capability and a pod without the runtime seccomp profile', () => {
  const manifests = good();
  const pod = manifests[1].spec.template.spec;
  pod.securityContext = { runAsUser: 0 };
  pod.initContainers[0].securityContext.capabilities.add = ['NET_ADMIN'];
  assert.deepEqual(workloadFindings(manifests), [
    'Deployment service2 has no RuntimeDefault seccomp profile',
    'Deployment service2 container envoy keeps capabilities (drop must be [ALL], add nothing)',
    'Deployment service2 container envoy may run as root',
    'Deployment service2 container envoy names no non-root user',
    'Deployment service2 container app may run as root',
    'Deployment service2 container app names no non-root user',
  ]);
});

test('holds the services to a native sidecar and to the environment Compose gives them', () => {
  const manifests = good();
  manifests[0].spec.template.spec.initContainers[0].restartPolicy = undefined;
  manifests[1].spec.template.spec.containers[0].env = [{ name: 'SERVICE_NAME', value: '2' }, { name: 'EXTRA', value: 'x' }];
  assert.deepEqual(serviceFindings(manifests, composeEnv), [
    "service1's init containers are [envoy:undefined], not its Envoy as a native sidecar (envoy:Always)",
    "service2's TRACE_PROPAGATION is unset on Kubernetes and b3 in Compose",
    "service2's EXTRA is x on Kubernetes and unset in Compose",
  ]);
  assert.deepEqual(serviceFindings([manifests[0]], composeEnv), [
    "service1's init containers are [envoy:undefined], not its Envoy as a native sidecar (envoy:Always)",
    'no Deployment service2',
  ]);
});
