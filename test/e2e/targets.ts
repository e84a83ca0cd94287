/** The target E2E_TARGET names: local (the default), compose or kubernetes. */
import type { Variant } from '../../topology/variants';
import { composeVariant } from './compose-files';
import { composeTarget } from './compose-target';
import { kubernetesTarget, kubernetesVariant } from './kubernetes-target';
import { localTarget, localVariant } from './local-target';
import { Target } from './target';

export const E2E_TARGETS = ['local', 'compose', 'kubernetes'] as const;

/**
 * jaegerSampling: Jaeger's sampling mode and settings, set as a user of the target sets them.
 * runDir (local only): a run folder of its own.
 */
export function e2eTarget(jaegerSampling: Record<string, string> = {}, runDir?: string, env: Record<string, string | undefined> = process.env): Promise<Target> {
  const name = env.E2E_TARGET || 'local';
  if (name === 'compose') return composeTarget(jaegerSampling);
  if (name === 'kubernetes') return kubernetesTarget(jaegerSampling);
  if (name === 'local') return localTarget(jaegerSampling, runDir);
  throw new Error(`E2E_TARGET must be ${E2E_TARGETS.join(', ')}, got "${name}"`);
}

/** The variant E2E_VARIANT names, as the target reads it (each has its own default). */
export function e2eVariant(env: Record<string, string | undefined> = process.env): Variant {
  if (env.E2E_TARGET === 'compose') return composeVariant(env);
  if (env.E2E_TARGET === 'kubernetes') return kubernetesVariant(env);
  return localVariant(env);
}
