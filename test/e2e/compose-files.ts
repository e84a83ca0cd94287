/**
 * Which Compose files a run of the sandbox uses: the native variant alone, or with
 * a current-Envoy override, and, where no registry is reachable, the stand-ins.
 *
 *   E2E_VARIANT       native (the default), zipkin or otel
 *   E2E_STANDINS=true adds toolchain/docker/compose.standins.yml
 */
export type ComposeVariant = 'native' | 'zipkin' | 'otel';

const OVERRIDES: Record<ComposeVariant, string[]> = { native: [], zipkin: ['docker-compose.zipkin.yml'], otel: ['docker-compose.otel.yml'] };

export function composeVariant(env: Record<string, string | undefined> = process.env): ComposeVariant {
  const variant = env.E2E_VARIANT || 'native';
  if (!(variant in OVERRIDES)) throw new Error(`E2E_VARIANT must be native, zipkin or otel under Compose, got "${variant}"`);
  return variant as ComposeVariant;
}

export function composeFiles(env: Record<string, string | undefined> = process.env): string[] {
  return [
    'docker-compose.yml',
    ...OVERRIDES[composeVariant(env)],
    ...(env.E2E_STANDINS === 'true' ? ['toolchain/docker/compose.standins.yml'] : []),
  ];
}
