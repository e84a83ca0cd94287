/**
 * The service's configuration, read once from the environment and validated.
 * Tracing uses jaeger-client's own JAEGER_* variables; they are checked here so
 * a bad value stops start-up with one line instead of a stack trace later.
 */
export type Propagation = 'jaeger' | 'b3';

export interface Config {
  /** "1" or "2": which service this process plays. */
  serviceNumber: string;
  host: string;
  port: number;
  /** Where /trace/:n calls next; undefined makes this service a leaf. */
  downstreamUrl?: string;
  downstreamTimeoutMs: number;
  /** Which trace headers this service writes: uber-trace-id or the x-b3-* family. */
  propagation: Propagation;
  /** Milliseconds to wait for in-flight requests on shutdown before giving up. */
  shutdownTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
}

/**
 * The least time the service keeps an idle keep-alive connection, and its default
 * (Node's own). The sidecar's local_service cluster closes its idle connections
 * sooner (idle_timeout 4s), so Envoy never sends a request on a connection Node is
 * closing.
 */
export const MIN_KEEP_ALIVE_TIMEOUT_MS = 5_000;

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const SAMPLER_TYPES = ['const', 'probabilistic', 'ratelimiting', 'remote'];

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an http:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:') throw new ConfigError(name, `must be an http:// URL, got "${raw}"`);
  return raw;
}

/** Checks the JAEGER_* variables jaeger-client reads, which it would otherwise misread silently. */
function checkJaegerEnv(env: Env): void {
  oneOf(env, 'JAEGER_SAMPLER_TYPE', SAMPLER_TYPES, 'remote');
  const param = env.JAEGER_SAMPLER_PARAM;
  if (param !== undefined && param !== '' && !Number.isFinite(Number(param))) {
    throw new ConfigError('JAEGER_SAMPLER_PARAM', `must be a number, got "${param}"`);
  }
  integer(env, 'JAEGER_AGENT_PORT', 6832, 1, 65535);
  integer(env, 'JAEGER_SAMPLER_REFRESH_INTERVAL', 60000, 100, 86_400_000);
  integer(env, 'JAEGER_REPORTER_FLUSH_INTERVAL', 1000, 1, 60_000);
  const hostPort = env.JAEGER_SAMPLER_MANAGER_HOST_PORT;
  if (hostPort !== undefined && hostPort !== '') {
    // jaeger-client keeps only the host and port of this value: a path here would be dropped silently.
    if (/^(https?:\/\/)?[^\s/:]+:\d{1,5}\/./.test(hostPort)) {
      throw new ConfigError('JAEGER_SAMPLER_MANAGER_HOST_PORT', `must be host:port without a path (set the path in JAEGER_SAMPLER_SAMPLING_PATH), got "${hostPort}"`);
    }
    if (!/^(https?:\/\/)?[^\s/:]+:\d{1,5}\/?$/.test(hostPort)) {
      throw new ConfigError('JAEGER_SAMPLER_MANAGER_HOST_PORT', `must look like host:port, got "${hostPort}"`);
    }
  }
  const tags = env.JAEGER_TAGS;
  // jaeger-client splits on "," then "=", and throws on an item without "=" or keeps half of one with two.
  if (tags !== undefined && tags !== '' && !tags.split(',').every((item) => /^\s*[^=\s][^=]*=[^=]*$/.test(item))) {
    throw new ConfigError('JAEGER_TAGS', `must be key=value pairs separated by commas, got "${tags}"`);
  }
}

export function loadConfig(env: Env = process.env): Config {
  const serviceNumber = env.SERVICE_NAME ?? '';
  if (!/^[1-9]\d{0,2}$/.test(serviceNumber)) {
    throw new ConfigError('SERVICE_NAME', `must be the service number (1, 2, ...), got "${serviceNumber}"`);
  }
  const host = env.HOST || '127.0.0.1';
  checkJaegerEnv(env);
  return {
    serviceNumber,
    host,
    port: integer(env, 'PORT', 8080, 0, 65535),
    downstreamUrl: httpUrl(env, 'DOWNSTREAM_URL'),
    downstreamTimeoutMs: integer(env, 'DOWNSTREAM_TIMEOUT_MS', 2000, 1, 600_000),
    propagation: oneOf(env, 'TRACE_PROPAGATION', ['jaeger', 'b3'] as const, 'jaeger'),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', MIN_KEEP_ALIVE_TIMEOUT_MS, MIN_KEEP_ALIVE_TIMEOUT_MS, 3_600_000),
  };
}
