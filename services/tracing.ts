/**
 * The seam between the app and its tracing. TRACER picks one of two styles, each
 * in a module of its own:
 *
 *   jaeger-client  (tracing-opentracing.ts): explicit OpenTracing spans; the
 *                  service extracts the caller's context, starts its spans and
 *                  injects the context into its call, by hand;
 *   opentelemetry  (tracing-opentelemetry.ts): OpenTelemetry's instrumentation of
 *                  http, started before the app loads
 *                  (instrumentation.ts), makes the spans and carries the context
 *                  itself; the style only adds what the sandbox shows beside it.
 *
 * Both give the app the same seam, tracing-style.ts.
 */
import { Config, ConfigError } from './config';
import { createJaegerClientTracer } from './jaeger-client';
import { startedSdk } from './opentelemetry';
import { openTelemetryStyle } from './tracing-opentelemetry';
import { openTracingStyle } from './tracing-opentracing';
import type { Tracing } from './tracing-style';

export function createTracing(config: Pick<Config, 'serviceNumber' | 'propagation' | 'tracer' | 'otelDisabled'>): Tracing {
  if (config.tracer === 'jaeger-client') {
    const propagation = config.propagation === 'b3' ? 'b3' : 'jaeger';
    return openTracingStyle(createJaegerClientTracer({ serviceNumber: config.serviceNumber, propagation }), propagation);
  }
  const sdk = startedSdk();
  if (!sdk && !config.otelDisabled) {
    throw new ConfigError('TRACER', 'is opentelemetry, but the SDK was not started before the app: run node --require ./dist/services/instrumentation.js dist/services/server.js');
  }
  return openTelemetryStyle(sdk);
}
