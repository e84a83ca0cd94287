import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decisionWaitS } from '../../bench/sampling-cost';

test("reads the tail_sampling processor's decision wait, in whole seconds, from the shipped file or another", () => {
  assert.equal(decisionWaitS('processors:\n  tail_sampling:\n    decision_wait: 7s\n'), 7);
  assert.equal(decisionWaitS(), 5);
  assert.throws(() => decisionWaitS('processors:\n  tail_sampling:\n    decision_wait: 500ms\n'), { message: 'jaeger/tail-sampling.yaml: decision_wait must be whole seconds, got "500ms"' });
  assert.throws(() => decisionWaitS('processors: {}\n'), /got undefined$/);
  assert.throws(() => decisionWaitS(''), /^Error: jaeger\/tail-sampling\.yaml: decision_wait must be whole seconds, got undefined$/);
  assert.equal(decisionWaitS('processors:\n  tail_sampling:\n    decision_wait: 12s\n'), 12);
  for (const wait of ['x7s', '7sx']) assert.throws(() => decisionWaitS(`processors:\n  tail_sampling:\n    decision_wait: ${wait}\n`), new RegExp(`got "${wait}"$`));
});
