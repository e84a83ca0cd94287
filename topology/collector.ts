/**
 * The collector's side of the local topology, read from the files Compose uses: where Jaeger
 * listens and how long it keeps spans (jaeger/config.yaml), the check its start script makes
 * (jaeger/start-jaeger.sh), and Prometheus's config and flags as they run on this machine.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { Listen } from './ports';
import { ADDRESSES, localHostPort, PORTS } from './topology';

/**
 * Checks Jaeger's sampling settings the way its start does (start-jaeger.sh --check), so a bad
 * one stops the sandbox before anything starts, with the script's one-line reason.
 */
export function checkJaegerStart(script: string, env: Record<string, string>): void {
  const run = spawnSync('sh', [script, '--check'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  if (run.error) throw new Error(`cannot run sh ${script} (${run.error.message})`);
  if (run.status !== 0) throw new Error(run.stderr.trim().split('\n').slice(-1)[0] || `${script} --check exited with ${run.status}`);
}

/**
 * Where Jaeger listens: every endpoint of its config, the Thrift-over-UDP receivers as UDP.
 * A metrics backend's endpoint is where Jaeger reads from, not where it listens.
 */
export function jaegerListens(config: string, host: string): Listen[] {
  const listens: Listen[] = [];
  const visit = (node: unknown, keys: string[]) => {
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'metric_backends') continue;
      if (key === 'endpoint' && typeof value === 'string') {
        const port = Number(/:(\d+)$/.exec(value)?.[1]);
        const udp = keys.includes('thrift_compact') || keys.includes('thrift_binary');
        listens.push({ owner: `jaeger ${keys.join('.')}`, host, port, protocol: udp ? 'udp' : 'tcp' });
      } else visit(value, [...keys, key]);
    }
  };
  const parsed = parse(config);
  visit({ extensions: parsed.extensions, receivers: parsed.receivers, exporters: parsed.exporters }, []);
  return listens;
}

/**
 * Workaround: Badger 4.8 (Jaeger 2.13) refuses to open a folder that holds an empty memtable
 * file (`while opening memtables err: while opening fid: N err: Create a new file`), which a
 * Badger stopped right after it made the file leaves behind (dgraph-io/badger#2207; the fix,
 * badger#2331, is in no release yet). An empty file holds no data, so it is removed before
 * Jaeger starts. Returns the files removed.
 */
export function removeEmptyMemtables(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const empty = names.filter((name) => name.endsWith('.mem') && statSync(path.join(dir, name)).size === 0);
  for (const name of empty) rmSync(path.join(dir, name));
  return empty;
}

/** How long Badger keeps a span (`ttl.spans` of jaeger/config.yaml's Badger backend), in hours. */
export function jaegerRetentionHours(config: string): number {
  const backends = parse(config)?.extensions?.jaeger_storage?.backends ?? {};
  const ttls = Object.values(backends as Record<string, { badger?: { ttl?: { spans?: unknown } } }>).map((b) => b.badger?.ttl?.spans);
  const ttl = ttls.find((t) => t !== undefined);
  const hours = typeof ttl === 'string' ? /^(\d+)h$/.exec(ttl)?.[1] : undefined;
  if (!hours || Number(hours) <= 0) throw new Error(`jaeger config: no Badger backend with ttl.spans in whole hours (got ${JSON.stringify(ttl)})`);
  return Number(hours);
}

/**
 * prometheus/prometheus.yml as it runs here: the scrape target jaeger:8889 becomes Jaeger's
 * address on this machine.
 */
export function localPrometheusConfig(shipped: string): string {
  const config = parse(shipped);
  for (const job of config.scrape_configs ?? []) {
    for (const group of job.static_configs ?? []) group.targets = group.targets.map((t: string) => localHostPort(t, 'prometheus'));
  }
  return stringify(config);
}

/** The Compose file's Prometheus flags, with its two paths moved into the run folder. */
export function localPrometheusArgs(composeCommand: string[], configFile: string, dataDir: string): string[] {
  const moved = composeCommand.map((arg) => {
    if (arg.startsWith('--config.file=')) return `--config.file=${configFile}`;
    if (arg.startsWith('--storage.tsdb.path=')) return `--storage.tsdb.path=${dataDir}`;
    return arg;
  });
  for (const flag of ['--config.file=', '--storage.tsdb.path=']) {
    if (!moved.some((arg) => arg.startsWith(flag))) throw new Error(`docker-compose.yml: prometheus's command has no ${flag}`);
  }
  return [...moved, `--web.listen-address=${ADDRESSES.prometheus}:${PORTS.prometheus}`];
}
