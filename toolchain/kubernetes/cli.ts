/**
 * `npm run cluster:start` starts the one-node cluster (cluster.ts), loads its own images and
 * starts its DNS; `npm run cluster:stop` stops it, by the ids it recorded, and removes what it
 * made. `npm run cluster:load -- IMAGE...` loads images from the Docker engine into it.
 * The Docker engine must answer for start and load (`npm run docker:start`).
 */
import path from 'node:path';
import { ROOT } from '../binaries';
import { clusterRunning, kubectl, paths, startCluster, stopCluster } from './cluster';
import { buildClusterImages, CLUSTER_IMAGES, loadImages } from './images';
import { pollUntil } from '../../lib/poll';

const COREDNS_MANIFEST = path.join(ROOT, 'toolchain', 'kubernetes', 'cluster', 'coredns.yaml');

async function up(): Promise<void> {
  await startCluster();
  try {
    buildClusterImages();
    loadImages(CLUSTER_IMAGES.map((i) => i.image));
    kubectl(['apply', '-f', COREDNS_MANIFEST]);
    await pollUntil(() => void kubectl(['-n', 'kube-system', 'wait', '--for=condition=Available', 'deployment/coredns', '--timeout=5s']), 'CoreDNS to be available', { timeoutMs: 120_000, intervalMs: 1_000 });
  } catch (err) {
    await stopCluster();
    throw err;
  }
  console.log(`cluster: ready; kubectl --kubeconfig ${path.relative(ROOT, paths().kubeconfig)} get pods -A`);
}

async function main([command, ...args]: string[]): Promise<void> {
  if (command === 'start') await up();
  else if (command === 'stop') {
    if (!(await stopCluster())) console.log('cluster: none of ours was running');
  }
  else if (command === 'load' && args.length > 0) {
    if (!clusterRunning()) throw new Error('no cluster of ours runs: npm run cluster:start first');
    loadImages(args);
  } else {
    console.error('usage: node dist/toolchain/kubernetes/cli.js start | stop | load IMAGE...');
    process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(`cluster: ${err.message}`);
  process.exit(1);
});
