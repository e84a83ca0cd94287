/**
 * What only a cluster shows: the pods' shape (a native sidecar that starts before its app),
 * the `kubectl port-forward` docs/kubernetes.md gives, replicas in the traces, and a pod that
 * cannot start saying why.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { pollUntil } from '../../lib/poll';
import { paths } from '../../toolchain/kubernetes/cluster';
import { kubeBinary } from '../../toolchain/kubernetes/parts';
import { JaegerClient } from '../../tools/jaeger';
import { TRACE_HOPS } from '../../tools/trace-shape';
import { wholeTrace } from './expect';
import { get } from './http';
import { KubernetesTarget, NAMESPACE, ns, podsOf } from './kubernetes-target';

/** `kubectl port-forward service/NAME LOCAL:REMOTE` as a user runs it, until the test ends. */
async function portForward(t: import('node:test').TestContext, service: string, local: number, remote: number): Promise<void> {
  const child = spawn(kubeBinary('kubectl'), ['--kubeconfig', paths().kubeconfig, '-n', NAMESPACE, 'port-forward', `service/${service}`, `${local}:${remote}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void child.kill('SIGTERM'));
  let said = '';
  child.stdout.on('data', (d) => (said += d));
  child.stderr.on('data', (d) => (said += d));
  await pollUntil(() => assert.match(said, new RegExp(`Forwarding from 127\\.0\\.0\\.1:${local} -> ${remote}`)), `kubectl port-forward service/${service} to listen`, { timeoutMs: 15_000 });
}

export function kubernetesSuite(current: () => KubernetesTarget): void {
  describe('on Kubernetes', () => {
    it('runs every service as two containers in one pod: the Envoy as a native sidecar that started, and was ready, before its app', () => {
      for (const app of ['service1', 'service2']) {
        const [pod] = podsOf(app);
        const sidecar = pod.spec.initContainers.map((c: Record<string, unknown>) => [c.name, c.restartPolicy]);
        assert.deepEqual(sidecar, [['envoy', 'Always']], `${app}'s init containers`);
        assert.deepEqual(pod.spec.containers.map((c: Record<string, unknown>) => c.name), ['app'], `${app}'s containers`);
        const sidecarStarted = Date.parse(pod.status.initContainerStatuses[0].state.running.startedAt);
        const appStarted = Date.parse(pod.status.containerStatuses[0].state.running.startedAt);
        assert.ok(sidecarStarted <= appStarted, `${app}: the sidecar started at ${sidecarStarted}, the app at ${appStarted}`);
        assert.deepEqual([pod.status.initContainerStatuses[0].ready, pod.status.containerStatuses[0].ready], [true, true], `${app}: both ready`);
      }
    });

    it("serves /trace/1 and Jaeger's query API through `kubectl port-forward`, as docs/kubernetes.md says", async (t) => {
      // Ports of their own, so nothing else on this machine's 8000 or 16686 answers in their place.
      await portForward(t, 'front-envoy', 18000, 8000);
      await portForward(t, 'jaeger', 26686, 16686);
      const answer = await get('http://127.0.0.1:18000/trace/1');
      assert.equal(answer.status, 200, answer.body);
      assert.match(answer.body, /^Hello from behind Envoy \(service 1\)! hostname: service1-/);
      await wholeTrace(current(), answer.traceId, TRACE_HOPS);
      // The API the UI reads; the page itself is not in the Jaeger built from its Go module here.
      const named = await new JaegerClient('http://127.0.0.1:26686').services();
      for (const service of ['front-proxy', 'service1', 'service2']) assert.ok(named.includes(service), `${service} in ${named.join(', ')}`);
    });

    it('shows each replica of a scaled service2 in the traces, by the name of its pod', async () => {
      const target = current();
      await target.scale('service2', 2);
      try {
        const replicas = podsOf('service2').filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
        assert.equal(replicas.length, 2);
        const seen = new Set<string>();
        await pollUntil(async () => {
          // service1's sidecar takes turns between the two addresses the headless Service gives it.
          const answer = await get(`${target.proxy}/trace/1`);
          const trace = await wholeTrace(target, answer.traceId, TRACE_HOPS);
          for (const span of trace.spans.filter((s) => s.service === 'service2' && s.operation === 'GET /trace/:n')) seen.add(String(span.host));
          assert.deepEqual([...seen].sort(), replicas);
        }, 'traces from both replicas of service2', { timeoutMs: 20_000, intervalMs: 0 });
        assert.ok(seen.size === 2);
      } finally {
        await target.scale('service2', 1);
      }
    });

    it('says why a pod cannot start in `kubectl describe pod`: a bad sampling setting stops Jaeger with one line', async () => {
      ns('set', 'env', 'deployment/jaeger', 'JAEGER_SAMPLING=tail', 'TAIL_SAMPLING_SHARE=1.5');
      try {
        const reason = "start-jaeger: TAIL_SAMPLING_SHARE must be a number from 0 to 1, got '1.5'";
        const pod = await pollUntil(() => {
          const [failing] = podsOf('jaeger').filter((p) => !p.metadata.deletionTimestamp);
          const status = failing?.status.containerStatuses?.[0];
          const ended = status?.lastState?.terminated ?? status?.state?.terminated;
          assert.ok(ended, 'the new Jaeger has not exited yet');
          assert.deepEqual([ended.exitCode, ended.message.trim()], [2, reason]);
          return failing.metadata.name as string;
        }, 'the new Jaeger pod to exit', { timeoutMs: 60_000, intervalMs: 500 });
        const described = ns('describe', 'pod', pod).split('\n').map((line) => line.trim().split(/\s{2,}/));
        assert.ok(described.some(([key, value]) => key === 'Message:' && value === reason), ns('describe', 'pod', pod));
        assert.ok(described.some(([key, value]) => key === 'Exit Code:' && value === '2'), ns('describe', 'pod', pod));
      } finally {
        ns('rollout', 'undo', 'deployment/jaeger');
        ns('rollout', 'status', 'deployment/jaeger', '--timeout=120s');
      }
    });
  });
}
