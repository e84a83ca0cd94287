/**
 * Entry point: config -> tracer -> app -> listen. On SIGTERM/SIGINT it shuts
 * down gracefully (shutdown.ts) and exits.
 */
import { promises as dns } from 'node:dns';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import fetch from 'node-fetch';
import { createApp } from './app';
import { Config, ConfigError, loadConfig } from './config';
import { gracefulShutdown } from './shutdown';
import { createTracer } from './tracing';

async function resolveOwnAddress(hostname: string): Promise<string> {
  try {
    return (await dns.lookup(hostname)).address;
  } catch {
    return 'unresolved';
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const tracer = createTracer({ serviceNumber: config.serviceNumber, propagation: config.propagation });
  const hostname = os.hostname();
  const app = createApp({ config, tracer, fetch, hostname, resolvedHostname: await resolveOwnAddress(hostname) });

  const server = app.listen(config.port, config.host);
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.on('error', (err) => {
    console.error(`service${config.serviceNumber} cannot listen on ${config.host}:${config.port}: ${err.message}`);
    process.exit(1);
  });
  server.on('listening', () => {
    const { address, port } = server.address() as AddressInfo;
    const role = config.downstreamUrl ? `downstream ${config.downstreamUrl}` : 'leaf';
    console.log(`service${config.serviceNumber} listening on ${address}:${port} (${role}, ${config.propagation} headers)`);
  });

  const shutdown = gracefulShutdown({ server, tracer, name: `service${config.serviceNumber}`, timeoutMs: config.shutdownTimeoutMs });
  const exit = (signal: string) => void shutdown(signal).then(() => process.exit(0));
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
}

main().catch((err) => {
  console.error(`fatal: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
