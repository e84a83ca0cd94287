import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { read, ROOT } from './sandbox-files';

const LF_FILES = ['start-service.sh', 'install-jaeger-plugin.sh', 'docker-compose.yml', 'front-envoy-jaeger.yaml', 'service-envoy-jaeger.yaml', 'Dockerfile-service'];

test('a checkout keeps shell scripts, YAML and Dockerfiles at LF line endings on every platform', () => {
  const run = spawnSync('git', ['check-attr', 'eol', '--', ...LF_FILES], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), LF_FILES.map((file) => `${file}: eol: lf`));
  for (const file of LF_FILES) assert.doesNotMatch(read(file), /\r/, `${file} has no carriage return`);
});
