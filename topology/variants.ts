/**
 * The sandbox's three variants: the one table of what each is made of. The
 * renderer, the local topology, the checks, the benchmark and the e2e targets
 * all read it. What the services run with is not repeated here: it is the
 * variant's Compose file, read by serviceEnvironment().
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../toolchain/binaries';

/** Envoy's built-in tracers that stand in for the Jaeger plugin. */
export type EnvoyTracer = 'zipkin' | 'opentelemetry';

/** A value of the services' TRACER variable (services/config.ts). */
export type ServiceTracerName = 'jaeger-client' | 'opentelemetry';

export type VariantName = 'native' | 'zipkin' | 'otel';

/** The two configs written by hand: the native variant's, and the source of every other one. */
export const SHIPPED_FRONT = 'front-envoy-jaeger.yaml';
export const SHIPPED_SIDECAR = 'service-envoy-jaeger.yaml';

export interface Variant {
  name: VariantName;
  /** What the README, the docs and the benchmark call it. */
  title: string;
  /** The Envoy tracer that replaces the plugin; none: the plugin itself. */
  envoyTracer?: EnvoyTracer;
  /** The Compose file that makes it, over docker-compose.yml; none: docker-compose.yml alone. */
  composeFile?: string;
  /** The front proxy's and the sidecars' configs, rendered from the shipped ones unless they are the shipped ones. */
  frontConfig: string;
  sidecarConfig: string;
  /** Runs as processes on this machine (`npm run local`): the plugin needs Envoy 1.29 on x86-64, which PyPI does not serve. */
  local: boolean;
}

export const VARIANTS: Record<VariantName, Variant> = {
  native: {
    name: 'native',
    title: 'native',
    frontConfig: SHIPPED_FRONT,
    sidecarConfig: SHIPPED_SIDECAR,
    local: false,
  },
  zipkin: {
    name: 'zipkin',
    title: 'Zipkin',
    envoyTracer: 'zipkin',
    composeFile: 'docker-compose.zipkin.yml',
    frontConfig: 'front-envoy-zipkin.yaml',
    sidecarConfig: 'service-envoy-zipkin.yaml',
    local: true,
  },
  otel: {
    name: 'otel',
    title: 'OpenTelemetry',
    envoyTracer: 'opentelemetry',
    composeFile: 'docker-compose.otel.yml',
    frontConfig: 'front-envoy-otel.yaml',
    sidecarConfig: 'service-envoy-otel.yaml',
    local: true,
  },
};

/** A variant whose Envoys run one of Envoy's own tracers: the ones rendered from the shipped configs. */
export type RenderedVariant = Variant & { envoyTracer: EnvoyTracer; composeFile: string };

export const RENDERED_VARIANTS = Object.values(VARIANTS).filter((v): v is RenderedVariant => v.envoyTracer !== undefined);
export const LOCAL_VARIANTS = Object.values(VARIANTS).filter((v) => v.local) as RenderedVariant[];
/** Each config the variant runs, beside the shipped one it comes from. */
export function envoyConfigs(variant: Variant): Array<{ shipped: string; file: string }> {
  return [
    { shipped: SHIPPED_FRONT, file: variant.frontConfig },
    { shipped: SHIPPED_SIDECAR, file: variant.sidecarConfig },
  ];
}

/** `npm run local`'s variant when none is named, and the benchmark's untraced baseline. */
export const DEFAULT_LOCAL_VARIANT = VARIANTS.zipkin as RenderedVariant;

/** The variant of that name, where it can run; undefined for any other name. */
export function findVariant(name: string, where: 'local' | 'compose'): Variant | undefined {
  const variant = Object.values(VARIANTS).find((v) => v.name === name);
  return variant && (where === 'compose' || variant.local) ? variant : undefined;
}

/** "native, zipkin or otel": the names findVariant takes there. */
export function variantChoices(where: 'local' | 'compose'): string {
  const names = Object.values(VARIANTS)
    .filter((v) => where === 'compose' || v.local)
    .map((v) => v.name);
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** The Compose files, in order, that start the variant. */
export function composeFiles(variant: Variant): string[] {
  return ['docker-compose.yml', ...(variant.composeFile ? [variant.composeFile] : [])];
}

/** A Compose file of the repository, parsed. Compose's `!reset` tag (the variants reset the native platform) is "no value". */
export function readComposeFile(file: string) {
  return parse(readFileSync(path.join(ROOT, file), 'utf8'), { merge: true, customTags: [{ tag: '!reset', resolve: () => null }] });
}

/** A service's environment as Compose gives it in the variant: each file's values over the one before (every file sets both services'). */
export function serviceEnvironment(variant: Variant, service: 'service1' | 'service2'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const file of composeFiles(variant)) {
    for (const [name, value] of Object.entries(readComposeFile(file).services[service].environment)) env[name] = String(value);
  }
  return env;
}

/**
 * The TRACER a variant's services run with, as its Compose file sets it; unset, the services' default,
 * jaeger-client. The variants test holds it to what the services' own configuration reads.
 */
export function servicesTracer(variant: Variant): ServiceTracerName {
  return (serviceEnvironment(variant, 'service2').TRACER ?? 'jaeger-client') as ServiceTracerName;
}
