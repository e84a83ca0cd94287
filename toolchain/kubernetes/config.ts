/**
 * The CI cluster's settings and the files its parts read, written from one place. The cluster
 * lives in a network namespace of its own: the node is 10.251.0.2 there, and this machine
 * reaches it through a veth pair, at 10.251.0.1 on its side.
 */
import path from 'node:path';
import { CNI_BIN, KUBERNETES_VERSION } from './parts';

export const NODE_NAME = 'sandbox-node';
export const NODE_IP = '10.251.0.2';
export const HOST_IP = '10.251.0.1';
/** The two ends of the veth pair: this machine's, and the node's. */
export const HOST_LINK = 'ksb-host';
export const NODE_LINK = 'ksb-node';
export const API_PORT = 6443;
export const SERVICE_CIDR = '10.96.0.0/16';
export const POD_CIDR = '10.244.0.0/24';
export const CLUSTER_DNS = '10.96.0.10';
/** The cgroup every pod's cgroup is made under, in each hierarchy, and removed with the cluster. */
export const CGROUP_ROOT = 'sandbox-k8s';
export const PAUSE_IMAGE = 'sandbox-cluster/pause:3.10.1';
export const COREDNS_IMAGE = 'sandbox-cluster/coredns:v1.15.0';

/** Where a run keeps its files: certificates, etcd, containerd, the kubelet, logs. */
export interface ClusterPaths {
  dir: string;
  pki: string;
  logs: string;
  /** The kubeconfig of system:masters, which the harness and the tests use. */
  kubeconfig: string;
  containerdSocket: string;
  volumes: string;
}

export function clusterPaths(dir: string): ClusterPaths {
  return {
    dir,
    pki: path.join(dir, 'pki'),
    logs: path.join(dir, 'logs'),
    kubeconfig: path.join(dir, 'super-admin.conf'),
    containerdSocket: path.join(dir, 'containerd', 'containerd.sock'),
    volumes: path.join(dir, 'volumes'),
  };
}

/** kubeadm's configuration, read only to write the certificates and kubeconfigs. */
export function kubeadmConfig(p: ClusterPaths): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${NODE_IP}
  bindPort: ${API_PORT}
nodeRegistration:
  name: ${NODE_NAME}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: ${KUBERNETES_VERSION}
clusterName: sandbox
certificatesDir: ${p.pki}
networking:
  serviceSubnet: ${SERVICE_CIDR}
  dnsDomain: cluster.local
`;
}

export function containerdConfig(p: ClusterPaths): string {
  return `version = 3
root = "${path.join(p.dir, 'containerd', 'root')}"
state = "${path.join(p.dir, 'containerd', 'state')}"

[grpc]
  address = "${p.containerdSocket}"

[plugins.'io.containerd.cri.v1.runtime']
  # The pod sandbox asks for an OOM score below the kubelet's (-998), which needs CAP_SYS_RESOURCE;
  # where that is withheld (as on CI's machines) this keeps every score at or above containerd's own.
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["${CNI_BIN}"]
    conf_dir = "${path.join(p.dir, 'cni')}"

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = "${PAUSE_IMAGE}"
`;
}

/** One bridge for every pod, addresses from POD_CIDR, kept in the run's folder. */
export function cniConfig(p: ClusterPaths): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'sandbox',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: path.join(p.dir, 'cni-ipam') },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

export function kubeletConfig(p: ClusterPaths): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# CI's machines mount cgroup v1, which 1.37 still runs on when asked; a cgroup v2 machine ignores this.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /${CGROUP_ROOT}
containerRuntimeEndpoint: unix://${p.containerdSocket}
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${path.join(p.pki, 'ca.crt')}
authorization:
  mode: Webhook
clusterDNS: [${CLUSTER_DNS}]
clusterDomain: cluster.local
failSwapOn: false
# The images are loaded, not pulled: none may be collected, and no disk reading may evict a pod.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
# A changed ConfigMap reaches its pods within seconds, not a minute.
syncFrequency: 10s
resolvConf: /etc/resolv.conf
`;
}

export function kubeProxyConfig(p: ClusterPaths): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${path.join(p.dir, 'kube-proxy.conf')}
hostnameOverride: ${NODE_NAME}
mode: iptables
clusterCIDR: ${POD_CIDR}
# The conntrack table's size is the machine's, not the namespace's: left as it is.
conntrack:
  maxPerCore: 0
metricsBindAddress: 127.0.0.1:10249
`;
}

/** A local volume on the node for one claim, bound to it alone. */
export function localVolume(name: string, dir: string, claim: { namespace: string; name: string }): string {
  return `apiVersion: v1
kind: PersistentVolume
metadata:
  name: ${name}
spec:
  capacity:
    storage: 2Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  claimRef:
    namespace: ${claim.namespace}
    name: ${claim.name}
  local:
    path: ${dir}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - key: kubernetes.io/hostname
              operator: In
              values: [${NODE_NAME}]
`;
}
