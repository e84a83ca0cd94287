/**
 * `npm run lint:compose`: docker-compose.yml, alone and with each current-Envoy
 * override (docker-compose.zipkin.yml, docker-compose.otel.yml), through Docker Compose's own loader
 * (`docker compose config`, which needs no engine): interpolation from .env,
 * merge keys, `!reset`, the specification and references between services. A
 * broken copy must fail the same check, so a loader that accepts anything is
 * caught too.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPOSE, ROOT } from '../toolchain/binaries';

function config(projectDir: string, files = ['docker-compose.yml'], env: Record<string, string> = {}, args = ['--quiet']): { ok: boolean; output: string } {
  const run = spawnSync(COMPOSE, ['--project-directory', projectDir, ...files.flatMap((f) => ['-f', path.join(projectDir, f)]), 'config', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

/** Prometheus's published ports as Compose resolves them, with the .env value given. */
function prometheusPorts(publish: string): string {
  const run = config(ROOT, ['docker-compose.yml'], { PUBLISH_PROMETHEUS: publish }, ['--format', 'json']);
  if (!run.ok) return `refused: ${run.output.split('\n')[0]}`;
  const ports: Array<{ host_ip: string; published: string; target: number }> = JSON.parse(run.output).services.prometheus.ports ?? [];
  return ports.map((p) => `${p.host_ip}:${p.published}->${p.target}`).join(', ') || 'none';
}

/** The sampling variables Jaeger's container gets, with this environment file (an .env of the user's). */
function jaegerSampling(envFileText: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-env-'));
  const envFile = path.join(dir, 'user.env');
  writeFileSync(envFile, envFileText);
  const run = spawnSync(COMPOSE, ['--project-directory', ROOT, '--env-file', envFile, '-f', path.join(ROOT, 'docker-compose.yml'), 'config', '--format', 'json'], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0) return `refused: ${run.stderr.split('\n')[0]}`;
  const env: Record<string, string | null> = JSON.parse(run.stdout).services.jaeger.environment;
  return Object.entries(env).filter(([k, v]) => /SAMPLING/.test(k) && v !== null).map(([k, v]) => `${k}=${v}`).sort().join(' ');
}

function main(): void {
  if (!existsSync(COMPOSE)) {
    console.error('lint:compose: Docker Compose is not installed: run `npm run toolchain -- compose`');
    process.exit(1);
  }
  const shipped = config(ROOT);
  console.log(shipped.ok ? 'ok   docker-compose.yml' : `FAIL docker-compose.yml\n${shipped.output}`);
  const zipkin = config(ROOT, ['docker-compose.yml', 'docker-compose.zipkin.yml']);
  console.log(zipkin.ok ? 'ok   docker-compose.yml + docker-compose.zipkin.yml' : `FAIL docker-compose.zipkin.yml\n${zipkin.output}`);
  const otel = config(ROOT, ['docker-compose.yml', 'docker-compose.otel.yml']);
  console.log(otel.ok ? 'ok   docker-compose.yml + docker-compose.otel.yml' : `FAIL docker-compose.otel.yml\n${otel.output}`);

  const broken = mkdtempSync(path.join(os.tmpdir(), 'compose-broken-'));
  copyFileSync(path.join(ROOT, '.env'), path.join(broken, '.env'));
  cpSync(path.join(ROOT, 'prometheus'), path.join(broken, 'prometheus'), { recursive: true });
  const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8').replace('      service2:\n        condition: service_healthy', '      service3:\n        condition: service_healthy');
  writeFileSync(path.join(broken, 'docker-compose.yml'), text);
  const control = config(broken);
  // Refused for the right reason: the missing service is named.
  const refused = !control.ok && control.output.includes('service3');
  console.log(refused ? `ok   a depends_on on a missing service is refused (${control.output.split('\n')[0]})` : `FAIL a depends_on on a missing service: ${control.ok ? 'accepted' : control.output}`);

  // Prometheus's host port: none by default, loopback with PUBLISH_PROMETHEUS=yes, a clear refusal otherwise.
  const expected: Array<[string, RegExp]> = [
    ['no', /^none$/],
    ['yes', /^127\.0\.0\.1:9090->9090$/],
    ['maybe', /^refused: .*publish-maybe\.yml: no such file or directory$/],
  ];
  let portsFailed = 0;
  for (const [publish, want] of expected) {
    const got = prometheusPorts(publish);
    const ok = want.test(got);
    portsFailed += Number(!ok);
    console.log(`${ok ? 'ok  ' : 'FAIL'} PUBLISH_PROMETHEUS=${publish}: prometheus publishes ${got}`);
  }

  // Jaeger's sampling mode and its settings reach the container from an env file, and only those set.
  const sampling = jaegerSampling('JAEGER_SAMPLING=tail\nTAIL_SAMPLING_SHARE=0.4\n');
  const samplingOk = sampling === 'JAEGER_SAMPLING=tail TAIL_SAMPLING_SHARE=0.4';
  console.log(`${samplingOk ? 'ok  ' : 'FAIL'} an env file with JAEGER_SAMPLING=tail and TAIL_SAMPLING_SHARE=0.4 gives Jaeger ${sampling}`);

  const failed = Number(!shipped.ok) + Number(!zipkin.ok) + Number(!otel.ok) + Number(!refused) + portsFailed + Number(!samplingOk);
  console.log(`${5 + expected.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
