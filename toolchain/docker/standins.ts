/**
 * Stand-ins for the four images the current-Envoy variants pin, for machines
 * that reach no image registry (CI here). Each is built from a debootstrapped
 * Debian and carries the binaries the local topology already runs, plus what the
 * sandbox uses of the real image. They are labelled as stand-ins, named apart
 * from the real images, and only toolchain/docker/compose.standins.yml names them.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Binaries, ENVOY_VERSION, NODE_VERSION, PINNED_NODE } from '../binaries';
import { docker } from './engine';

/** Debian 13, the release the pinned Node image is built on. */
const SUITE = 'trixie';
export const BASE_IMAGE = `sandbox-standin/debian:${SUITE}`;
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const MIRROR = 'http://deb.debian.org/debian';

export interface StandIn {
  image: string;
  /** The real image it stands in for. */
  for: string;
  /** Changes whenever what goes into the image changes; a built image with the same key is kept. */
  key: () => string;
  /** Fills the build context folder and returns the Dockerfile's body after FROM and the labels. */
  context: (dir: string) => string;
}

const digest = (...parts: Array<string | Buffer>) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 16);
};

/** The npm that runs this installer: `npm run` names its entry point. */
function npmHome(env = process.env): string {
  if (!env.npm_execpath) throw new Error('the stand-ins are built through npm run toolchain, which says where npm is');
  return path.resolve(env.npm_execpath, '..', '..');
}

/** The Node image Dockerfile-service pins, named from the pinned Node version. */
export const NODE_IMAGE = `node:${NODE_VERSION}-trixie-slim`;
export const ENVOY_IMAGE = `envoyproxy/envoy:v${ENVOY_VERSION}`;

export function standIns(bins: Binaries, node = PINNED_NODE, npm = npmHome): StandIn[] {
  const caLines = [`COPY ca-certificates.crt ${CA_BUNDLE}`];
  const withCa = (dir: string) => copyFileSync(CA_BUNDLE, path.join(dir, 'ca-certificates.crt'));
  return [
    {
      image: `sandbox-standin/${NODE_IMAGE}`,
      for: NODE_IMAGE,
      key: () => digest(readFileSync(node), readFileSync(path.join(npm(), 'package.json')), readFileSync(CA_BUNDLE)),
      context: (dir) => {
        withCa(dir);
        copyFileSync(node, path.join(dir, 'node'));
        cpSync(npm(), path.join(dir, 'npm'), { recursive: true });
        return [
          ...caLines,
          // Node's official binaries link libatomic; the official slim image installs it.
          'RUN apt-get update && apt-get install -y --no-install-recommends libatomic1 && rm -rf /var/lib/apt/lists/*',
          'COPY node /usr/local/bin/node',
          'COPY npm /usr/local/lib/node_modules/npm',
          // The official image's user, uid 1000; minbase has no useradd.
          'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
          '    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
          "    && echo 'node:x:1000:1000::/home/node:/bin/bash' >> /etc/passwd \\",
          "    && echo 'node:x:1000:' >> /etc/group \\",
          '    && mkdir -p /home/node && chown 1000:1000 /home/node',
          `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
          'CMD ["node"]',
        ].join('\n');
      },
    },
    {
      image: `sandbox-standin/${ENVOY_IMAGE.split('/')[1]}`,
      for: ENVOY_IMAGE,
      key: () => digest(readFileSync(bins.envoy), readFileSync(CA_BUNDLE)),
      context: (dir) => {
        withCa(dir);
        copyFileSync(bins.envoy, path.join(dir, 'envoy'));
        writeFileSync(path.join(dir, 'docker-entrypoint.sh'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
        return [
          ...caLines,
          'COPY envoy /usr/local/bin/envoy',
          'COPY docker-entrypoint.sh /docker-entrypoint.sh',
          'ENTRYPOINT ["/docker-entrypoint.sh"]',
          'CMD ["envoy", "-c", "/etc/envoy/envoy.yaml"]',
        ].join('\n');
      },
    },
    {
      image: 'sandbox-standin/jaeger:2.13.0',
      for: 'jaegertracing/jaeger:2.20.0',
      key: () => digest(readFileSync(bins.jaeger)),
      context: (dir) => {
        copyFileSync(bins.jaeger, path.join(dir, 'jaeger'));
        return [
          // The health check in docker-compose.yml runs wget, as busybox's in the real image.
          'RUN apt-get update && apt-get install -y --no-install-recommends wget && rm -rf /var/lib/apt/lists/*',
          'COPY jaeger /cmd/jaeger/jaeger-linux',
          'ENV JAEGER_LISTEN_HOST=0.0.0.0',
          // As the real image: /tmp (mode 1777) is its volume, the one folder its user may write.
          'VOLUME ["/tmp"]',
          'USER 10001',
          'ENTRYPOINT ["/cmd/jaeger/jaeger-linux"]',
        ].join('\n');
      },
    },
    {
      image: 'sandbox-standin/prometheus:v3.16.0',
      for: 'prom/prometheus:v3.16.0',
      key: () => digest(readFileSync(bins.prometheus)),
      context: (dir) => {
        copyFileSync(bins.prometheus, path.join(dir, 'prometheus'));
        return [
          'RUN apt-get update && apt-get install -y --no-install-recommends wget && rm -rf /var/lib/apt/lists/*',
          'COPY prometheus /bin/prometheus',
          // The real image's user (nobody) and its data folder, which that user owns.
          'RUN mkdir /prometheus && chown 65534:65534 /prometheus',
          'VOLUME ["/prometheus"]',
          'WORKDIR /prometheus',
          'USER 65534',
          'ENTRYPOINT ["/bin/prometheus"]',
        ].join('\n');
      },
    },
  ];
}

const label = (image: string, name: string): string | undefined => {
  const run = spawnSync('docker', ['image', 'inspect', '--format', `{{index .Config.Labels "${name}"}}`, image], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
};

function timed(what: string, fn: () => void): void {
  const started = performance.now();
  console.log(`docker: ${what}`);
  fn();
  console.log(`docker: ${what}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** A Debian root filesystem from Debian's mirror, imported as an image. */
function buildBase(): void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'standin-rootfs-'));
  try {
    const boot = spawnSync('debootstrap', ['--variant=minbase', SUITE, root, MIRROR], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (boot.status !== 0) throw new Error(`debootstrap failed (exit ${boot.status ?? boot.error?.message})`);
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error('tar of the root filesystem failed');
    docker(['import', '--change', `LABEL sandbox.standin=debian:${SUITE}`, '-', BASE_IMAGE], { input: tar.stdout });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The key a built image carries: its files' key and its Dockerfile's body, so a change to either rebuilds it. */
export function imageKey(standIn: StandIn, body: string): string {
  return digest(standIn.key(), body);
}

/** Builds whatever is missing or out of date; keeps the rest. */
export function buildStandIns(bins: Binaries, node: string): void {
  if (label(BASE_IMAGE, 'sandbox.standin') === undefined) timed(`${BASE_IMAGE} (debootstrap --variant=minbase ${SUITE})`, buildBase);
  for (const standIn of standIns(bins, node)) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'standin-'));
    try {
      const body = standIn.context(dir);
      const key = imageKey(standIn, body);
      if (label(standIn.image, 'sandbox.standin.key') === key) {
        console.log(`docker: ${standIn.image} is up to date (stands in for ${standIn.for})`);
        continue;
      }
      timed(`${standIn.image}, standing in for ${standIn.for}`, () => {
        writeFileSync(
          path.join(dir, 'Dockerfile'),
          [
            `FROM ${BASE_IMAGE}`,
            `LABEL sandbox.standin="${standIn.for}" sandbox.standin.key="${key}" \\`,
            `      org.opencontainers.image.description="A stand-in for ${standIn.for}, built on this machine for CI; never pushed."`,
            body,
            '',
          ].join('\n'),
        );
        docker(['build', '--quiet', '--tag', standIn.image, dir]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
