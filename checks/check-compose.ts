/**
 * `npm run lint:compose`: docker-compose.yml, alone and with each current-Envoy
 * override (docker-compose.zipkin.yml, docker-compose.otel.yml), through Docker Compose's own loader
 * (`docker compose config`, which needs no engine): interpolation from .env,
 * merge keys, `!reset`, the specification and references between services. A
 * broken copy must fail the same check, so a loader that accepts anything is
 * caught too.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPOSE, ROOT } from '../toolchain/binaries';

function config(projectDir: string, files = ['docker-compose.yml']): { ok: boolean; output: string } {
  const run = spawnSync(COMPOSE, ['--project-directory', projectDir, ...files.flatMap((f) => ['-f', path.join(projectDir, f)]), 'config', '--quiet'], {
    encoding: 'utf8',
  });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
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
  const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8').replace('      service2:\n        condition: service_healthy', '      service3:\n        condition: service_healthy');
  writeFileSync(path.join(broken, 'docker-compose.yml'), text);
  const control = config(broken);
  console.log(control.ok ? 'FAIL a depends_on on a missing service was accepted' : `ok   a depends_on on a missing service is refused (${control.output.split('\n')[0]})`);

  const failed = Number(!shipped.ok) + Number(!zipkin.ok) + Number(!otel.ok) + Number(control.ok);
  console.log(`${4 - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
