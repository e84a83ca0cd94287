/**
 * The service's tracer, chosen by TRACER: jaeger-client (jaeger-client.ts) or the
 * OpenTelemetry SDK behind the OpenTracing shim (opentelemetry.ts). Either way the
 * rest of the service sees an OpenTracing tracer, and close() sends what is left.
 */
import { Tracer } from 'opentracing';
import { Config } from './config';
import { createJaegerClientTracer } from './jaeger-client';
import { createOpenTelemetryTracer } from './opentelemetry';

export type ServiceTracer = Tracer & { close(done?: () => void): void };

export type TracerOptions = Pick<Config, 'serviceNumber' | 'propagation' | 'tracer' | 'jaegerRemote' | 'otelDisabled'>;

export function createTracer({ serviceNumber, propagation, tracer, jaegerRemote, otelDisabled }: TracerOptions): ServiceTracer {
  if (tracer === 'opentelemetry') {
    // OpenTracing's own no-op tracer: spans without ids, nothing sent.
    if (otelDisabled) return Object.assign(new Tracer(), { close: (done?: () => void) => done?.() });
    return createOpenTelemetryTracer({ serviceName: `service${serviceNumber}`, jaegerRemote });
  }
  return createJaegerClientTracer({ serviceNumber, propagation });
}
