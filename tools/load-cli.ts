/** `npm run load -- --rps R --duration D [--concurrency C] [--path P] [--target URL]` */
import { formatLoadResult, parseLoadArgs, runLoad, UsageError } from './load';

async function main(): Promise<void> {
  const options = parseLoadArgs(process.argv.slice(2));
  const result = await runLoad(options, { progress: true });
  console.log(formatLoadResult(result));
  if (result.answered === 0) {
    console.error(`npm run load: no request was answered by ${options.target}`);
    process.exit(1);
  }
}

main().catch((err: Error) => {
  console.error(`npm run load: ${err.message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
