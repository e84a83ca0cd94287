/**
 * `npm run local [-- zipkin|otel]`: the sandbox as processes until Ctrl-C, or until one
 * of them dies. zipkin (the default) runs Envoy's Zipkin tracer and jaeger-client in the
 * services; otel runs Envoy's OpenTelemetry tracer and the OpenTelemetry SDK.
 */
import { Sandbox, startSandbox } from './sandbox';
import path from 'node:path';
import { FRONT_ADMIN_URL, JAEGER_QUERY_URL, JAEGER_SAMPLING_URL, PROMETHEUS_URL, PROXY_URL } from './topology';
import { DEFAULT_LOCAL_VARIANT, findVariant, RenderedVariant, variantChoices } from './variants';

async function main(): Promise<void> {
  const variant = findVariant(process.argv[2] ?? DEFAULT_LOCAL_VARIANT.name, 'local') as RenderedVariant | undefined;
  if (!variant || process.argv.length > 3) {
    console.error(`npm run local: the variant is ${variantChoices('local')} (${DEFAULT_LOCAL_VARIANT.name} is the default), got "${process.argv.slice(2).join(' ')}"`);
    process.exit(2);
  }
  let sandbox: Sandbox | undefined;
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${why}: stopping ${sandbox?.group.names().reverse().join(', ') ?? 'everything'}`);
    await sandbox?.stop();
    process.exit(code);
  };
  // Like the container's start-service.sh: one process gone means the sandbox is broken.
  const onUnexpectedExit = (report: string) => {
    console.error(`npm run local: ${report}`);
    void stop('a process died', 1);
  };
  // Ctrl-C, kill and a closed terminal all stop in the same order; the children,
  // in process groups of their own, hear of it only from here.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal, 0));
  sandbox = await startSandbox({ onUnexpectedExit, variant });
  if (stopping) return;
  console.log(`local sandbox running, the ${variant.name} variant (logs in ${sandbox.group.logDir}):
  proxy      ${PROXY_URL}        try: curl -v ${PROXY_URL}/trace/1
  admin      ${FRONT_ADMIN_URL}
  jaeger     ${JAEGER_QUERY_URL}/api/v3/traces/<x-trace-id>   (the query API; this build has no UI)
  monitor    ${JAEGER_QUERY_URL}/api/metrics/calls?service=front-proxy&groupByOperation=true   (the Monitor tab's figures)
  prometheus ${PROMETHEUS_URL}   (span metrics; traces in ${path.join(sandbox.runDir, 'badger')})
  sampling   ${JAEGER_SAMPLING_URL}/sampling?service=service1 (edit ${sandbox.strategiesFile})
Ctrl-C stops everything.`);
}

main().catch((err: Error) => {
  console.error(`npm run local: ${err.message}`);
  process.exit(1);
});
