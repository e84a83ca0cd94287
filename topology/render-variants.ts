/** `npm run render:envoy`: writes each Compose variant's Envoy configs from the shipped (native) ones. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../toolchain/binaries';
import { EnvoyTracer, renderVariant, VARIANT_FILES } from './render';

for (const [tracer, files] of Object.entries(VARIANT_FILES) as Array<[EnvoyTracer, Record<string, string>]>) {
  for (const [shipped, variant] of Object.entries(files)) {
    writeFileSync(path.join(ROOT, variant), renderVariant(tracer, readFileSync(path.join(ROOT, shipped), 'utf8'), shipped));
    console.log(`${variant} (from ${shipped})`);
  }
}
