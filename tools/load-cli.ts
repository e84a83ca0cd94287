/** `npm run load -- --rps R --duration D [--concurrency C] [--path P] [--target URL] [--count-traces [--jaeger URL]]` */
import { JaegerClient } from './jaeger';
import { formatLoadResult, parseLoadArgs, runLoad, UsageError } from './load';
import { collectTraceIds, settledTraceCount } from './kept-traces';

async function main(): Promise<void> {
  const options = parseLoadArgs(process.argv.slice(2));
  const ids: string[] = [];
  const result = await runLoad(options, { progress: true, onAnswer: options.countTracesIn ? collectTraceIds(ids) : undefined });
  console.log(formatLoadResult(result));
  if (result.answered === 0) {
    console.error(`npm run load: no request was answered by ${options.target}`);
    process.exit(1);
  }
  if (options.countTracesIn) {
    const kept = await settledTraceCount(new JaegerClient(options.countTracesIn), ids);
    const share = ids.length ? ((100 * kept) / ids.length).toFixed(1) : '-';
    console.log(`traces in Jaeger  ${kept} of ${ids.length} answered requests (${share}%)`);
  }
}

main().catch((err: Error) => {
  console.error(`npm run load: ${err.message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
