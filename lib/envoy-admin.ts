/** Counters from an Envoy admin /stats endpoint. */
import { httpGet } from './http';

export async function envoyStats(admin: string, filter: string): Promise<Record<string, number>> {
  const { body } = await httpGet(`${admin}/stats?filter=${encodeURIComponent(filter)}`, { timeoutMs: 3000 });
  const stats: Record<string, number> = {};
  for (const line of body.split('\n')) {
    const match = /^([^:]+): (\d+)$/.exec(line);
    if (match) stats[match[1]] = Number(match[2]);
  }
  return stats;
}
