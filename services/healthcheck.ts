/**
 * The container health check: healthy when both the sidecar Envoy and the
 * service answer. It talks to each directly, so it never creates a trace.
 */
import fetch from 'node-fetch';

/** The sidecar's admin port, as service-envoy-jaeger.yaml fixes it (a test holds the two together). */
export const SIDECAR_ADMIN_PORT = 8001;

export function healthUrls(env: NodeJS.ProcessEnv): string[] {
  return [`http://127.0.0.1:${SIDECAR_ADMIN_PORT}/ready`, `http://${env.HOST || '127.0.0.1'}:${env.PORT || 8080}/healthz`];
}

async function main(): Promise<void> {
  for (const url of healthUrls(process.env)) {
    const res = await fetch(url, { timeout: 2000 });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`unhealthy: ${err.message}`);
      process.exit(1);
    },
  );
}
