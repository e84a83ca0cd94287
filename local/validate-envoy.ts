/**
 * `npm run validate:envoy`: every Envoy config the local topology renders from
 * the shipped YAML (with the tracer and without), checked by a real Envoy's
 * --mode validate. It needs only Envoy (`npm run e2e:tools -- envoy`).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binaries } from './binaries';
import { sandboxSpecs } from './sandbox';

function main(): void {
  const { envoy } = binaries();
  if (!existsSync(envoy)) {
    console.error(`validate:envoy: Envoy is not installed (${envoy}): run \`npm run e2e:tools -- envoy\``);
    process.exit(1);
  }
  let passed = 0;
  let failed = 0;
  for (const tracing of [true, false]) {
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'envoy-validate-'));
    // The same plan `npm run local` starts from; Jaeger is not run, so its path does not matter.
    const { specs } = sandboxSpecs({ runDir, binaries: { envoy, jaeger: 'jaeger' }, tracing });
    for (const spec of specs.filter((s) => s.validate)) {
      const label = `${spec.name}${tracing ? ' (Zipkin tracer)' : ' (untraced)'}`;
      try {
        spec.validate!();
        passed++;
        console.log(`ok   ${label}`);
      } catch (err) {
        failed++;
        console.log(`FAIL ${label}\n${(err as Error).message}`);
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
