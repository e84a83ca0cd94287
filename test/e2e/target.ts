/**
 * What the end-to-end tests run against: the local topology (real Envoy and
 * Jaeger as processes, the default) or `docker compose up --build --wait`
 * (E2E_TARGET=compose, see compose-target.ts). Both expose the same handles,
 * so the assertions are the same.
 */

import { JaegerClient } from '../../tools/jaeger';
import { Answer } from './http';

export type Container = 'front-envoy' | 'service1' | 'service2' | 'jaeger';

export interface SamplingSubject {
  /** The service whose strategy decides. */
  service: string;
  /** Sends requests that this service answers as the root of their traces. */
  send(count: number, headers?: Record<string, string>): Promise<Answer[]>;
}


export interface Target {
  name: string;
  /** The context format the sandbox's Envoys read and write: Jaeger's plugin, or Zipkin's B3. */
  propagation: 'jaeger' | 'b3';
  proxy: string;
  jaeger: JaegerClient;
  samplingUrl: string;
  sampling: SamplingSubject;
  /** The admin URL of a service's sidecar, where reachable. */
  sidecarAdmin(container: 'service1' | 'service2'): string | undefined;
  readStrategies(): string;
  writeStrategies(json: string): void;
  stop(container: Container): Promise<void>;
  start(container: Container): Promise<void>;
  /** SIGTERM to the service process only: it must drain while its sidecar keeps running. */
  terminateService(container: 'service1' | 'service2'): Promise<void>;
  /** True while all of the container's processes run. */
  running(container: Container): boolean;
  logs(): string;
  close(): Promise<void>;
}
