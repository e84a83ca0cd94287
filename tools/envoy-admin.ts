/** Counters from an Envoy admin /stats endpoint. */
export async function envoyStats(admin: string, filter: string): Promise<Record<string, number>> {
  const res = await fetch(`${admin}/stats?filter=${encodeURIComponent(filter)}`, { signal: AbortSignal.timeout(3000) });
  const stats: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const match = /^([^:]+): (\d+)$/.exec(line);
    if (match) stats[match[1]] = Number(match[2]);
  }
  return stats;
}
