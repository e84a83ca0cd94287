/**
 * `npm run validate:envoy`: every Envoy config the local topology renders from
 * the shipped YAML (with the tracer and without), checked by a real Envoy's
 * --mode validate. It needs only Envoy (`npm run e2e:tools -- envoy`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fillSidecarTemplate, renderEnvoy } from './render';
import { binaries, ROOT } from './binaries';
import { ContainerName } from './topology';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

function main(): void {
  const envoy = binaries().envoy;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'envoy-validate-'));
  const configs: Array<[string, string, ContainerName]> = [
    ['front-envoy', read('front-envoy-jaeger.yaml'), 'front-envoy'],
    ['service1-envoy', fillSidecarTemplate(read('service-envoy-jaeger.yaml'), '1'), 'service1'],
    ['service2-envoy', fillSidecarTemplate(read('service-envoy-jaeger.yaml'), '2'), 'service2'],
  ];
  let failed = 0;
  for (const [name, shipped, container] of configs) {
    for (const tracing of [true, false]) {
      const { yaml, serviceName } = renderEnvoy(shipped, container, { tracing });
      const file = path.join(dir, `${name}${tracing ? '' : '-untraced'}.yaml`);
      writeFileSync(file, yaml);
      const run = spawnSync(envoy, ['--mode', 'validate', '-c', file, '--service-cluster', serviceName], { encoding: 'utf8' });
      if (run.error) {
        console.error(`validate:envoy: cannot run ${envoy} (${run.error.message}): run \`npm run e2e:tools -- envoy\``);
        process.exit(1);
      }
      const ok = run.status === 0;
      if (!ok) failed++;
      const detail = ok ? '' : `\n${`${run.stdout}${run.stderr}`.trim().split('\n').slice(-4).join('\n')}`;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${tracing ? ' (Zipkin tracer)' : ' (untraced)'}${detail}`);
    }
  }
  console.log(`${configs.length * 2 - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
