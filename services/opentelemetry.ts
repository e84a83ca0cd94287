/**
 * The OpenTelemetry tracer, behind the OpenTracing shim: app.ts and downstream.ts
 * keep their OpenTracing code, and the spans go out as OTLP.
 *
 *   - spans: batched (OTEL_BSP_* variables) and sent as OTLP protobuf over HTTP to
 *     OTEL_EXPORTER_OTLP_ENDPOINT (Jaeger's :4318); close() sends what is left;
 *   - context: W3C traceparent/tracestate and baggage written; read too, or else a
 *     Jaeger uber-trace-id, so a caller on jaeger-client that calls the service
 *     directly still joins (direct calls only: every Zipkin and OpenTelemetry Envoy
 *     removes uber-trace-id from what it forwards);
 *   - sampling: OTEL_TRACES_SAMPLER as the SDK reads it, plus jaeger_remote, which
 *     asks Jaeger's :5778 like jaeger-client does (the JS SDK has no such value).
 */
import { Context, diag, DiagLogLevel, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, setGlobalErrorHandler, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { JaegerRemoteSampler } from '@opentelemetry/sampler-jaeger-remote';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { TracerShim } from '@opentelemetry/shim-opentracing';
import { JaegerRemoteSampling } from './config';
import { readStrategy } from './sampling';

/**
 * Writes W3C trace context and baggage; reads them, or else Jaeger's uber-trace-id and uberctx-*
 * baggage, which only a direct call can bring: every Zipkin and OpenTelemetry Envoy removes uber-trace-id.
 */
export class W3CPropagator implements TextMapPropagator {
  private readonly w3c = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  // The composite reads in order and the last context found wins: W3C over Jaeger.
  private readonly reader = new CompositePropagator({ propagators: [new JaegerPropagator(), new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.w3c.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.reader.extract(context, carrier, getter);
  }

  fields(): string[] {
    return this.w3c.fields();
  }
}

/**
 * Jaeger's remote sampler, reading both forms of Jaeger's answer (see sampling.ts):
 * on its own it understands only the string strategyType that Jaeger 2.16 and later send.
 */
export function jaegerRemoteSampler(settings: JaegerRemoteSampling, serviceName: string): JaegerRemoteSampler {
  const sampler = new JaegerRemoteSampler({
    endpoint: settings.endpoint,
    serviceName,
    poolingInterval: settings.pollingIntervalMs,
    initialSampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.initialSamplingRate) }),
  });
  const fetchAnswer = sampler['getSamplerConfig'].bind(sampler);
  sampler['getSamplerConfig'] = async (service?: string) => readStrategy(await fetchAnswer(service));
  return sampler;
}

/** One line for each thing the SDK has to say, without stack traces. */
function describe(value: unknown): string {
  if (value instanceof Error) {
    const { cause } = value as { cause?: { code?: string; message?: string } };
    const reason = cause?.code ?? cause?.message;
    return reason ? `${value.message} (${reason})` : value.message;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export interface OpenTelemetryOptions {
  serviceName: string;
  /** Set when OTEL_TRACES_SAMPLER is jaeger_remote; otherwise the SDK reads OTEL_TRACES_SAMPLER itself. */
  jaegerRemote?: JaegerRemoteSampling;
  /** Where the spans go; OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT unless given. */
  processor?: SpanProcessor;
  log?: (line: string) => void;
}

export type OpenTelemetryTracer = TracerShim & { close(done?: () => void): void };

export function createOpenTelemetryTracer({ serviceName, jaegerRemote, processor, log = console.error }: OpenTelemetryOptions): OpenTelemetryTracer {
  const sampler: Sampler | undefined = jaegerRemote ? jaegerRemoteSampler(jaegerRemote, serviceName) : undefined;
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over the default name.
    resource: defaultResource()
      .merge(resourceFromAttributes({ 'service.name': serviceName, 'trace.propagation': 'w3c' }))
      .merge(detectResources({ detectors: [envDetector] })),
    ...(sampler ? { sampler } : {}),
    spanProcessors: [processor ?? new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Set after the provider: the SDK's own reading of OTEL_TRACES_SAMPLER warns about jaeger_remote, handled above.
  diag.setLogger(
    {
      error: (message, ...args) => log(`opentelemetry: ${[message, ...args.map(describe)].join(': ')}`),
      warn: (message, ...args) => log(`opentelemetry: ${[message, ...args.map(describe)].join(': ')}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  setGlobalErrorHandler((err) => log(`opentelemetry: could not send spans: ${describe(err)}`));

  const propagator = new W3CPropagator();
  const shim = new TracerShim(provider.getTracer(serviceName), { textMapPropagator: propagator, httpHeadersPropagator: propagator });
  return Object.assign(shim, {
    /** Sends every finished span that is still waiting, then stops. */
    close(done?: () => void) {
      provider.shutdown().then(
        () => done?.(),
        (err: unknown) => {
          log(`opentelemetry: could not send the last spans: ${describe(err)}`);
          done?.();
        },
      );
    },
  });
}
