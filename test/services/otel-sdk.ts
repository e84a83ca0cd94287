/**
 * The OpenTelemetry SDK as instrumentation.ts starts it, with its spans kept in
 * memory. A test file imports this first, before anything that loads http or
 * Express, as a service loads instrumentation.js before the app.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import fetch from 'node-fetch';
import type { RequestInit, Response } from 'node-fetch';
import { startOpenTelemetry } from '../../services/opentelemetry';

export const exporter = new InMemorySpanExporter();
export const sdkLog: string[] = [];
export const sdk = startOpenTelemetry({
  serviceName: 'service1',
  sampler: { name: 'parentbased_always_on' },
  batch: { scheduledDelayMillis: 1000, maxExportBatchSize: 512 },
  processor: new SimpleSpanProcessor({ exporter }),
  log: (line) => sdkLog.push(line),
});

/** A request from the test itself, which the instrumentation leaves alone: no client span, no context written. */
export const untracedFetch = (url: string, init?: RequestInit): Promise<Response> => context.with(suppressTracing(context.active()), () => fetch(url, init));

export const finished = (): ReadableSpan[] => exporter.getFinishedSpans();
