/**
 * Which Compose files a run of the sandbox uses: the variant's (variants.ts) and,
 * where no registry is reachable, the stand-ins.
 *
 *   E2E_VARIANT       native (the default), zipkin or otel
 *   E2E_STANDINS=true adds toolchain/docker/compose.standins.yml
 */
import { composeFiles as variantComposeFiles, findVariant, Variant, variantChoices } from '../../topology/variants';

export function composeVariant(env: Record<string, string | undefined> = process.env): Variant {
  const name = env.E2E_VARIANT || 'native';
  const variant = findVariant(name, 'compose');
  if (!variant) throw new Error(`E2E_VARIANT must be ${variantChoices('compose')} under Compose, got "${name}"`);
  return variant;
}

export function composeFiles(env: Record<string, string | undefined> = process.env): string[] {
  return [...variantComposeFiles(composeVariant(env)), ...(env.E2E_STANDINS === 'true' ? ['toolchain/docker/compose.standins.yml'] : [])];
}
