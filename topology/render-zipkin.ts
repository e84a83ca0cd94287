/** `npm run render:zipkin`: writes the current-Envoy variant's Envoy configs from the shipped ones. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../toolchain/binaries';
import { renderZipkinVariant, ZIPKIN_VARIANTS } from './render';

for (const [shipped, variant] of Object.entries(ZIPKIN_VARIANTS)) {
  writeFileSync(path.join(ROOT, variant), renderZipkinVariant(readFileSync(path.join(ROOT, shipped), 'utf8'), shipped));
  console.log(`${variant} (from ${shipped})`);
}
