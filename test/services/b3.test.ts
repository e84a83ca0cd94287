import assert from 'node:assert/strict';
import { test } from 'node:test';
import { multiFromSingle, readSingleHeader } from '../../services/b3';

test('reads every form of the single b3 header as the multi headers it stands for', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1', { 'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1' }],
    ['64fe8b2a57d3eff7-e457b5a2e4d86bd1-1', { 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-sampled': '1' }],
    ['64fe8b2a57d3eff7-e457b5a2e4d86bd1-0', { 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-sampled': '0' }],
    ['64fe8b2a57d3eff7-e457b5a2e4d86bd1-d', { 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-flags': '1' }],
    [
      '64fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90',
      { 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-parentspanid': '05e3ac9a4f6e3b90', 'x-b3-sampled': '1' },
    ],
    ['0', { 'x-b3-sampled': '0' }],
    ['1', { 'x-b3-sampled': '1' }],
    ['d', { 'x-b3-flags': '1' }],
    [' 64FE8B2A57D3EFF7-E457B5A2E4D86BD1-1 ', { 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-sampled': '1' }],
  ];
  for (const [value, multi] of cases) assert.deepEqual(multiFromSingle(value), multi, value);
});

test('refuses values that are not B3', () => {
  for (const value of [
    '',
    'x',
    '2',
    '64fe8b2a57d3eff7',
    '64fe8b2a57d3eff7-e457b5a2e4d86bd1-2',
    '64fe8b2a57d3eff-e457b5a2e4d86bd1',
    '64fe8b2a57d3eff7-e457b5a2e4d86bd',
    '64fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b9',
    '64fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90-x',
    '64fe8b2a57d3eff7-e457b5a2e4d86bd1-05e3ac9a4f6e3b90',
    'g4fe8b2a57d3eff7-e457b5a2e4d86bd1',
    '80f198ee56343ba864fe8b2a57d3eff-e457b5a2e4d86bd1',
  ]) {
    assert.equal(multiFromSingle(value), undefined, JSON.stringify(value));
  }
});

test('a valid b3 header replaces every x-b3 header and keeps the others', () => {
  const read = readSingleHeader({
    B3: '64fe8b2a57d3eff7-e457b5a2e4d86bd1',
    'X-B3-TraceId': '1111111111111111',
    'x-b3-parentspanid': '2222222222222222',
    'x-b3-sampled': '1',
    'x-b3-flags': '1',
    'x-request-id': 'rid',
  });
  assert.deepEqual(read, { B3: '64fe8b2a57d3eff7-e457b5a2e4d86bd1', 'x-request-id': 'rid', 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1' });
});

test('without a valid b3 header the headers are read as they came', () => {
  const multi = { 'x-b3-traceid': '1111111111111111', 'x-b3-spanid': '2222222222222222' };
  assert.equal(readSingleHeader(multi), multi);
  const malformed = { b3: 'nope', ...multi };
  assert.equal(readSingleHeader(malformed), malformed);
  const repeated = { b3: ['64fe8b2a57d3eff7-e457b5a2e4d86bd1', '64fe8b2a57d3eff7-e457b5a2e4d86bd1'], ...multi };
  assert.equal(readSingleHeader(repeated), repeated);
});

test('a b3 header with the sampling state alone drops every stale x-b3 header, wherever it stands', () => {
  const read = readSingleHeader({
    'x-request-id': 'rid',
    'x-b3-traceid': '1111111111111111',
    'x-b3-spanid': '2222222222222222',
    'x-b3-parentspanid': '3333333333333333',
    'x-b3-sampled': '1',
    'x-b3-flags': '1',
    b3: '0',
  });
  assert.deepEqual(read, { 'x-request-id': 'rid', b3: '0', 'x-b3-sampled': '0' });
});
