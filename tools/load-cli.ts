/** `npm run load -- --rps R --duration D [--concurrency C] [--path P] [--target URL] [--fault VALUE=SHARE ...] [--count-traces [--jaeger URL]]` */
import { JaegerClient } from './jaeger';
import { formatFaultResult, formatLoadResult, parseLoadArgs, runMixed, UsageError } from './load';
import { settledTraceCount } from './kept-traces';

async function main(): Promise<void> {
  const options = parseLoadArgs(process.argv.slice(2));
  // The trace ids of the answered requests, by kind: plain ('') or the fault they carried.
  const ids = new Map<string, string[]>();
  const onAnswer = (fault: string | undefined, _status: number, _ms: number, headers: Record<string, string | string[] | undefined>) => {
    const id = headers['x-trace-id'];
    if (typeof id === 'string') ids.set(fault ?? '', [...(ids.get(fault ?? '') ?? []), id]);
  };
  const [plain, ...faulty] = await runMixed(options, { progress: true, onAnswer: options.countTracesIn ? onAnswer : undefined });
  console.log(formatLoadResult(plain.result));
  for (const kind of faulty) console.log(formatFaultResult(kind));
  if ([plain, ...faulty].every((k) => k.result.answered === 0)) {
    console.error(`npm run load: no request was answered by ${options.target}`);
    process.exit(1);
  }
  if (options.countTracesIn) {
    const jaeger = new JaegerClient(options.countTracesIn);
    const kinds = [plain, ...faulty].map((k) => k.fault ?? '');
    const kept = new Map<string, number>();
    // Together: one settling wait for all of them, as Jaeger decides each trace on its own.
    await Promise.all(kinds.map(async (kind) => kept.set(kind, await settledTraceCount(jaeger, ids.get(kind) ?? []))));
    for (const kind of kinds) {
      const answered = ids.get(kind)?.length ?? 0;
      const share = answered ? ((100 * kept.get(kind)!) / answered).toFixed(1) : '-';
      const label = kind ? `  with fault ${kind}` : 'traces in Jaeger';
      console.log(`${label}  ${kept.get(kind)} of ${answered} answered requests (${share}%)`);
    }
  }
}

main().catch((err: Error) => {
  console.error(`npm run load: ${err.message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
