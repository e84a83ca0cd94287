/**
 * `npm run lint:k8s`: every overlay of k8s/ (and the stand-in overlays CI applies) rendered by
 * kubectl's own kustomize, and held to k8s-rules.ts; then, when the CI cluster runs
 * (`npm run cluster:start`), `kubectl apply --dry-run=server` of each, which the real API server
 * checks against its schemas and admission (the namespace's restricted Pod Security Standard
 * among them) without creating anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../toolchain/binaries';
import { clusterRunning, kubectl } from '../toolchain/kubernetes/cluster';
import { kubeBinary } from '../toolchain/kubernetes/parts';
import { serviceEnvironment, VARIANTS, VariantName } from '../topology/variants';
import { Manifest, serviceFindings, workloadFindings } from './k8s-rules';

const NAMESPACE = 'envoy-jaeger';
const OVERLAYS: Array<{ dir: string; variant: VariantName }> = [
  ...(['native', 'zipkin', 'otel'] as const).map((variant) => ({ dir: `k8s/${variant}`, variant })),
  ...(['zipkin', 'otel'] as const).map((variant) => ({ dir: `toolchain/kubernetes/standins/${variant}`, variant })),
];

function render(dir: string): Manifest[] {
  const run = spawnSync(kubeBinary('kubectl'), ['kustomize', path.join(ROOT, dir)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${run.stderr.trim()}`);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Manifest);
}

function namespaceExists(): boolean {
  try {
    kubectl(['get', 'namespace', NAMESPACE]);
    return true;
  } catch {
    return false;
  }
}

function main(): void {
  if (!existsSync(kubeBinary('kubectl'))) {
    console.error('lint:k8s: kubectl is not built: run `npm run toolchain -- kubernetes`');
    process.exit(1);
  }
  let failed = false;
  for (const { dir, variant } of OVERLAYS) {
    const manifests = render(dir);
    const findings = [...workloadFindings(manifests), ...serviceFindings(manifests, (s) => serviceEnvironment(VARIANTS[variant], s))];
    console.log(findings.length === 0 ? `ok   ${dir}` : `FAIL ${dir}\n  ${findings.join('\n  ')}`);
    failed ||= findings.length > 0;
  }
  if (clusterRunning()) {
    // A dry run creates nothing, the namespace included, and the rest of the overlay needs it: the
    // namespace is made for real (with its Pod Security label, which the dry run is then held to).
    const made = !namespaceExists();
    if (made) kubectl(['apply', '-f', path.join(ROOT, 'k8s', 'base', 'namespace.yaml')]);
    try {
      for (const { dir } of OVERLAYS) {
        try {
          kubectl(['apply', '--dry-run=server', '-k', path.join(ROOT, dir)]);
          console.log(`ok   kubectl apply --dry-run=server -k ${dir}`);
        } catch (err) {
          console.log(`FAIL kubectl apply --dry-run=server -k ${dir}\n  ${(err as Error).message}`);
          failed = true;
        }
      }
    } finally {
      if (made) kubectl(['delete', 'namespace', NAMESPACE, '--wait=true']);
    }
  } else {
    console.log('lint:k8s: no CI cluster runs, so no server-side dry run (npm run cluster:start first)');
  }
  if (failed) process.exit(1);
}

main();
