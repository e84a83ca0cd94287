/**
 * The container health check: healthy when both the sidecar Envoy and the
 * service answer. It talks to each directly, so it never creates a trace.
 */
import fetch from 'node-fetch';

const checks = [
  `http://127.0.0.1:${process.env.ENVOY_ADMIN_PORT || 8001}/ready`,
  `http://${process.env.HOST || '127.0.0.1'}:${process.env.PORT || 8080}/healthz`,
];

async function main(): Promise<void> {
  for (const url of checks) {
    const res = await fetch(url, { timeout: 2000 });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`unhealthy: ${err.message}`);
    process.exit(1);
  },
);
