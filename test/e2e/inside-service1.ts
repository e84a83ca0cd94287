/**
 * Requests that service1 answers as the root of their traces, made from inside its container,
 * past the sidecar (with Zipkin and OpenTelemetry, Envoy samples by its own settings; service1
 * decides for the traces it starts). `run` runs node with the arguments given in that container
 * (`docker compose exec`, `kubectl exec`) and returns what it printed.
 */
import type { Answer } from './http';
import type { SamplingSubject } from './target';

const SCRIPT = `(async () => { const out = []; const first = performance.now();
  for (let i = 0; i < Number(process.argv[1]); i++) {
    const wait = first + i * Number(process.argv[3]) - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const started = performance.now();
    const r = await fetch('http://127.0.0.1:8080/service/1', { headers: JSON.parse(process.argv[2]) });
    out.push({ status: r.status, body: await r.text(), traceId: r.headers.get('x-trace-id') ?? undefined, ms: performance.now() - started });
  }
  console.log(JSON.stringify(out)); })()`;

export function insideService1(run: (nodeArgs: string[]) => string): SamplingSubject {
  return {
    service: 'service1',
    async send(count, headers = {}, spacingMs = 0) {
      return JSON.parse(run(['-e', SCRIPT, String(count), JSON.stringify(headers), String(spacingMs)])) as Answer[];
    },
  };
}
