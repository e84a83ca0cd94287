/**
 * The container health check: healthy when both the sidecar Envoy and the
 * service answer. It talks to each directly, so it never creates a trace.
 * `healthcheck.js sidecar` or `healthcheck.js app` checks one of the two, for a
 * pod that runs them as two containers, each with its own probes (k8s/base/service).
 */
import fetch from 'node-fetch';

/** The sidecar's admin port, as service-envoy-jaeger.yaml fixes it (a test holds the two together). */
export const SIDECAR_ADMIN_PORT = 8001;

export type HealthPart = 'sidecar' | 'app';

export function healthUrls(env: NodeJS.ProcessEnv, part?: string): string[] {
  const urls: Record<HealthPart, string> = {
    sidecar: `http://127.0.0.1:${SIDECAR_ADMIN_PORT}/ready`,
    app: `http://${env.HOST || '127.0.0.1'}:${env.PORT || 8080}/healthz`,
  };
  if (part === undefined) return [urls.sidecar, urls.app];
  if (part !== 'sidecar' && part !== 'app') throw new Error(`the argument must be sidecar or app (none checks both), got '${part}'`);
  return [urls[part]];
}

async function main(): Promise<void> {
  for (const url of healthUrls(process.env, process.argv[2])) {
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
