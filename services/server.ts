/**
 * Entry point: config -> tracing -> app -> listen. On SIGTERM/SIGINT it shuts
 * down gracefully (shutdown.ts) and exits.
 */
import { promises as dns } from 'node:dns';
import os from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fetch from 'node-fetch';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { gracefulShutdown } from './shutdown';
import { createTracing } from './tracing';

async function resolveOwnAddress(hostname: string): Promise<string> {
  try {
    return (await dns.lookup(hostname)).address;
  } catch {
    return 'unresolved';
  }
}

export interface Service {
  server: Server;
  /** Finishes in-flight requests, flushes the spans, then resolves. */
  shutdown: (signal: string) => Promise<void>;
}

/** Reads the config, builds the app and listens; rejects with a one-line reason. */
export async function startService(env: NodeJS.ProcessEnv): Promise<Service> {
  const config = loadConfig(env);
  const tracing = createTracing(config);
  const hostname = os.hostname();
  const app = createApp({ config, tracing, fetch, hostname, resolvedHostname: await resolveOwnAddress(hostname) });

  const server = app.listen(config.port, config.host);
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err) => {
      tracing.close(() => {});
      reject(new Error(`service${config.serviceNumber} cannot listen on ${config.host}:${config.port}: ${err.message}`));
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const role = config.downstreamUrl ? `downstream ${config.downstreamUrl}` : 'leaf';
  console.log(`service${config.serviceNumber} listening on ${address}:${port} (${role}, ${config.propagation} headers)`);

  const shutdown = gracefulShutdown({ server, tracing, name: `service${config.serviceNumber}`, timeoutMs: config.shutdownTimeoutMs });
  return { server, shutdown };
}

if (require.main === module) {
  startService(process.env).then(
    ({ shutdown }) => {
      const exit = (signal: string) => void shutdown(signal).then(() => process.exit(0));
      process.on('SIGTERM', () => exit('SIGTERM'));
      process.on('SIGINT', () => exit('SIGINT'));
    },
    (err: Error) => {
      console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : `fatal: ${err.message}`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    },
  );
}
