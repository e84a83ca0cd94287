/**
 * Loaded before the app, as OpenTelemetry's Node documentation sets it up:
 *
 *   node --require ./dist/services/instrumentation.js dist/services/server.js
 *
 * With TRACER=opentelemetry it starts the SDK (opentelemetry.ts), so that its
 * instrumentation patches http before the app loads it. With any
 * other tracer, or OTEL_SDK_DISABLED=true, it does nothing. A bad setting is
 * left to server.ts, which stops with one line that names it.
 */
import { ConfigError, loadConfig } from './config';
import { startOpenTelemetry } from './opentelemetry';

function configured() {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) return undefined;
    throw err;
  }
}

const config = configured();
if (config?.otel && !config.otelDisabled) {
  startOpenTelemetry({ serviceName: `service${config.serviceNumber}`, ...config.otel });
}
