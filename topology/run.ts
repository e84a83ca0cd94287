/**
 * `npm run local [-- zipkin|otel] [--sampling head|tail|adaptive]`: the sandbox as processes
 * until Ctrl-C, or until one of them dies. zipkin (the default) runs Envoy's Zipkin tracer and
 * jaeger-client in the services; otel runs Envoy's OpenTelemetry tracer and the OpenTelemetry
 * SDK. --sampling is Jaeger's sampling mode (jaeger/start-jaeger.sh), with its settings from
 * the environment, as in Compose: TAIL_SAMPLING_* and ADAPTIVE_SAMPLING_*.
 */
import { parseArgs } from 'node:util';
import { Sandbox, startSandbox } from './sandbox';
import path from 'node:path';
import { FRONT_ADMIN_URL, JAEGER_QUERY_URL, JAEGER_SAMPLING_URL, PROMETHEUS_URL, PROXY_URL } from './topology';
import { DEFAULT_LOCAL_VARIANT, findVariant, RenderedVariant, variantChoices } from './variants';

const USAGE = `usage: npm run local [-- ${variantChoices('local').replace(' or ', '|')}] [--sampling head|tail|adaptive]`;

/** The variant and Jaeger's sampling settings a command line asks for; throws the one-line reason. */
export function parseLocalArgs(argv: string[], env: Record<string, string | undefined>): { variant: RenderedVariant; jaegerSampling: Record<string, string> } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { sampling: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new Error(`${(err as Error).message.split('\n')[0]} (${USAGE})`);
  }
  const [name = DEFAULT_LOCAL_VARIANT.name, ...rest] = parsed.positionals;
  const variant = findVariant(name, 'local') as RenderedVariant | undefined;
  if (!variant || rest.length > 0) {
    throw new Error(`the variant is ${variantChoices('local')} (${DEFAULT_LOCAL_VARIANT.name} is the default), got "${parsed.positionals.join(' ')}" (${USAGE})`);
  }
  const settings = Object.entries(env).filter((e): e is [string, string] => /^(TAIL|ADAPTIVE)_SAMPLING_/.test(e[0]) && e[1] !== undefined);
  return { variant, jaegerSampling: { ...Object.fromEntries(settings), ...(parsed.values.sampling ? { JAEGER_SAMPLING: parsed.values.sampling } : {}) } };
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseLocalArgs(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`npm run local: ${(err as Error).message}`);
    process.exit(2);
  }
  const { variant, jaegerSampling } = args;
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
  sandbox = await startSandbox({ onUnexpectedExit, variant, jaegerSampling });
  if (stopping) return;
  console.log(`local sandbox running, the ${variant.name} variant, Jaeger sampling ${jaegerSampling.JAEGER_SAMPLING ?? 'head'} (logs in ${sandbox.group.logDir}):
  proxy      ${PROXY_URL}        try: curl -v ${PROXY_URL}/trace/1
  admin      ${FRONT_ADMIN_URL}
  jaeger     ${JAEGER_QUERY_URL}/api/v3/traces/<x-trace-id>   (the query API; this build has no UI)
  monitor    ${JAEGER_QUERY_URL}/api/metrics/calls?service=front-proxy&groupByOperation=true   (the Monitor tab's figures)
  prometheus ${PROMETHEUS_URL}   (span metrics; traces in ${path.join(sandbox.runDir, 'badger')})
  sampling   ${JAEGER_SAMPLING_URL}/sampling?service=service1 (edit ${sandbox.strategiesFile})
Ctrl-C stops everything.`);
}

if (require.main === module) main().catch((err: Error) => {
  console.error(`npm run local: ${err.message}`);
  process.exit(1);
});
