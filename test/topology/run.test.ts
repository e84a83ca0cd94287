import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { startProcess } from '../process';

const RUN = path.join(__dirname, '..', '..', 'topology', 'run.js');

test('npm run local names the variants it runs when given another, and starts nothing', async (t) => {
  for (const args of [['native'], ['otel', 'zipkin']]) {
    const run = startProcess(t, process.execPath, [RUN, ...args]);
    assert.equal(await run.exited, 2);
    assert.equal(run.stderr(), `npm run local: the variant is zipkin or otel (zipkin is the default), got "${args.join(' ')}"\n`);
    assert.equal(run.stdout(), '');
  }
});
