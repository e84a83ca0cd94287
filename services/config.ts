/**
 * The service's configuration, read once from the environment and validated.
 * TRACER picks the tracer: jaeger-client reads its own JAEGER_* variables; the
 * OpenTelemetry SDK (3.x reads only its exporter's OTEL_EXPORTER_* variables
 * itself) is built from the OTEL_* ones read here. Both sets are checked, so a
 * bad value stops start-up with one line instead of a stack trace later.
 */
export type TracerKind = 'jaeger-client' | 'opentelemetry';
export type Propagation = 'jaeger' | 'b3' | 'w3c';

/** The header formats each tracer writes; the first is its default. */
export const PROPAGATIONS: Record<TracerKind, readonly Propagation[]> = {
  'jaeger-client': ['jaeger', 'b3'],
  opentelemetry: ['w3c'],
};

/** OTEL_TRACES_SAMPLER=jaeger_remote with its OTEL_TRACES_SAMPLER_ARG, as the OpenTelemetry specification names them. */
export interface JaegerRemoteSampling {
  /** Jaeger's sampling endpoint, without /sampling. */
  endpoint: string;
  pollingIntervalMs: number;
  /** The share of new traces kept until Jaeger first answers. */
  initialSamplingRate: number;
}

/** OTEL_TRACES_SAMPLER, as the OpenTelemetry specification names its values, with its OTEL_TRACES_SAMPLER_ARG. */
export type OtelSampler =
  | { name: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { name: 'traceidratio' | 'parentbased_traceidratio'; ratio: number }
  | { name: 'jaeger_remote'; remote: JaegerRemoteSampling };

/** The OpenTelemetry SDK's batch of finished spans: OTEL_BSP_SCHEDULE_DELAY and OTEL_BSP_MAX_EXPORT_BATCH_SIZE. */
export interface OtelBatch {
  scheduledDelayMillis: number;
  maxExportBatchSize: number;
}

export interface Config {
  /** "1" or "2": which service this process plays. */
  serviceNumber: string;
  host: string;
  port: number;
  /** Where /trace/:n calls next; undefined makes this service a leaf. */
  downstreamUrl?: string;
  downstreamTimeoutMs: number;
  tracer: TracerKind;
  /** Which trace headers this service writes: uber-trace-id, the x-b3-* family, or traceparent. */
  propagation: Propagation;
  /** With TRACER=opentelemetry: how new traces are sampled, and how finished spans are batched. */
  otel?: { sampler: OtelSampler; batch: OtelBatch };
  /** OTEL_SDK_DISABLED=true: the OpenTelemetry tracer records nothing (as JAEGER_DISABLED does for jaeger-client). */
  otelDisabled?: boolean;
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

const OTEL_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio', 'jaeger_remote'] as const;

/** OTEL_TRACES_SAMPLER_ARG for jaeger_remote: "endpoint=http://jaeger:5778,pollingIntervalMs=5000,initialSamplingRate=1". */
function jaegerRemoteArg(raw: string | undefined): JaegerRemoteSampling {
  const name = 'OTEL_TRACES_SAMPLER_ARG';
  // Each setting is checked under its own name: "OTEL_TRACES_SAMPLER_ARG endpoint".
  const setting = (key: string) => `${name} ${key}`;
  const settings: Env = {};
  for (const item of (raw ?? '').split(',').filter((part) => part.trim() !== '')) {
    const [key, value, extra] = item.split('=').map((part) => part.trim());
    if (value === undefined || extra !== undefined || !['endpoint', 'pollingIntervalMs', 'initialSamplingRate'].includes(key)) {
      throw new ConfigError(name, `must be endpoint=..., pollingIntervalMs=... and initialSamplingRate=... separated by commas, got "${raw}"`);
    }
    settings[setting(key)] = value;
  }
  const endpoint = httpUrl(settings, setting('endpoint')) ?? 'http://localhost:5778';
  const rate = settings[setting('initialSamplingRate')] ?? '0.001';
  if (rate === '' || !(Number(rate) >= 0 && Number(rate) <= 1)) {
    throw new ConfigError(setting('initialSamplingRate'), `must be a number from 0 to 1, got "${rate}"`);
  }
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    pollingIntervalMs: integer(settings, setting('pollingIntervalMs'), 60_000, 100, 86_400_000),
    initialSamplingRate: Number(rate),
  };
}

/** OTEL_TRACES_SAMPLER_ARG for the ratio samplers: a number from 0 to 1, 1 when unset (the specification's default). */
function ratioArg(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  if (!(Number(raw) >= 0 && Number(raw) <= 1)) throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a number from 0 to 1 for a ratio sampler, got "${raw}"`);
  return Number(raw);
}

/** The OTEL_* variables the service builds the SDK from, and the exporter's, which it reads itself. */
function readOtelEnv(env: Env): { sampler: OtelSampler; batch: OtelBatch } {
  httpUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  httpUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  integer(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, 1, 600_000);
  const name = oneOf(env, 'OTEL_TRACES_SAMPLER', OTEL_SAMPLERS, 'parentbased_always_on');
  let sampler: OtelSampler;
  if (name === 'jaeger_remote') sampler = { name, remote: jaegerRemoteArg(env.OTEL_TRACES_SAMPLER_ARG) };
  else if (name === 'traceidratio' || name === 'parentbased_traceidratio') sampler = { name, ratio: ratioArg(env.OTEL_TRACES_SAMPLER_ARG) };
  else sampler = { name };
  return {
    sampler,
    batch: {
      scheduledDelayMillis: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 1, 600_000),
      maxExportBatchSize: integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1, 2048),
    },
  };
}

export function loadConfig(env: Env = process.env): Config {
  const serviceNumber = env.SERVICE_NAME ?? '';
  if (!/^[1-9]\d{0,2}$/.test(serviceNumber)) {
    throw new ConfigError('SERVICE_NAME', `must be the service number (1, 2, ...), got "${serviceNumber}"`);
  }
  const host = env.HOST || '127.0.0.1';
  const tracer = oneOf(env, 'TRACER', ['jaeger-client', 'opentelemetry'] as const, 'jaeger-client');
  const allowed = PROPAGATIONS[tracer];
  const requested = env.TRACE_PROPAGATION;
  if (requested && !(allowed as readonly string[]).includes(requested)) {
    throw new ConfigError('TRACE_PROPAGATION', `must be one of ${allowed.join(', ')} with TRACER=${tracer}, got "${requested}"`);
  }
  const propagation = requested ? (requested as Propagation) : allowed[0];
  let otel: Config['otel'];
  let otelDisabled = false;
  if (tracer === 'opentelemetry') {
    otel = readOtelEnv(env);
    otelDisabled = oneOf(env, 'OTEL_SDK_DISABLED', ['true', 'false'], 'false') === 'true';
  } else checkJaegerEnv(env);
  return {
    serviceNumber,
    host,
    port: integer(env, 'PORT', 8080, 0, 65535),
    downstreamUrl: httpUrl(env, 'DOWNSTREAM_URL'),
    downstreamTimeoutMs: integer(env, 'DOWNSTREAM_TIMEOUT_MS', 2000, 1, 600_000),
    tracer,
    propagation,
    ...(otel ? { otel } : {}),
    ...(otelDisabled ? { otelDisabled } : {}),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', MIN_KEEP_ALIVE_TIMEOUT_MS, MIN_KEEP_ALIVE_TIMEOUT_MS, 3_600_000),
  };
}
