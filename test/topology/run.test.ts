import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parseLocalArgs } from '../../topology/run';
import { startProcess } from '../process';

const RUN = path.join(__dirname, '..', '..', 'topology', 'run.js');
const USAGE = '(usage: npm run local [-- zipkin|otel] [--sampling head|tail|adaptive])';

test('npm run local names the variants it runs when given another, and starts nothing', async (t) => {
  for (const args of [['native'], ['otel', 'zipkin']]) {
    const run = startProcess(t, process.execPath, [RUN, ...args]);
    assert.equal(await run.exited, 2);
    assert.equal(run.stderr(), `npm run local: the variant is zipkin or otel (zipkin is the default), got "${args.join(' ')}" ${USAGE}\n`);
    assert.equal(run.stdout(), '');
  }
});

test('npm run local refuses an option it does not know, in one line', async (t) => {
  const run = startProcess(t, process.execPath, [RUN, '--samples', 'tail']);
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /^npm run local: Unknown option '--samples'.* \(usage: npm run local .*\)\n$/);
});

test("--sampling sets Jaeger's mode; the mode's settings come from the environment, and nothing else does", () => {
  const env = { TAIL_SAMPLING_SHARE: '0.3', ADAPTIVE_SAMPLING_TARGET: '2', HOME: '/root', SAMPLING_PORT: '1', JAEGER_SAMPLING: 'adaptive' };
  const { variant, jaegerSampling } = parseLocalArgs(['otel', '--sampling', 'tail'], env);
  assert.equal(variant.name, 'otel');
  assert.deepEqual(jaegerSampling, { TAIL_SAMPLING_SHARE: '0.3', ADAPTIVE_SAMPLING_TARGET: '2', JAEGER_SAMPLING: 'tail' });
  const plain = parseLocalArgs([], {});
  assert.equal(plain.variant.name, 'zipkin');
  assert.deepEqual(plain.jaegerSampling, {});
  // Only the modes' own variables, and only those with a value.
  assert.deepEqual(parseLocalArgs([], { MY_TAIL_SAMPLING_SHARE: '1', TAIL_SAMPLING_THRESHOLD_MS: undefined, ADAPTIVE_SAMPLING_TARGET: '3' }).jaegerSampling, { ADAPTIVE_SAMPLING_TARGET: '3' });
  // The mode is a flag: a JAEGER_SAMPLING left in the shell (for Compose) does not pick it here.
  assert.deepEqual(parseLocalArgs(['--sampling=adaptive'], {}).jaegerSampling, { JAEGER_SAMPLING: 'adaptive' });
});

test('says what it takes, in one line, for a variant it does not run or an option it does not know', () => {
  assert.throws(() => parseLocalArgs(['native'], {}), { message: `the variant is zipkin or otel (zipkin is the default), got "native" ${USAGE}` });
  assert.throws(() => parseLocalArgs(['--bogus'], {}), (err: Error) => err.message.endsWith(USAGE) && !err.message.includes('\n'));
});
