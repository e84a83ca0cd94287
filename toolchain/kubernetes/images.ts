/**
 * Images on the CI cluster. Nothing is pulled: images are built under the Docker engine
 * (`npm run docker:start`) and loaded into the cluster's containerd, as `kind load
 * docker-image` does for a kind cluster. The cluster's own two (the pod sandbox's pause
 * process and CoreDNS) are single static binaries on an empty image.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { docker } from '../docker/engine';
import { command } from '../../lib/command';
import { paths } from './cluster';
import { COREDNS_IMAGE, PAUSE_IMAGE } from './config';
import { kubeBinary } from './parts';

interface ClusterImage {
  image: string;
  binary: string;
  /** The user it runs as: the pause image's 65535, CoreDNS's nonroot 65532. */
  user: string;
}

export const CLUSTER_IMAGES: ClusterImage[] = [
  { image: PAUSE_IMAGE, binary: 'pause', user: '65535:65535' },
  { image: COREDNS_IMAGE, binary: 'coredns', user: '65532:65532' },
];

/** The Dockerfile of a one-binary image. */
export function clusterImageDockerfile(image: ClusterImage): string {
  return [
    'FROM scratch',
    `LABEL org.opencontainers.image.description="${image.binary} for the sandbox's CI cluster, built on this machine; never pushed."`,
    `COPY ${image.binary} /${image.binary}`,
    `USER ${image.user}`,
    `ENTRYPOINT ["/${image.binary}"]`,
    '',
  ].join('\n');
}

export function buildClusterImages(): void {
  for (const image of CLUSTER_IMAGES) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cluster-image-'));
    try {
      copyFileSync(kubeBinary(image.binary), path.join(dir, image.binary));
      writeFileSync(path.join(dir, 'Dockerfile'), clusterImageDockerfile(image));
      docker(['build', '--quiet', '--tag', image.image, dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The Docker engine's id of an image; it must know the image. */
const dockerId = (image: string): string => docker(['image', 'inspect', '--format', '{{.Id}}', image]).trim();

/** What this cluster was given, by image and id: it starts empty, and lives as long as the cluster's folder. */
const loadedFile = () => path.join(paths().dir, 'loaded-images.json');

/** Loads images from the Docker engine into the cluster; one it already holds at the same id is skipped. */
export function loadImages(images: string[], log: (line: string) => void = console.log): void {
  const loaded: Record<string, string> = existsSync(loadedFile()) ? JSON.parse(readFileSync(loadedFile(), 'utf8')) : {};
  const ids = Object.fromEntries(images.map((image) => [image, dockerId(image)]));
  const missing = images.filter((image) => loaded[image] !== ids[image]);
  if (missing.length === 0) return;
  const started = performance.now();
  const importer = [kubeBinary('ctr'), '--address', paths().containerdSocket, '--namespace', 'k8s.io', 'images', 'import', '-'];
  command('bash', ['-o', 'pipefail', '-c', `docker save "$@" | ${importer.map((a) => `'${a}'`).join(' ')} >/dev/null`, 'load-images', ...missing]);
  for (const image of missing) loaded[image] = ids[image];
  writeFileSync(loadedFile(), JSON.stringify(loaded, null, 2));
  log(`cluster: loaded ${missing.join(', ')} from the Docker engine in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
