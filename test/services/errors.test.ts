import assert from 'node:assert/strict';
import { test } from 'node:test';
import { badRequest, DownstreamError, HttpError, notFound, shorten } from '../../services/errors';

test('cuts caller input longer than the limit, and keeps input of exactly the limit', () => {
  assert.equal(shorten('abcd', 4), 'abcd');
  assert.equal(shorten('abcde', 4), 'abcd…');
  assert.equal(notFound(`/${'x'.repeat(100)}`).message, `No route for /${'x'.repeat(79)}…`);
});

test('names its errors, and keeps their status', () => {
  assert.equal(String(badRequest('bad')), 'HttpError: bad');
  assert.equal(badRequest('bad').status, 400);
  const downstream = new DownstreamError(504, 'slow');
  assert.equal(String(downstream), 'DownstreamError: slow');
  assert.ok(downstream instanceof HttpError);
});
