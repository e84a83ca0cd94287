/** `npm run trace -- TRACE_ID... | --last`: traces from Jaeger, drawn in the terminal one under the other. */
import { parseArgs } from 'node:util';
import { JaegerClient } from './jaeger';
import { waterfall } from './waterfall';

const USAGE = 'usage: npm run trace -- TRACE_ID... | --last [--jaeger http://127.0.0.1:16686] [--service front-proxy]';

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
  if ((positionals.length > 0 && values.last) || (positionals.length === 0 && !values.last)) throw new UsageError(USAGE);
  const bad = positionals.find((id) => !/^[0-9a-f]{1,32}$/i.test(id));
  if (bad !== undefined) throw new UsageError(`"${bad}" is not a trace id (1 to 32 hex digits)`);

  const jaeger = new JaegerClient((values.jaeger ?? process.env.JAEGER_URL ?? 'http://127.0.0.1:16686').replace(/\/$/, ''));
  const service = values.service ?? 'front-proxy';
  const traces = [];
  if (values.last) {
    const [trace] = await jaeger.traces(service, { limit: 1 });
    if (!trace) throw new Error(`Jaeger at ${jaeger.baseUrl} has no trace of ${service} yet`);
    traces.push(trace);
  }
  for (const id of positionals) {
    const trace = await jaeger.trace(id);
    if (!trace) throw new Error(`trace ${id} is not in Jaeger at ${jaeger.baseUrl} (yet?)`);
    traces.push(trace);
  }
  // Several traces side by side: one under the other, each with its link.
  const barWidth = Math.max(20, Math.min(60, (process.stdout.columns ?? 120) - 80));
  console.log(traces.map((trace) => `${waterfall(trace, { barWidth })}\n\nJaeger UI: ${jaeger.uiLink(trace.traceId)}`).join('\n\n'));
}

main().catch((err: Error) => {
  console.error(`npm run trace: ${err.message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
