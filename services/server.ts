/**
 * Entry point: config -> tracer -> app -> listen. On SIGTERM/SIGINT it stops
 * accepting, lets in-flight requests finish, flushes the spans and exits.
 */
import { promises as dns } from 'node:dns';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import fetch from 'node-fetch';
import { createApp } from './app';
import { Config, ConfigError, loadConfig } from './config';
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

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`service${config.serviceNumber}: ${signal}, finishing in-flight requests`);
    const deadline = setTimeout(() => {
      console.error(`service${config.serviceNumber}: in-flight requests still open after ${config.shutdownTimeoutMs} ms, closing them`);
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    deadline.unref();
    // Keep-alive connections (Envoy keeps its upstream ones) would hold close() open until they
    // time out; close each one as soon as its last request is answered.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.close(() => {
      clearInterval(sweep);
      tracer.close(() => {
        console.log(`service${config.serviceNumber}: spans flushed, bye`);
        process.exit(0);
      });
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(`fatal: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
