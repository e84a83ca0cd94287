/**
 * The service clock's tick must lie inside the window it measures. Both clocks are faked, as in
 * span-timing-anchor.test.ts: every reading costs 1 µs of "true" time. Once, right after
 * Date.now() reads the millisecond before the tick for the second time, the process is
 * descheduled for half a millisecond, so the tick passes unseen between two readings. In a file
 * of its own: the clock anchors once per process, on first use.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nowMs } from '../../services/span-timing';

test('a tick that passed while the process was descheduled is not taken for the moment it was seen', (t) => {
  let trueMs = 1_700_000_000_000.95;
  const step = 0.001;
  let oldMillisecondReads = 0;
  t.mock.method(Date, 'now', () => {
    const reading = Math.floor(trueMs);
    trueMs += step;
    if (reading === 1_700_000_000_000 && ++oldMillisecondReads === 2) trueMs += 0.5;
    return reading;
  });
  t.mock.method(performance, 'now', () => {
    trueMs += step;
    return trueMs - 1_699_999_000_000;
  });
  t.mock.timers.enable({ apis: ['setTimeout'] });

  const reading = nowMs();
  const offBy = reading - trueMs;
  assert.equal(oldMillisecondReads >= 2, true, 'the pause happened');
  assert.ok(Math.abs(offBy) < 0.1, `off by ${offBy} ms`);
});
