/**
 * A real one-node Kubernetes cluster on this machine, for the Kubernetes e2e target: etcd, the
 * control plane, containerd, the kubelet and kube-proxy as processes, started in a network and
 * mount namespace of their own and remembered by process id, as the Docker engine is.
 *
 * The namespaces are what make the cleanup whole. Every interface, route and iptables rule the
 * cluster makes (the pods' bridge and veths, kube-proxy's and the CNI plugins' rules) is in its
 * network namespace, and every mount (pod volumes, container root filesystems) in its mount
 * namespace; both go when their last process does. stopCluster() stops the processes it
 * started, kills whatever else still runs in those namespaces or in the cluster's cgroups
 * (containers, their shims), removes the cgroups, and removes the run's folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { command } from '../../lib/command';
import { tail } from '../../lib/logs';
import { alive } from '../../lib/pids';
import { pollUntil } from '../../lib/poll';
import {
  API_PORT,
  CGROUP_ROOT,
  clusterPaths,
  ClusterPaths,
  cniConfig,
  containerdConfig,
  HOST_IP,
  HOST_LINK,
  kubeadmConfig,
  kubeletConfig,
  kubeProxyConfig,
  NODE_IP,
  NODE_LINK,
  NODE_NAME,
  SERVICE_CIDR,
} from './config';
import { KUBE_BIN, KUBE_DIR, kubeBinary, PARTS } from './parts';

export const CLUSTER_DIR = path.join(KUBE_DIR, 'cluster');
export const CLUSTER_STATE = path.join(KUBE_DIR, 'cluster.json');
const CGROUPS = '/sys/fs/cgroup';

interface Started {
  name: string;
  pid: number;
}

/** What stopCluster() needs to find everything again: the ids of the namespaces and processes. */
export interface ClusterState {
  dir: string;
  holder: number;
  /** /proc/<pid>/ns/{net,mnt} of the holder, as readlink gives them ("net:[4026532176]"). */
  netns: string;
  mntns: string;
  processes: Started[];
}

export const paths = (): ClusterPaths => clusterPaths(CLUSTER_DIR);


const nsOf = (pid: number | string, kind: 'net' | 'mnt'): string | undefined => {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
};

/** A command inside the cluster's namespaces. */
const inCluster = (state: ClusterState, file: string, args: string[]): string => command('nsenter', ['-t', String(state.holder), '-m', '-n', '--', file, ...args]);

/** kubectl as system:masters against the running cluster. */
export function kubectl(args: string[], input?: string): string {
  return command(kubeBinary('kubectl'), ['--kubeconfig', paths().kubeconfig, ...args], { input });
}

export function readState(): ClusterState | undefined {
  if (!existsSync(CLUSTER_STATE)) return undefined;
  return JSON.parse(readFileSync(CLUSTER_STATE, 'utf8')) as ClusterState;
}

/** True while the cluster this harness started runs (its namespace holder is alive and is ours). */
export function clusterRunning(state = readState()): boolean {
  return state !== undefined && alive(state.holder) && nsOf(state.holder, 'net') === state.netns;
}

function requireParts(): void {
  const missing = [...PARTS.flatMap((p) => p.binaries.map((b) => path.join(p.outDir, b))), path.join(KUBE_BIN, 'pause')].filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`the cluster's parts are not built (${missing.map((f) => path.basename(f)).join(', ')}): run npm run toolchain -- kubernetes`);
  for (const tool of ['unshare', 'nsenter', 'ip', 'iptables', '/usr/sbin/runc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (util-linux, iproute2, iptables and runc are Debian packages)`);
  }
}

/** The cgroup v1 hierarchies mounted under /sys/fs/cgroup (a hybrid mount's unified one among them), or the one cgroup v2 tree. */
export function cgroupHierarchies(root = CGROUPS): string[] {
  if (existsSync(path.join(root, 'cgroup.controllers'))) return [root];
  return readdirSync(root)
    .map((name) => path.join(root, name))
    .filter((dir) => existsSync(path.join(dir, 'cgroup.procs')));
}

function makeCgroups(): void {
  for (const hierarchy of cgroupHierarchies()) {
    const dir = path.join(hierarchy, CGROUP_ROOT);
    mkdirSync(dir, { recursive: true });
    // A v1 cpuset starts with no CPUs and no memory nodes; it takes its parent's.
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(path.join(hierarchy, file))) writeFileSync(path.join(dir, file), readFileSync(path.join(hierarchy, file)));
    }
  }
}

function start(state: ClusterState, p: ClusterPaths, name: string, command: string, args: string[], env: Record<string, string> = {}): void {
  const log = openSync(path.join(p.logs, `${name}.log`), 'a');
  // nsenter joins the namespaces and becomes the command: the pid is the process's own.
  const child = spawn('nsenter', ['-t', String(state.holder), '-m', '-n', '--', command, ...args], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, ...env },
  });
  closeSync(log);
  child.unref();
  state.processes.push({ name, pid: child.pid! });
  writeFileSync(CLUSTER_STATE, JSON.stringify(state, null, 2));
}

/** Throws (to be polled again) until check passes; at once, with the log's end, if the process has exited. */
async function waitFor(state: ClusterState, p: ClusterPaths, name: string, what: string, check: () => void, timeoutMs = 60_000): Promise<void> {
  const proc = state.processes.find((s) => s.name === name);
  await pollUntil(
    () => {
      if (proc && !alive(proc.pid)) throw new Fatal(`${name} exited at start; the end of ${path.join(p.logs, `${name}.log`)}:\n${tail(path.join(p.logs, `${name}.log`), 12)}`);
      check();
    },
    what,
    { timeoutMs, intervalMs: 500, stopOn: (err) => err instanceof Fatal },
  );
}

function writeFiles(p: ClusterPaths): void {
  for (const dir of [p.pki, p.logs, p.volumes, path.join(p.dir, 'cni'), path.join(p.dir, 'containerd')]) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(p.dir, 'kubeadm.yaml'), kubeadmConfig(p));
  writeFileSync(path.join(p.dir, 'containerd.toml'), containerdConfig(p));
  writeFileSync(path.join(p.dir, 'cni', '10-sandbox.conflist'), cniConfig(p));
  writeFileSync(path.join(p.dir, 'kubelet.yaml'), kubeletConfig(p));
  writeFileSync(path.join(p.dir, 'kube-proxy.yaml'), kubeProxyConfig(p));
  // kubeadm writes the certificates and kubeconfigs, as it does for every kubeadm cluster.
  const kubeadm = kubeBinary('kubeadm');
  const config = ['--config', path.join(p.dir, 'kubeadm.yaml')];
  command(kubeadm, ['init', 'phase', 'certs', 'all', ...config]);
  for (const user of ['super-admin', 'controller-manager', 'scheduler', 'kubelet']) command(kubeadm, ['init', 'phase', 'kubeconfig', user, ...config, '--kubeconfig-dir', p.dir]);
  writeFileSync(path.join(p.dir, 'kube-proxy.conf'), command(kubeadm, ['kubeconfig', 'user', ...config, '--client-name', 'system:kube-proxy']));
}

function makeNamespaces(state: ClusterState): void {
  const run = (args: string[]) => inCluster(state, args[0], args.slice(1));
  // containerd, runc and the CNI plugins keep files at fixed paths under /run (shim sockets,
  // runc's state, the pods' network namespaces) and /var/lib/cni (a cache): the cluster sees an
  // empty /run and /var/lib of its own, which go with its mount namespace.
  run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'sandbox-run', '/run']);
  run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'sandbox-var-lib', '/var/lib']);
  // Mounts inside propagate among the cluster's own processes (the kubelet's volumes reach
  // containerd's containers) and never out to this machine.
  run(['mount', '--make-rshared', '/']);
  run(['ip', 'link', 'set', 'lo', 'up']);
  command('ip', ['link', 'add', HOST_LINK, 'type', 'veth', 'peer', 'name', NODE_LINK, 'netns', String(state.holder)]);
  command('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', HOST_LINK]);
  command('ip', ['link', 'set', HOST_LINK, 'up']);
  // This machine reaches the cluster's Services at their cluster addresses, as a pod does, through
  // the node; the route goes with the link.
  command('ip', ['route', 'add', SERVICE_CIDR, 'via', NODE_IP, 'dev', HOST_LINK]);
  run(['ip', 'addr', 'add', `${NODE_IP}/30`, 'dev', NODE_LINK]);
  run(['ip', 'link', 'set', NODE_LINK, 'up']);
  // The kubelet and kube-proxy find the node's address by its default route.
  run(['ip', 'route', 'add', 'default', 'via', HOST_IP]);
  run(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  // Pod to Service to a pod on the same bridge goes through kube-proxy's rules only with this.
  run(['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
}

/** Starts the cluster and resolves when its node is Ready and its DNS answers; throws with the reason otherwise. */
export async function startCluster(log: (line: string) => void = console.log): Promise<ClusterState> {
  if (clusterRunning()) throw new Error(`a cluster of ours already runs (${CLUSTER_STATE}): npm run cluster:stop first`);
  if (readState()) await stopCluster(() => {});
  requireParts();
  const p = paths();
  rmSync(p.dir, { recursive: true, force: true });
  writeFiles(p);

  const holder = spawn('unshare', ['--mount', '--net', '--propagation', 'private', 'sleep', 'infinity'], { detached: true, stdio: 'ignore' });
  holder.unref();
  const own = { net: nsOf(process.pid, 'net'), mnt: nsOf(process.pid, 'mnt') };
  await pollUntil(() => {
    if (nsOf(holder.pid!, 'net') === own.net || nsOf(holder.pid!, 'mnt') === own.mnt) throw new Error('unshare has not made its namespaces yet');
  }, 'the cluster namespaces', { timeoutMs: 5_000, intervalMs: 20 });
  const state: ClusterState = { dir: p.dir, holder: holder.pid!, netns: nsOf(holder.pid!, 'net')!, mntns: nsOf(holder.pid!, 'mnt')!, processes: [] };
  writeFileSync(CLUSTER_STATE, JSON.stringify(state, null, 2));
  // From here on the cluster exists: a start that fails stops what it started, and says why.
  try {
    makeCgroups();
    makeNamespaces(state);
    log(`cluster: namespaces made (holder pid ${state.holder}); node ${NODE_IP}, reached from this machine at ${HOST_IP}`);

    const pki = (file: string) => path.join(p.pki, file);
    start(state, p, 'etcd', kubeBinary('etcd'), [
      '--name', NODE_NAME, '--data-dir', path.join(p.dir, 'etcd'),
      '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379',
      '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
      '--initial-cluster', `${NODE_NAME}=http://127.0.0.1:2380`,
    ]);
    start(state, p, 'kube-apiserver', kubeBinary('kube-apiserver'), [
      '--etcd-servers', 'http://127.0.0.1:2379',
      '--advertise-address', NODE_IP, '--secure-port', String(API_PORT), '--service-cluster-ip-range', SERVICE_CIDR,
      '--client-ca-file', pki('ca.crt'), '--tls-cert-file', pki('apiserver.crt'), '--tls-private-key-file', pki('apiserver.key'),
      '--kubelet-client-certificate', pki('apiserver-kubelet-client.crt'), '--kubelet-client-key', pki('apiserver-kubelet-client.key'),
      '--kubelet-preferred-address-types', 'InternalIP',
      '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
      '--service-account-key-file', pki('sa.pub'), '--service-account-signing-key-file', pki('sa.key'),
      '--authorization-mode', 'Node,RBAC', '--enable-admission-plugins', 'NodeRestriction',
      '--requestheader-client-ca-file', pki('front-proxy-ca.crt'), '--requestheader-allowed-names', 'front-proxy-client',
      '--requestheader-username-headers', 'X-Remote-User', '--requestheader-group-headers', 'X-Remote-Group',
      '--requestheader-extra-headers-prefix', 'X-Remote-Extra-',
      '--proxy-client-cert-file', pki('front-proxy-client.crt'), '--proxy-client-key-file', pki('front-proxy-client.key'),
    ]);
    await waitFor(state, p, 'kube-apiserver', 'the API server to be ready', () => void kubectl(['get', '--raw', '/readyz']), 90_000);
    log('cluster: the API server is ready');

    const component = (name: string) => ['--kubeconfig', path.join(p.dir, `${name}.conf`), '--authentication-kubeconfig', path.join(p.dir, `${name}.conf`), '--authorization-kubeconfig', path.join(p.dir, `${name}.conf`), '--leader-elect=false', '--bind-address', '127.0.0.1'];
    start(state, p, 'kube-controller-manager', kubeBinary('kube-controller-manager'), [
      ...component('controller-manager'), '--use-service-account-credentials', '--cluster-name', 'sandbox',
      '--service-account-private-key-file', pki('sa.key'), '--root-ca-file', pki('ca.crt'),
      '--cluster-signing-cert-file', pki('ca.crt'), '--cluster-signing-key-file', pki('ca.key'),
    ]);
    start(state, p, 'kube-scheduler', kubeBinary('kube-scheduler'), component('scheduler'));
    // containerd finds its shim, and the shim runc, on PATH.
    start(state, p, 'containerd', kubeBinary('containerd'), ['--config', path.join(p.dir, 'containerd.toml')], { PATH: `${KUBE_BIN}:${process.env.PATH}` });
    await waitFor(state, p, 'containerd', 'containerd to answer', () => void ctr(['version']));
    start(state, p, 'kubelet', kubeBinary('kubelet'), [
      '--config', path.join(p.dir, 'kubelet.yaml'), '--kubeconfig', path.join(p.dir, 'kubelet.conf'),
      '--root-dir', path.join(p.dir, 'kubelet'), '--cert-dir', path.join(p.dir, 'kubelet-pki'),
      '--node-ip', NODE_IP, '--hostname-override', NODE_NAME,
    ]);
    start(state, p, 'kube-proxy', kubeBinary('kube-proxy'), ['--config', path.join(p.dir, 'kube-proxy.yaml')]);
    // kubeadm binds the API server's kubelet client to this role at init; this cluster has no init.
    kubectl(['create', 'clusterrolebinding', 'kube-apiserver-kubelet-client', '--clusterrole', 'system:kubelet-api-admin', '--user', 'kube-apiserver-kubelet-client']);
    await waitFor(state, p, 'kubelet', `node ${NODE_NAME} to be Ready`, () => {
      const ready = kubectl(['get', 'node', NODE_NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      if (ready !== 'True') throw new Error(`Ready is ${ready || 'not reported'}`);
    }, 90_000);
    log(`cluster: node ${NODE_NAME} is Ready`);
  } catch (err) {
    await stopCluster(() => {}).catch((stopErr: Error) => log(`cluster: stopping after the failed start: ${stopErr.message}`));
    throw err;
  }
  return state;
}

/** containerd's own client, on the cluster's socket and the kubelet's containerd namespace. */
export function ctr(args: string[], input?: string | Buffer): string {
  return command(kubeBinary('ctr'), ['--address', paths().containerdSocket, '--namespace', 'k8s.io', ...args], { input });
}

const pidsIn = (file: string): number[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** Every process left in the cluster's namespaces (shims, for one), by namespace id. */
function namespaceMembers(state: ClusterState): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== state.holder)
    .filter((d) => nsOf(d, 'net') === state.netns || nsOf(d, 'mnt') === state.mntns)
    .map(Number);
}

/** The cluster's cgroups, deepest first. */
function cgroupTree(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const sub = path.join(dir, entry);
      if (statSync(sub).isDirectory()) walk(sub);
    }
    found.push(dir);
  };
  for (const hierarchy of cgroupHierarchies()) {
    const root = path.join(hierarchy, CGROUP_ROOT);
    if (existsSync(root)) walk(root);
  }
  return found;
}

const kill = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
};

/**
 * Stops the cluster startCluster() started, by the ids it recorded, and leaves nothing behind:
 * its processes, what runs in its namespaces and cgroups, the namespaces (and with them every
 * interface, route, iptables rule and mount it made), the cgroups and the run's folder.
 * A cluster it did not start is left alone. Resolves to false when there was none.
 */
export async function stopCluster(log: (line: string) => void = console.log): Promise<boolean> {
  const state = readState();
  if (!state) return false;
  const ours = (pid: number) => nsOf(pid, 'net') === state.netns;
  // The node first, so that it stops its pods; then the control plane, then the store.
  for (const proc of [...state.processes].reverse()) {
    if (!alive(proc.pid) || !ours(proc.pid)) continue;
    kill(proc.pid, 'SIGTERM');
    try {
      await pollUntil(() => {
        if (alive(proc.pid)) throw new Error(`${proc.name} (pid ${proc.pid}) still runs`);
      }, `${proc.name} to stop`, { timeoutMs: 10_000, intervalMs: 100 });
    } catch {
      kill(proc.pid, 'SIGKILL');
    }
  }
  // The containers run in cgroups under CGROUP_ROOT, their shims in the namespaces.
  await pollUntil(() => {
    const left = [...new Set([...cgroupTree().flatMap((dir) => pidsIn(path.join(dir, 'cgroup.procs'))), ...(alive(state.holder) ? namespaceMembers(state) : [])])];
    for (const pid of left) kill(pid, 'SIGKILL');
    if (left.length > 0) throw new Error(`${left.length} processes left: ${left.join(' ')}`);
  }, 'the cluster\'s processes to end', { timeoutMs: 30_000, intervalMs: 200 });
  for (const dir of cgroupTree()) {
    try {
      rmdirSync(dir);
    } catch (err) {
      log(`cluster: could not remove cgroup ${dir}: ${(err as Error).message}`);
    }
  }
  if (alive(state.holder) && nsOf(state.holder, 'net') === state.netns) kill(state.holder, 'SIGKILL');
  await pollUntil(() => {
    if (alive(state.holder)) throw new Error(`the holder (pid ${state.holder}) still runs`);
  }, 'the namespaces to go', { timeoutMs: 10_000, intervalMs: 50 });
  // The veth pair goes with the namespace; should the kernel keep this end, it is removed here.
  if (spawnSync('ip', ['link', 'show', HOST_LINK]).status === 0) command('ip', ['link', 'del', HOST_LINK]);
  rmSync(state.dir, { recursive: true, force: true });
  rmSync(CLUSTER_STATE, { force: true });
  const left = leftovers(state);
  if (left.length > 0) throw new Error(`the cluster left behind:\n  ${left.join('\n  ')}`);
  log('cluster: stopped; its processes, namespaces, cgroups and files are gone');
  return true;
}

/** What a stopped cluster must not have left on this machine; each entry says what and where. */
export function leftovers(state: Pick<ClusterState, 'dir' | 'netns' | 'mntns'>): string[] {
  const left: string[] = [];
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && (nsOf(d, 'net') === state.netns || nsOf(d, 'mnt') === state.mntns));
  if (procs.length > 0) left.push(`processes in its namespaces: ${procs.join(' ')}`);
  if (spawnSync('ip', ['link', 'show', HOST_LINK]).status === 0) left.push(`the network interface ${HOST_LINK}`);
  const cgroups = cgroupHierarchies().map((h) => path.join(h, CGROUP_ROOT)).filter((dir) => existsSync(dir));
  if (cgroups.length > 0) left.push(`cgroups ${cgroups.join(' ')}`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(state.dir));
  if (mounts.length > 0) left.push(`mounts under ${state.dir}: ${mounts.length}`);
  if (existsSync(state.dir)) left.push(`the folder ${state.dir}`);
  // kube-proxy's and the CNI plugins' chains are named so; they belong in the cluster's namespace only.
  const rules = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout ?? '';
  const chains = rules.split('\n').filter((line) => /^:(KUBE-|CNI-)/.test(line));
  if (chains.length > 0) left.push(`iptables chains on this machine: ${chains.map((c) => c.split(' ')[0].slice(1)).join(' ')}`);
  return left;
}

class Fatal extends Error {}
