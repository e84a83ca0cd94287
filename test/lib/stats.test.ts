import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomialBound } from '../../lib/stats';

test('binomialBound: the mean ± 4 standard deviations, widened to whole counts and kept within 0 and n', () => {
  // 400 × 0.1 = 40, sd = √(400 × 0.1 × 0.9) = 6: 40 ± 24.
  assert.deepEqual(binomialBound(400, 0.1), { low: 16, high: 64 });
  // 300 × 0.2 = 60, sd = √48 = 6.93: 60 ± 27.7 → 32 to 88.
  assert.deepEqual(binomialBound(300, 0.2), { low: 32, high: 88 });
  // 2 standard deviations: 60 ± 13.86 → 46 to 74.
  assert.deepEqual(binomialBound(300, 0.2, 2), { low: 46, high: 74 });
  assert.deepEqual(binomialBound(10, 0.5), { low: 0, high: 10 });
  assert.deepEqual(binomialBound(50, 1), { low: 50, high: 50 });
});
