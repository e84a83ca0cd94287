/**
 * `npm run validate:native`: the native variant's Envoy configs as shipped (the
 * front proxy, and the sidecar template filled for each service), untransformed,
 * against Envoy's API as it stood at 1.29 and the keys the Jaeger plugin reads:
 * checks/envoy-api (go-control-plane v0.12.0, strict decoding, the generated
 * validation rules in every typed_config, the plugin's own keys and types).
 *
 * Each check also gets broken copies that it must refuse, so a checker that
 * accepts anything fails here too. Needs Go; the module comes from the Go proxy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../toolchain/binaries';
import { fillSidecarTemplate } from '../topology/render';

const CHECKER = path.join(ROOT, 'checks', 'envoy-api');

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Broken copies and the reason each must be refused with. */
const CONTROLS: Array<{ name: string; from: string; replace: [string | RegExp, string]; reason: RegExp }> = [
  { name: 'a misspelt field', from: 'front', replace: ['max_request_headers_kb: 60', 'max_request_header_kb: 60'], reason: /unknown field "max_request_header_kb"/ },
  { name: 'a field of the wrong type', from: 'sidecar', replace: ['idle_timeout: 4s', 'idle_timeout: soon'], reason: /invalid google\.protobuf\.Duration value "soon"/ },
  { name: 'a value the validation rules refuse', from: 'front', replace: ['max_request_headers_kb: 60', 'max_request_headers_kb: 9000'], reason: /MaxRequestHeadersKb: value must be inside range \(0, 8192\]/ },
  { name: 'a typed_config type Envoy 1.29 lacks', from: 'front', replace: ['v3.DynamicOtConfig', 'v3.DynamicOtConfigs'], reason: /unable to resolve "type\.googleapis\.com\/envoy\.config\.trace\.v3\.DynamicOtConfigs"/ },
  { name: 'an unknown plugin key', from: 'front', replace: ['bufferFlushInterval:', 'bufferFlushIntervalSeconds:'], reason: /reporter\.bufferFlushIntervalSeconds is not a key jaeger-client-cpp 0\.4\.2 reads/ },
  { name: 'a plugin key of the wrong type', from: 'sidecar', replace: [/samplingRefreshInterval: 5\b/, 'samplingRefreshInterval: "5s"'], reason: /sampler\.samplingRefreshInterval must be a whole number, got 5s/ },
];

function runChecker(files: string[]): Map<string, string> {
  const run = spawnSync('go', ['run', '.', ...files], { cwd: CHECKER, encoding: 'utf8' });
  if (run.error) throw new Error(`go could not run: ${run.error.message}`);
  const lines = new Map<string, string>();
  for (const line of run.stdout.split('\n')) {
    const match = /^(ok|FAIL)\s+(\S+\.yaml)(?::\s(.*))?$/.exec(line);
    if (match) lines.set(match[2], `${match[1]} ${match[3] ?? ''}`.trim());
  }
  if (lines.size !== files.length) throw new Error(`the checker did not report on every file:\n${run.stdout}${run.stderr}`);
  return lines;
}

function main(): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'envoy-1.29-'));
  const sources = { front: read('front-envoy-jaeger.yaml'), sidecar: fillSidecarTemplate(read('service-envoy-jaeger.yaml'), '1') };
  const shipped: Array<[string, string]> = [
    ['front-envoy-jaeger.yaml', sources.front],
    ['service-envoy-jaeger.yaml (service1)', sources.sidecar],
    ['service-envoy-jaeger.yaml (service2)', fillSidecarTemplate(read('service-envoy-jaeger.yaml'), '2')],
  ];
  const files = new Map<string, { label: string; reason?: RegExp }>();
  shipped.forEach(([label, yaml], i) => {
    const file = path.join(dir, `shipped-${i}.yaml`);
    writeFileSync(file, yaml);
    files.set(file, { label });
  });
  CONTROLS.forEach(({ name, from, replace, reason }, i) => {
    const broken = sources[from as 'front' | 'sidecar'].replace(replace[0], replace[1]);
    if (broken === sources[from as 'front' | 'sidecar']) throw new Error(`the control "${name}" changed nothing: update it`);
    const file = path.join(dir, `broken-${i}.yaml`);
    writeFileSync(file, broken);
    files.set(file, { label: `refuses ${name}`, reason });
  });

  const results = runChecker([...files.keys()]);
  let failed = 0;
  for (const [file, { label, reason }] of files) {
    const result = results.get(file)!;
    const pass = reason ? result.startsWith('FAIL') && reason.test(result) : result === 'ok';
    if (!pass) failed++;
    console.log(`${pass ? 'ok  ' : 'FAIL'} ${label}${pass && reason ? ` (${result.slice(5)})` : pass ? '' : `: ${result}`}`);
  }
  console.log(`${files.size - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
