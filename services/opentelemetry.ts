/**
 * The OpenTelemetry SDK, as TRACER=opentelemetry runs it. instrumentation.ts starts
 * it before the app loads, so the instrumentation can patch http:
 *
 *   - spans: the http instrumentation makes the server span of every request
 *     (/healthz aside) and the client span of the call downstream, and names the
 *     server span after the route the app puts in the request's RPC metadata
 *     (tracing-opentelemetry.ts). The Express instrumentation is not loaded: it
 *     would only name the route, and its middleware and router spans have no
 *     place in the seven-hop trace (docs/versions.md);
 *   - context: W3C traceparent, tracestate and baggage, read from the request and
 *     written on the call by the instrumentation, through the active context;
 *   - batching: OTEL_BSP_* from config.ts, OTLP protobuf over HTTP to
 *     OTEL_EXPORTER_OTLP_ENDPOINT, which the exporter reads itself;
 *   - sampling: OTEL_TRACES_SAMPLER from config.ts, jaeger_remote asking Jaeger.
 */
import { context, diag, DiagLogLevel, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { Context, Span as ApiSpan } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, setGlobalErrorHandler, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import os from 'node:os';
import { detectResources, envDetector, resourceFromAttributes, serviceInstanceIdDetector } from '@opentelemetry/resources';
import { JaegerRemoteSampler } from '@opentelemetry/sampler-jaeger-remote';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Sampler, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { BAGGAGE_KEY } from './labs';
import { JaegerRemoteSampling, OtelBatch, OtelSampler } from './config';
import { readStrategy } from './sampling';

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

/** The sampler OTEL_TRACES_SAMPLER names, as the OpenTelemetry specification defines each value. */
export function samplerFor(setting: OtelSampler, serviceName: string): Sampler {
  switch (setting.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(setting.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(setting.ratio) });
    case 'jaeger_remote':
      return jaegerRemoteSampler(setting.remote, serviceName);
  }
}

/**
 * Records the baggage item of the baggage lab on every server span, as `baggage.tenant`,
 * the tag the jaeger-client variants write. (@opentelemetry/baggage-span-processor does
 * this for every item under the item's own name, and depends on the 2.x SDK.)
 */
export class BaggageTagger implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    if (span.kind !== SpanKind.SERVER) return;
    const entry = propagation.getBaggage(parentContext)?.getEntry(BAGGAGE_KEY);
    if (entry) span.setAttribute(`baggage.${BAGGAGE_KEY}`, entry.value);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** What the app's tracing puts in the context for the call downstream: its span's name and tags. */
export interface OutgoingCall {
  name: string;
  attributes: Record<string, string>;
}

const OUTGOING_CALL = Symbol('the call downstream');

/** The context to make the call downstream in: `from`, with the call's name and tags for its client span. */
export function withOutgoingCall(from: Context, call: OutgoingCall): Context {
  return from.setValue(OUTGOING_CALL, call);
}

/** Names the instrumentation's client span and adds the call's tags, where the call said so. */
function describeOutgoingCall(span: ApiSpan): void {
  const call = context.active().getValue(OUTGOING_CALL) as OutgoingCall | undefined;
  if (!call) return;
  span.updateName(call.name);
  span.setAttributes(call.attributes);
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
  sampler: OtelSampler;
  batch: OtelBatch;
  /** Where the spans go; batched OTLP over HTTP unless given (tests give an in-memory exporter). */
  processor?: SpanProcessor;
  log?: (line: string) => void;
}

export interface OpenTelemetrySdk {
  provider: TracerProvider;
  /** Sends every finished span that is still waiting, then stops. */
  shutdown(): Promise<void>;
}

/** What the SDK has to say (a failed batch, a failed sampling poll), one line each, to log. */
export function routeSdkLogs(log: (line: string) => void): void {
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
}

let started: OpenTelemetrySdk | undefined;

/** The SDK instrumentation.ts started in this process, if it did. */
export const startedSdk = (): OpenTelemetrySdk | undefined => started;

/** Starts the SDK for the whole process: tracer provider, context, propagation and instrumentation. */
export function startOpenTelemetry({ serviceName, sampler, batch, processor, log = console.error }: OpenTelemetryOptions): OpenTelemetrySdk {
  if (started) throw new Error('the OpenTelemetry SDK is already started in this process');
  routeSdkLogs(log);
  const provider = new TracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over the default name.
    // host.name tells the replicas of a service apart (on Kubernetes, the pod's name), as
    // jaeger-client's hostname tag does.
    resource: resourceFromAttributes({ 'service.name': serviceName, 'host.name': os.hostname() })
      .merge(detectResources({ detectors: [serviceInstanceIdDetector, envDetector] })),
    sampler: samplerFor(sampler, serviceName),
    spanProcessors: [new BaggageTagger(), processor ?? new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batch })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  const instrumentations = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // The container's health check, every few seconds, is not a request worth a trace.
        ignoreIncomingRequestHook: (req) => req.url === '/healthz',
        // Called for both directions; only an outgoing request (a ClientRequest) has getHeader.
        requestHook: (span, request) => {
          if ('getHeader' in request) describeOutgoingCall(span);
        },
      }),
    ],
  });
  started = {
    provider,
    async shutdown() {
      instrumentations();
      await provider.shutdown();
    },
  };
  return started;
}
