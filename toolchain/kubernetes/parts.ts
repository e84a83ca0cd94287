/**
 * The parts of the one-node Kubernetes cluster the Kubernetes e2e target runs on, each built
 * from the Go module its folder in toolchain/ pins (go.mod and go.sum), into .toolchain/kubernetes/.
 * One home for what is built from where; install.ts builds them and cluster.ts runs them.
 */
import path from 'node:path';
import { ROOT, TOOLS_DIR } from '../binaries';

export const KUBE_DIR = path.join(TOOLS_DIR, 'kubernetes');
export const KUBE_BIN = path.join(KUBE_DIR, 'bin');
/** The CNI plugins containerd runs for each pod's network. */
export const CNI_BIN = path.join(KUBE_DIR, 'cni');

/** The release k8s.io/kubernetes v1.37.2 is; its staging modules are v0.37.2. */
export const KUBERNETES_VERSION = 'v1.37.2';

export interface GoPart {
  /** The folder in toolchain/ whose go.mod pins it. */
  folder: string;
  /** The module whose version go.mod pins, as `go version -m` reports it in each binary. */
  module: string;
  packages: string[];
  /** Where the binaries go: as binaries names them (one package), or as each package's last element. */
  outDir: string;
  binaries: string[];
  ldflags?: string[];
  tags?: string[];
}

/**
 * Kubernetes' own build stamps the release into component-base (the components and their
 * version-skew checks) and client-go (kubectl's client version); without it they say v0.0.0-master.
 */
export function kubernetesLdflags(version = KUBERNETES_VERSION): string[] {
  const [major, minor] = version.replace(/^v/, '').split('.');
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
}

const KUBERNETES_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl', 'kubeadm'];
const CNI_PLUGINS = ['main/bridge', 'main/loopback', 'ipam/host-local', 'meta/portmap'];

export const PARTS: GoPart[] = [
  {
    folder: 'kubernetes',
    module: 'k8s.io/kubernetes',
    packages: KUBERNETES_COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`),
    outDir: KUBE_BIN,
    binaries: KUBERNETES_COMMANDS,
    ldflags: kubernetesLdflags(),
  },
  { folder: 'etcd', module: 'go.etcd.io/etcd/server/v3', packages: ['go.etcd.io/etcd/server/v3'], outDir: KUBE_BIN, binaries: ['etcd'] },
  {
    folder: 'containerd',
    module: 'github.com/containerd/containerd/v2',
    packages: ['containerd', 'containerd-shim-runc-v2', 'ctr'].map((c) => `github.com/containerd/containerd/v2/cmd/${c}`),
    outDir: KUBE_BIN,
    binaries: ['containerd', 'containerd-shim-runc-v2', 'ctr'],
    // The btrfs snapshotter needs C headers this cluster has no use for.
    tags: ['no_btrfs'],
  },
  {
    folder: 'cni',
    module: 'github.com/containernetworking/plugins',
    packages: CNI_PLUGINS.map((p) => `github.com/containernetworking/plugins/plugins/${p}`),
    outDir: CNI_BIN,
    binaries: CNI_PLUGINS.map((p) => p.split('/')[1]),
  },
  { folder: 'coredns', module: 'github.com/coredns/coredns', packages: ['github.com/coredns/coredns'], outDir: KUBE_BIN, binaries: ['coredns'] },
];

export const moduleDir = (part: GoPart): string => path.join(ROOT, 'toolchain', part.folder);

/** The pod sandbox's process, this project's own (toolchain/kubernetes/pause). */
export const PAUSE_PACKAGE = './pause';

/** `go build`'s -o: the file itself for one package, the folder (with a slash) for several. */
export function buildOutput(part: GoPart): string {
  return part.packages.length === 1 ? path.join(part.outDir, part.binaries[0]) : `${part.outDir}${path.sep}`;
}

export const kubeBinary = (name: string): string => path.join(KUBE_BIN, name);
