/**
 * The sandbox as processes on this machine: one table of "containers", their
 * loopback addresses and what runs in each. Every port stays as shipped, because
 * each container gets its own 127.0.0.x address; front-envoy, jaeger and prometheus share
 * 127.0.0.1, so localhost:8000 and :8001 work as they do with Compose. :16686 is
 * Jaeger's query API, as there, but the Jaeger built from its Go module serves a
 * placeholder page instead of the UI.
 */
export type ContainerName = 'front-envoy' | 'service1' | 'service2' | 'jaeger' | 'prometheus';

export const ADDRESSES: Record<ContainerName, string> = {
  'front-envoy': '127.0.0.1',
  jaeger: '127.0.0.1',
  prometheus: '127.0.0.1',
  service1: '127.0.0.2',
  service2: '127.0.0.3',
};

/** Where the harness's ports are, for tests and tools. */
export const PORTS = {
  proxy: 8000,
  envoyAdmin: 8001,
  sidecarIngress: 8000,
  sidecarEgress: 9000,
  service: 8080,
  jaegerQuery: 16686,
  jaegerSampling: 5778,
  jaegerZipkin: 9411,
  jaegerOtlpHttp: 4318,
  jaegerHealth: 13133,
  /** Where Jaeger's spanmetrics are scraped (its prometheus exporter). */
  jaegerMetrics: 8889,
  prometheus: 9090,
} as const;

export const PROXY_URL = `http://${ADDRESSES['front-envoy']}:${PORTS.proxy}`;
export const FRONT_ADMIN_URL = `http://${ADDRESSES['front-envoy']}:${PORTS.envoyAdmin}`;
export const JAEGER_QUERY_URL = `http://${ADDRESSES.jaeger}:${PORTS.jaegerQuery}`;
export const JAEGER_SAMPLING_URL = `http://${ADDRESSES.jaeger}:${PORTS.jaegerSampling}`;
export const PROMETHEUS_URL = `http://${ADDRESSES.prometheus}:${PORTS.prometheus}`;

export function isContainer(name: string): name is ContainerName {
  return name in ADDRESSES;
}

/**
 * Transformation 1: an address as written inside a container, seen from this
 * machine. A compose hostname becomes that container's address; the container's
 * own loopback and wildcard become its own address.
 */
export function localAddress(address: string, inside: ContainerName): string {
  if (isContainer(address)) return ADDRESSES[address];
  if (address === '127.0.0.1' || address === '0.0.0.0' || address === 'localhost') return ADDRESSES[inside];
  return address;
}

/**
 * The same transformation for "host:port", URLs, and either inside a list of
 * settings ("endpoint=http://jaeger:5778,pollingIntervalMs=5000").
 */
export function localHostPort(value: string, inside: ContainerName): string {
  return value.replace(/(^|[=,])(\w+:\/\/)?([^:/=,\s]+)(?=:\d)/g, (_m, before: string, scheme: string | undefined, host: string) =>
    `${before}${scheme ?? ''}${localAddress(host, inside)}`,
  );
}
