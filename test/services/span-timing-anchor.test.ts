/**
 * How the service clock anchors on a machine too busy to see a millisecond tick, with both
 * clocks faked. A "true" time moves `step` ms on every monotonic reading, as on a machine
 * where each reading costs that long; Date.now() is the millisecond it is in, and
 * performance.now() the same time from another origin. In a file of its own: the clock
 * anchors once per process, on first use.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nowMs } from '../../services/span-timing';

test('too busy to see a tick: at most half a millisecond off, then anchored at a tick a second later, then once a minute', (t) => {
  let trueMs = 1_700_000_000_000.9; // just before a tick, where a clock that took the start of the millisecond is 0.9 ms off
  let step = 0.2; // more than the 0.1 ms window a tick must be seen in
  const wall = t.mock.method(Date, 'now', () => Math.floor(trueMs));
  t.mock.method(performance, 'now', () => {
    trueMs += step;
    return trueMs - 1_699_999_000_000;
  });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const offBy = () => {
    const reading = nowMs();
    return reading - trueMs;
  };

  const rough = offBy();
  assert.ok(Math.abs(rough) <= 0.5 + step, `off by ${rough} ms, more than half a millisecond and one reading`);

  step = 0.01; // the machine is idle again
  t.mock.timers.tick(999);
  assert.ok(Math.abs(offBy()) > 0.1, 'not tried again before a second is up');
  t.mock.timers.tick(1);
  const precise = offBy();
  assert.ok(Math.abs(precise) < 0.1, `off by ${precise} ms after trying again`);

  const calls = wall.mock.callCount();
  t.mock.timers.tick(59_999);
  assert.equal(wall.mock.callCount(), calls, 'anchored at a tick, it waits a minute');
  t.mock.timers.tick(1);
  assert.ok(wall.mock.callCount() > calls, 'and re-anchors after a minute');
  assert.ok(Math.abs(offBy()) < 0.1);
});
