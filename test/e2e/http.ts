import { httpGet } from '../../lib/http';
import { envoyStats } from '../../lib/envoy-admin';

export interface Answer {
  status: number;
  body: string;
  traceId?: string;
  ms: number;
}

/** One GET (no client-side header limits), timed, never hanging past timeoutMs. */
export async function get(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Answer> {
  const answer = await httpGet(url, { headers, timeoutMs });
  return { status: answer.status, body: answer.body, traceId: answer.headers['x-trace-id'] as string | undefined, ms: answer.ms };
}

/** One request after another to a URL; with spacingMs, the i-th at i × spacingMs from the first. */
export async function sendTo(url: string, count: number, headers: Record<string, string> = {}, spacingMs = 0): Promise<Answer[]> {
  const answers: Answer[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = started + i * spacingMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    answers.push(await get(url, headers));
  }
  return answers;
}

/** One counter from an Envoy admin /stats endpoint. */
export async function envoyStat(admin: string, name: string): Promise<number> {
  const value = (await envoyStats(admin, `^${name.replace(/\./g, '\\.')}$`))[name];
  if (value === undefined) throw new Error(`no stat ${name} at ${admin}`);
  return value;
}
