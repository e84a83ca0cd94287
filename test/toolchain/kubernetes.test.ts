import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { cgroupHierarchies } from '../../toolchain/kubernetes/cluster';
import { clusterPaths, cniConfig, containerdConfig, kubeadmConfig, kubeletConfig, kubeProxyConfig, localVolume } from '../../toolchain/kubernetes/config';
import { clusterImageDockerfile } from '../../toolchain/kubernetes/images';
import { pinnedModule } from '../../toolchain/binaries';
import { buildOutput, CNI_BIN, KUBE_BIN, kubernetesLdflags, moduleDir, PARTS } from '../../toolchain/kubernetes/parts';
import { clusterHosts } from '../e2e/kubernetes-target';

const p = clusterPaths('/run/here');

test('stamps the release into component-base and client-go, as Kubernetes\' own build does', () => {
  assert.deepEqual(kubernetesLdflags('v1.37.2'), [
    '-X k8s.io/component-base/version.gitVersion=v1.37.2',
    '-X k8s.io/component-base/version.gitMajor=1',
    '-X k8s.io/component-base/version.gitMinor=37',
    '-X k8s.io/component-base/version.gitTreeState=clean',
    '-X k8s.io/client-go/pkg/version.gitVersion=v1.37.2',
    '-X k8s.io/client-go/pkg/version.gitMajor=1',
    '-X k8s.io/client-go/pkg/version.gitMinor=37',
    '-X k8s.io/client-go/pkg/version.gitTreeState=clean',
  ]);
});

test("builds one package to its binary's name, and several into the folder", () => {
  const etcd = PARTS.find((part) => part.folder === 'etcd')!;
  const kubernetes = PARTS.find((part) => part.folder === 'kubernetes')!;
  assert.equal(path.basename(buildOutput(etcd)), 'etcd');
  assert.equal(buildOutput(kubernetes), `${kubernetes.outDir}/`);
  assert.deepEqual(kubernetes.binaries, ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl', 'kubeadm']);
});

test('keeps every file of a run in its folder: etcd aside, containerd, the CNI cache and the kubelet', () => {
  const containerd = containerdConfig(p);
  assert.match(containerd, /^root = "\/run\/here\/containerd\/root"$/m);
  assert.match(containerd, /^state = "\/run\/here\/containerd\/state"$/m);
  assert.match(containerd, /^ {2}address = "\/run\/here\/containerd\/containerd.sock"$/m);
  assert.match(containerd, /^ {4}conf_dir = "\/run\/here\/cni"$/m);
  assert.match(containerd, /^ {2}restrict_oom_score_adj = true$/m);
  assert.match(containerd, /^ {2}sandbox = "sandbox-cluster\/pause:3.10.1"$/m);
  const cni = JSON.parse(cniConfig(p));
  assert.equal(cni.plugins[0].ipam.dataDir, '/run/here/cni-ipam');
  assert.deepEqual(cni.plugins[0].ipam.ranges, [[{ subnet: '10.244.0.0/24' }]]);
  const kubelet = parse(kubeletConfig(p));
  assert.equal(kubelet.containerRuntimeEndpoint, 'unix:///run/here/containerd/containerd.sock');
  assert.equal(kubelet.cgroupRoot, '/sandbox-k8s');
  assert.deepEqual(kubelet.clusterDNS, ['10.96.0.10']);
  assert.equal(kubelet.failCgroupV1, false);
  assert.equal(kubelet.imageGCHighThresholdPercent, 100);
  assert.equal(parse(kubeProxyConfig(p)).clientConnection.kubeconfig, '/run/here/kube-proxy.conf');
  const [init, cluster] = parseAllDocuments(kubeadmConfig(p)).map((d) => d.toJS());
  assert.equal(init.localAPIEndpoint.advertiseAddress, '10.251.0.2');
  assert.equal(cluster.certificatesDir, '/run/here/pki');
  assert.equal(cluster.kubernetesVersion, 'v1.37.2');
});

test("binds a claim's local volume to that claim alone, on the node", () => {
  const pv = parse(localVolume('v1', '/run/here/volumes/v1', { namespace: 'envoy-jaeger', name: 'jaeger-data' }));
  assert.deepEqual(pv.spec.claimRef, { namespace: 'envoy-jaeger', name: 'jaeger-data' });
  assert.equal(pv.spec.local.path, '/run/here/volumes/v1');
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, ['sandbox-node']);
});

test('finds each cgroup v1 hierarchy, a hybrid mount\'s unified one too, or the one cgroup v2 tree', (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cgroups-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const h of ['cpu', 'memory', 'unified']) {
    mkdirSync(path.join(root, h));
    writeFileSync(path.join(root, h, 'cgroup.procs'), '');
  }
  mkdirSync(path.join(root, 'not-a-hierarchy'));
  assert.deepEqual(cgroupHierarchies(root).map((d) => path.basename(d)).sort(), ['cpu', 'memory', 'unified']);
  writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu memory');
  assert.deepEqual(cgroupHierarchies(root), [root]);
});

test("reads the hosts of one cluster from an Envoy's /clusters, each address once", () => {
  const clusters = [
    'service2::observability_name::service2',
    'service2::10.244.0.7:8000::cx_active::1',
    'service2::10.244.0.7:8000::health_flags::healthy',
    'service2::10.244.0.12:8000::health_flags::healthy',
    'service22::10.244.0.9:8000::health_flags::healthy',
    'jaeger_zipkin::10.96.3.4:9411::health_flags::healthy',
  ].join('\n');
  assert.deepEqual(clusterHosts(clusters, 'service2'), ['10.244.0.12', '10.244.0.7']);
  assert.deepEqual(clusterHosts(clusters, 'service1'), []);
});

test('makes the cluster\'s own images from one static binary each, as a non-root user', () => {
  assert.equal(
    clusterImageDockerfile({ image: 'sandbox-cluster/pause:3.10.1', binary: 'pause', user: '65535:65535' }),
    [
      'FROM scratch',
      'LABEL org.opencontainers.image.description="pause for the sandbox\'s CI cluster, built on this machine; never pushed."',
      'COPY pause /pause',
      'USER 65535:65535',
      'ENTRYPOINT ["/pause"]',
      '',
    ].join('\n'),
  );
});

test("builds each part from the module its folder's go.mod pins, at the release the docs name, and each package from inside that module", () => {
  const table = PARTS.map((part) => [part.folder, part.module, pinnedModule(moduleDir(part), part.module), part.outDir === CNI_BIN ? 'cni' : part.outDir === KUBE_BIN ? 'bin' : part.outDir]);
  assert.deepEqual(table, [
    ['kubernetes', 'k8s.io/kubernetes', 'v1.37.2', 'bin'],
    ['etcd', 'go.etcd.io/etcd/server/v3', 'v3.7.3', 'bin'],
    ['containerd', 'github.com/containerd/containerd/v2', 'v2.4.2', 'bin'],
    ['cni', 'github.com/containernetworking/plugins', 'v1.10.0', 'cni'],
    ['coredns', 'github.com/coredns/coredns', 'v1.15.0', 'bin'],
  ]);
  for (const part of PARTS) {
    for (const pkg of part.packages) assert.ok(pkg === part.module || pkg.startsWith(`${part.module}/`), `${pkg} is in ${part.module}`);
    // Several packages: each binary is named as its package's last element, as go build -o DIR/ names it.
    if (part.packages.length > 1) assert.deepEqual(part.binaries, part.packages.map((pkg) => pkg.split('/').pop()));
    else assert.equal(part.binaries.length, 1);
  }
  assert.deepEqual(PARTS.find((part) => part.folder === 'containerd')!.tags, ['no_btrfs']);
  assert.deepEqual(PARTS.find((part) => part.folder === 'cni')!.binaries, ['bridge', 'loopback', 'host-local', 'portmap']);
  assert.deepEqual(PARTS.find((part) => part.folder === 'containerd')!.binaries, ['containerd', 'containerd-shim-runc-v2', 'ctr']);
  assert.equal(PARTS.find((part) => part.folder === 'kubernetes')!.ldflags?.length, 8);
});
