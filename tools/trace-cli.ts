/** `npm run trace -- [TRACE_ID | --last]`: a trace from Jaeger, drawn in the terminal. */
import { parseArgs } from 'node:util';
import { JaegerClient } from './jaeger';
import { waterfall } from './waterfall';

const USAGE = 'usage: npm run trace -- TRACE_ID | --last [--jaeger http://127.0.0.1:16686] [--service front-proxy]';

class UsageError extends Error {}

async function main(): Promise<void> {
  let values: { last?: boolean; jaeger?: string; service?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: { last: { type: 'boolean' }, jaeger: { type: 'string' }, service: { type: 'string' } },
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (${USAGE})`);
  }
  const id = positionals[0];
  if (positionals.length > 1 || (id && values.last) || (!id && !values.last)) throw new UsageError(USAGE);
  if (id && !/^[0-9a-f]{1,32}$/i.test(id)) throw new UsageError(`"${id}" is not a trace id (1 to 32 hex digits)`);

  const jaeger = new JaegerClient((values.jaeger ?? process.env.JAEGER_URL ?? 'http://127.0.0.1:16686').replace(/\/$/, ''));
  const service = values.service ?? 'front-proxy';
  const trace = id ? await jaeger.trace(id) : (await jaeger.traces(service, { limit: 1 }))[0];
  if (!trace) {
    throw new Error(id ? `trace ${id} is not in Jaeger at ${jaeger.baseUrl} (yet?)` : `Jaeger at ${jaeger.baseUrl} has no trace of ${service} yet`);
  }
  console.log(waterfall(trace, { barWidth: Math.max(20, Math.min(60, (process.stdout.columns ?? 120) - 80)) }));
  console.log(`\nJaeger UI: ${jaeger.uiLink(trace.traceId)}`);
}

main().catch((err: Error) => {
  console.error(`npm run trace: ${err.message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
