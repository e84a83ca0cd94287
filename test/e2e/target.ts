/**
 * What the end-to-end tests run against: the local topology (real Envoy and
 * Jaeger as processes, the default) or `docker compose up --build --wait`
 * (E2E_TARGET=compose, see compose-target.ts), in the variant E2E_VARIANT names.
 * Both expose the same handles, so the assertions are the same.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig, Propagation } from '../../services/config';
import type { ContainerName } from '../../topology/topology';
import { serviceEnvironment, ServiceTracerName, Variant } from '../../topology/variants';
import { JaegerClient } from '../../tools/jaeger';
import { Answer } from './http';

export type { Propagation };

/** The context format the variant's services write, as their own configuration reads their Compose environment. */
export function variantPropagation(variant: Variant): Propagation {
  return loadConfig(serviceEnvironment(variant, 'service1')).propagation;
}

/**
 * Headers that make a service keep the trace whatever its sampling rate: jaeger-client's
 * jaeger-debug-id, or for the OpenTelemetry SDK, which has none, a sampled traceparent
 * (its sampler follows a sampled parent). The trace id is the answer's x-trace-id.
 */
export function forcingHeaders(propagation: Propagation): Record<string, string> {
  if (propagation === 'w3c') return { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` };
  return { 'jaeger-debug-id': `sampling-marker-${randomUUID()}` };
}

export interface SamplingSubject {
  /** The service whose strategy decides. */
  service: string;
  /**
   * Sends requests that this service answers as the root of their traces, one after another, or
   * with spacingMs, the i-th at i × spacingMs from the first (a paced load).
   */
  send(count: number, headers?: Record<string, string>, spacingMs?: number): Promise<Answer[]>;
}


export interface Target {
  name: string;
  /** The context format the sandbox's Envoys read and write: Jaeger's plugin, Zipkin's B3, or OpenTelemetry's W3C. */
  propagation: Propagation;
  /** The services' TRACER: explicit spans on jaeger-client, or OpenTelemetry's instrumentation. */
  servicesTracer: ServiceTracerName;
  proxy: string;
  /** The front Envoy's admin page. */
  frontAdmin: string;
  jaeger: JaegerClient;
  samplingUrl: string;
  sampling: SamplingSubject;
  /** The admin URL of a service's sidecar, where reachable. */
  sidecarAdmin(container: 'service1' | 'service2'): string | undefined;
  readStrategies(): string;
  /** Resolves once Jaeger's copy is the new one (a ConfigMap reaches its pod at the kubelet's next sync). */
  writeStrategies(json: string): void | Promise<void>;
  stop(container: ContainerName): Promise<void>;
  start(container: ContainerName): Promise<void>;
  /** SIGTERM to the service process only: it must drain while its sidecar keeps running. */
  terminateService(container: 'service1' | 'service2'): Promise<void>;
  /** True while all of the container's processes run. */
  running(container: ContainerName): boolean;
  logs(): string;
  close(): Promise<void>;
}
