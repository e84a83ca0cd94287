import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nowMs } from '../../services/span-timing';

test('tells time within a millisecond of the wall clock, with sub-millisecond steps', () => {
  const before = Date.now();
  const now = nowMs();
  const after = Date.now();
  assert.ok(now >= before - 1 && now <= after + 1, `${now} is between ${before} and ${after}`);
  const readings = Array.from({ length: 5 }, () => nowMs());
  assert.ok(readings.every((r, i) => i === 0 || r >= readings[i - 1]), 'it never goes back');
  assert.ok(readings.some((r) => !Number.isInteger(r)), `it resolves below a millisecond: ${readings.join(', ')}`);
});
