/**
 * Which Compose files a run of the sandbox uses: the native variant alone, or with
 * the current-Envoy override, and, where no registry is reachable, the stand-ins.
 *
 *   E2E_COMPOSE_VARIANT  native (the default) or zipkin
 *   E2E_STANDINS=true    adds toolchain/docker/compose.standins.yml
 */
export function composeFiles(env: Record<string, string | undefined> = process.env): string[] {
  const variant = env.E2E_COMPOSE_VARIANT || 'native';
  if (variant !== 'native' && variant !== 'zipkin') throw new Error(`E2E_COMPOSE_VARIANT must be native or zipkin, got "${variant}"`);
  return [
    'docker-compose.yml',
    ...(variant === 'zipkin' ? ['docker-compose.zipkin.yml'] : []),
    ...(env.E2E_STANDINS === 'true' ? ['toolchain/docker/compose.standins.yml'] : []),
  ];
}
