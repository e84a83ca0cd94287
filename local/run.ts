/** `npm run local`: the sandbox as processes until Ctrl-C. */
import { startSandbox } from './sandbox';
import { FRONT_ADMIN_URL, JAEGER_QUERY_URL, JAEGER_SAMPLING_URL, PROXY_URL } from './topology';

async function main(): Promise<void> {
  const sandbox = await startSandbox();
  console.log(`local sandbox running (logs in ${sandbox.group.logDir}):
  proxy      ${PROXY_URL}        try: curl -v ${PROXY_URL}/trace/1
  admin      ${FRONT_ADMIN_URL}
  jaeger     ${JAEGER_QUERY_URL}/api/traces/<x-trace-id>   (the query API; this build has no UI)
  sampling   ${JAEGER_SAMPLING_URL}/sampling?service=service1 (edit ${sandbox.strategiesFile})
Ctrl-C stops everything.`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping ${sandbox.group.names().join(', ')}`);
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: Error) => {
  console.error(`npm run local: ${err.message}`);
  process.exit(1);
});
