/** `npm run render:envoy`: writes each Compose variant's Envoy configs from the shipped (native) ones. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../toolchain/binaries';
import { renderVariant } from './render';
import { envoyConfigs, RENDERED_VARIANTS } from './variants';

for (const variant of RENDERED_VARIANTS) {
  for (const { shipped, file } of envoyConfigs(variant)) {
    writeFileSync(path.join(ROOT, file), renderVariant(variant, readFileSync(path.join(ROOT, shipped), 'utf8'), shipped));
    console.log(`${file} (from ${shipped})`);
  }
}
