/**
 * The jaeger-client tracer (TRACER=jaeger-client), configured from jaeger-client's own JAEGER_* variables.
 * Only what the environment leaves unset gets a default here, so every standard
 * variable (JAEGER_AGENT_HOST, JAEGER_SAMPLER_TYPE, JAEGER_TAGS, ...) still works.
 */
import { initTracerFromEnv, JaegerTracer, Logger, TracingConfig } from 'jaeger-client';
import { B3Codec, B3_FORMAT } from './b3';
import { Propagation } from './config';
import { readEveryStrategyForm } from './sampling';

type Env = Record<string, string | undefined>;

export const stderrLogger: Logger = {
  info: (msg) => console.error(`jaeger-client: ${msg}`),
  error: (msg) => console.error(`jaeger-client error: ${msg}`),
};

/** jaeger-client falls back to 0.0.0.0:5778 for sampling; the agent host is the better guess. */
export function tracingDefaults(serviceNumber: string, env: Env): TracingConfig {
  const sampler: Record<string, unknown> = {};
  if (!env.JAEGER_SAMPLER_TYPE) sampler.type = 'remote';
  // For the remote sampler this is only the rate used until Jaeger first answers.
  if (!env.JAEGER_SAMPLER_PARAM) sampler.param = 1;
  if (!env.JAEGER_SAMPLER_MANAGER_HOST_PORT && !env.JAEGER_SAMPLER_HOST) {
    sampler.hostPort = `${env.JAEGER_AGENT_HOST || 'localhost'}:5778`;
  }
  return {
    serviceName: env.JAEGER_SERVICE_NAME || `service${serviceNumber}`,
    ...(Object.keys(sampler).length > 0 ? { sampler: sampler as unknown as TracingConfig['sampler'] } : {}),
  };
}

export interface JaegerClientOptions {
  serviceNumber: string;
  propagation: Propagation;
  logger?: Logger;
}

// jaeger-client's own reader of JAEGER_TAGS; it skips the variable when given tags of ours.
const { default: ConfigurationEnv } = require('jaeger-client/dist/src/configuration_env') as {
  default: { _parseTagsFromEnv(options: object): Record<string, string> };
};

/** The process tags: JAEGER_TAGS, as jaeger-client reads it, and the service's own. */
export function processTags(propagation: Propagation): Record<string, string> {
  return { ...ConfigurationEnv._parseTagsFromEnv({}), 'trace.propagation': propagation };
}

/** jaeger-client reads the JAEGER_* variables from process.env itself. */
export function createJaegerClientTracer({ serviceNumber, propagation, logger = stderrLogger }: JaegerClientOptions): JaegerTracer {
  const tracer = initTracerFromEnv(tracingDefaults(serviceNumber, process.env), { logger, tags: processTags(propagation) });
  // JAEGER_DISABLED=true gives opentracing's no-op tracer, which has neither codecs nor close().
  if (typeof tracer.registerInjector !== 'function') {
    return Object.assign(tracer, { registerInjector() {}, registerExtractor() {}, close: (done?: () => void) => done?.() });
  }
  registerB3(tracer);
  readEveryStrategyForm(tracer);
  return tracer;
}

/** Adds the Zipkin B3 codec beside the default uber-trace-id one, so both formats can be read. */
export function registerB3(tracer: JaegerTracer): void {
  const codec = new B3Codec();
  tracer.registerInjector(B3_FORMAT, codec);
  tracer.registerExtractor(B3_FORMAT, codec);
}
