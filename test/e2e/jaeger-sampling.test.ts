/**
 * Sampling that Jaeger decides (docs/labs.md): the sandbox started again in each of Jaeger's
 * other sampling modes, on the target E2E_TARGET names, as a user starts it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { servicesTracer } from '../../topology/variants';
import { ADAPTIVE_SETTINGS, adaptiveSamplingSuite, adaptiveUncountedSuite } from './adaptive-sampling';
import { composeRun } from './compose-target';
import { TAIL_SETTINGS, tailSamplingSuite } from './tail-sampling';
import { Target } from './target';
import { e2eTarget, e2eVariant } from './targets';

const compose = process.env.E2E_TARGET === 'compose';
const local = (process.env.E2E_TARGET || 'local') === 'local';

/**
 * The sandbox in these settings, started afresh: Compose's close removes its volumes, the
 * cluster's its namespace and Jaeger's volume, and locally it runs in a folder of its own.
 */
function sandboxIn(settings: Record<string, string>): () => Target {
  let sandbox: Target | undefined;
  let runDir: string | undefined;
  before(async () => {
    if (local) runDir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-sampling-'));
    sandbox = await e2eTarget(settings, runDir);
    console.log(`# e2e against ${sandbox.name}`);
  });
  after(async () => {
    await sandbox?.close();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });
  return () => {
    if (!sandbox) throw new Error('the topology did not start');
    return sandbox;
  };
}

const settingsOf = (settings: Record<string, string>) => Object.entries(settings).slice(1).map(([k, v]) => `${k}=${v}`).join(', ');

describe(`JAEGER_SAMPLING=adaptive (${settingsOf(ADAPTIVE_SETTINGS)})`, () => {
  const current = sandboxIn(ADAPTIVE_SETTINGS);
  // jaeger-client says on its root spans how it sampled them, which Jaeger counts; the OpenTelemetry sampler does not.
  if (servicesTracer(e2eVariant()) === 'jaeger-client') adaptiveSamplingSuite(current);
  else adaptiveUncountedSuite(current);
});

describe(`JAEGER_SAMPLING=tail (${settingsOf(TAIL_SETTINGS)})`, () => {
  tailSamplingSuite(sandboxIn(TAIL_SETTINGS));
});

// Only Compose has this path: npm run local checks the same script before it starts anything (unit-tested).
if (compose) {
  describe('a bad sampling setting under Compose', () => {
    after(() => void composeRun(['down', '--volumes', '--remove-orphans']));

    it('fails `docker compose up --wait` at once, with the reason in one line of `docker compose logs jaeger`', () => {
      const started = performance.now();
      const up = composeRun(['up', '--build', '--wait'], { JAEGER_SAMPLING: 'tail', TAIL_SAMPLING_SHARE: '1.5' });
      const seconds = (performance.now() - started) / 1000;
      assert.notEqual(up.status, 0, up.output);
      const said = up.output.split('\n').find((line) => /container envoy-jaeger-jaeger-1 (is unhealthy|exited)/.test(line));
      assert.ok(said, up.output);
      console.log(`# docker compose up --wait gave up after ${seconds.toFixed(1)} s: ${said}`);
      const logs = composeRun(['logs', '--no-log-prefix', 'jaeger']).output.trim().split('\n');
      assert.ok(logs.length >= 1);
      for (const line of logs) assert.equal(line, "start-jaeger: TAIL_SAMPLING_SHARE must be a number from 0 to 1, got '1.5'");
    });
  });
}
