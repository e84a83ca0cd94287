import http from 'node:http';
import { envoyStats } from '../../tools/envoy-admin';

export interface Answer {
  status: number;
  body: string;
  traceId?: string;
  ms: number;
}

/** One GET with node:http (no client-side header limits), timed, never hanging past timeoutMs. */
export function get(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          traceId: res.headers['x-trace-id'] as string | undefined,
          ms: performance.now() - started,
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} took longer than ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** One request after another to a URL. */
export async function sendTo(url: string, count: number, headers: Record<string, string> = {}): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i++) answers.push(await get(url, headers));
  return answers;
}

/** One counter from an Envoy admin /stats endpoint. */
export async function envoyStat(admin: string, name: string): Promise<number> {
  const value = (await envoyStats(admin, `^${name.replace(/\./g, '\\.')}$`))[name];
  if (value === undefined) throw new Error(`no stat ${name} at ${admin}`);
  return value;
}
