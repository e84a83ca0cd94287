/**
 * `npm run validate:envoy`: every Envoy config the local topology renders from
 * the shipped YAML (with each tracer and without), and the current-Envoy
 * variants' configs as Compose runs them, checked by a real Envoy's --mode
 * validate. It needs only Envoy (`npm run toolchain -- envoy`).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binaries, ROOT } from '../toolchain/binaries';
import { fillSidecarTemplate } from '../topology/render';
import { sandboxSpecs, validateEnvoy } from '../topology/sandbox';
import { DEFAULT_LOCAL_VARIANT, LOCAL_VARIANTS, RENDERED_VARIANTS, RenderedVariant } from '../topology/variants';

function main(): void {
  const { envoy } = binaries();
  if (!existsSync(envoy)) {
    console.error(`validate:envoy: Envoy is not installed (${envoy}): run \`npm run toolchain -- envoy\``);
    process.exit(1);
  }
  let passed = 0;
  let failed = 0;
  const runs: Array<{ tracing: boolean; variant: RenderedVariant; label: string }> = [
    ...LOCAL_VARIANTS.map((variant) => ({ tracing: true, variant, label: `${variant.title} variant` })),
    { tracing: false, variant: DEFAULT_LOCAL_VARIANT, label: 'untraced' },
  ];
  for (const { tracing, variant, label: kind } of runs) {
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'envoy-validate-'));
    // The same plan `npm run local` starts from; Jaeger and Prometheus are not run, so their paths do not matter.
    const { specs } = sandboxSpecs({ runDir, binaries: { envoy, jaeger: 'jaeger', prometheus: 'prometheus' }, tracing, variant });
    for (const spec of specs.filter((s) => s.validate)) {
      const label = `${spec.name} (${kind})`;
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
  // The Compose variants' files, as their containers run them.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'envoy-validate-'));
  const variants: Array<[string, string, string]> = RENDERED_VARIANTS.flatMap((variant) => [
    [variant.frontConfig, 'front-proxy', readFileSync(path.join(ROOT, variant.frontConfig), 'utf8')] as [string, string, string],
    ...['1', '2'].map((n): [string, string, string] => [
      `${variant.sidecarConfig} (service${n})`,
      `service${n}`,
      fillSidecarTemplate(readFileSync(path.join(ROOT, variant.sidecarConfig), 'utf8'), n),
    ]),
  ]);
  for (const [label, serviceName, yaml] of variants) {
    const file = path.join(dir, `${label.split(' ')[0]}-${serviceName}.yaml`);
    writeFileSync(file, yaml);
    try {
      validateEnvoy(envoy, file, serviceName);
      passed++;
      console.log(`ok   ${label}`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${label}\n${(err as Error).message}`);
    }
  }
  // The control: the same check must refuse a broken copy, so a validation that accepts anything fails here.
  const broken = path.join(dir, 'broken.yaml');
  writeFileSync(broken, variants[0][2].replace('stat_prefix: front_proxy', 'stat_prefixx: front_proxy'));
  try {
    validateEnvoy(envoy, broken, 'front-proxy');
    failed++;
    console.log('FAIL a misspelt field was accepted');
  } catch (err) {
    passed++;
    console.log(`ok   a misspelt field is refused (${(err as Error).message.split('\n').filter(Boolean).pop()})`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
