import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Response } from 'express';
import type { Span } from 'opentracing';
import { finishWithResponse, nowMs } from '../../services/span-timing';

test('tells time within a millisecond of the wall clock, with sub-millisecond steps', () => {
  const before = Date.now();
  const now = nowMs();
  const after = Date.now();
  assert.ok(now >= before - 1 && now <= after + 1, `${now} is between ${before} and ${after}`);
  const readings = Array.from({ length: 5 }, () => nowMs());
  assert.ok(readings.every((r, i) => i === 0 || r >= readings[i - 1]), 'it never goes back');
  assert.ok(readings.some((r) => !Number.isInteger(r)), `it resolves below a millisecond: ${readings.join(', ')}`);
});

/** How many of `samples` readings in a row fall in the wall clock's current millisecond. */
function readingsOnTheWallClock(samples: number): number {
  let same = 0;
  for (let i = 0; i < samples; i++) {
    const wall = Date.now();
    if (Math.floor(nowMs()) === wall) same++;
  }
  return same;
}

test('follows the wall clock to a fraction of a millisecond: its whole milliseconds are the wall clock’s', async () => {
  nowMs();
  const samples = 200;
  // Anchored at a tick, it differs only within a few µs of the next one; at the middle of a
  // millisecond, as a busy machine that missed every tick leaves it, about half the time.
  // Such a machine gets another try every second, so the test gives it a few.
  let same = readingsOnTheWallClock(samples);
  for (let round = 1; round < 8 && same < samples * 0.9; round++) {
    await delay(1_100);
    same = readingsOnTheWallClock(samples);
  }
  assert.ok(same >= samples * 0.9, `${same} of ${samples} readings had the wall clock's millisecond`);
});

test('anchors once: readings in a row are microseconds apart, not a tick each', () => {
  nowMs();
  const readings = Array.from({ length: 21 }, () => nowMs());
  const steps = readings.slice(1).map((r, i) => r - readings[i]).sort((a, b) => a - b);
  assert.ok(steps[10] < 0.5, `median step ${steps[10]} ms`);
});

/** A response as finishWithResponse sees it: end() and a close event. */
function fakeResponse() {
  const res = Object.assign(new EventEmitter(), { statusCode: 201, writableEnded: false, end: () => {} });
  res.end = function () {
    res.writableEnded = true;
    return res;
  };
  return res;
}

test('finishes the server span once, when the response is ended, even when the connection closes after', () => {
  const calls: string[] = [];
  const span = { setTag: (k: string, v: unknown) => calls.push(`tag ${k}=${v}`), log: () => calls.push('log'), finish: () => calls.push('finish') };
  const res = fakeResponse();
  finishWithResponse(span as unknown as Span, res as unknown as Response);
  res.end();
  res.emit('close');
  assert.deepEqual(calls, ['tag http.status_code=201', 'finish']);
});

test('finishes the server span on close, with a note, when the client left before the answer', () => {
  const calls: string[] = [];
  const span = { setTag: (k: string, v: unknown) => calls.push(`tag ${k}=${v}`), log: (f: { event: string }) => calls.push(`log ${f.event}`), finish: () => calls.push('finish') };
  const res = fakeResponse();
  finishWithResponse(span as unknown as Span, res as unknown as Response);
  res.emit('close');
  res.emit('close');
  assert.deepEqual(calls, ['tag http.status_code=201', 'log client disconnected before the response was sent', 'finish']);
});
