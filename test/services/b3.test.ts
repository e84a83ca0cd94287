import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpanContext } from 'opentracing';
import { B3Codec, multiFromSingle, readSingleHeader } from '../../services/b3';

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

/** jaeger-client's own span context, which its types do not export: the tracer makes its ids this way. */
const { SpanContext: JaegerSpanContext } = require('jaeger-client') as {
  SpanContext: { withBinaryIds(traceId: Buffer, spanId: Buffer, parentId: Buffer, flags: number): SpanContext };
};

test('writes every id whole, with the leading zeros jaeger-client drops: 16 characters, or 32 for a 128-bit trace id', () => {
  const hex = (id: string) => Buffer.from(id, 'hex');
  const written = (traceId: string) => {
    const carrier: Record<string, string> = {};
    new B3Codec().inject(JaegerSpanContext.withBinaryIds(hex(traceId), hex('00f067aa0ba902b7'), hex('000000000000000a'), 1), carrier);
    return carrier;
  };
  assert.deepEqual(written('000f7651916cd43d'), {
    'x-b3-traceid': '000f7651916cd43d',
    'x-b3-spanid': '00f067aa0ba902b7',
    'x-b3-parentspanid': '000000000000000a',
    'x-b3-sampled': '1',
  });
  assert.equal(written('0af7651916cd43dd8448eb211c80319c')['x-b3-traceid'], '0af7651916cd43dd8448eb211c80319c');
  assert.equal(written('00000000000000008448eb211c80319c')['x-b3-traceid'], '8448eb211c80319c', 'a 128-bit id whose high half is zero is written as a 64-bit one');
});

test('writes no parent id for a span that has none, the root of its trace', () => {
  const carrier: Record<string, string> = {};
  const root = JaegerSpanContext.withBinaryIds(Buffer.from('000f7651916cd43d', 'hex'), Buffer.from('00f067aa0ba902b7', 'hex'), null as unknown as Buffer, 1);
  new B3Codec().inject(root, carrier);
  assert.deepEqual(carrier, { 'x-b3-traceid': '000f7651916cd43d', 'x-b3-spanid': '00f067aa0ba902b7', 'x-b3-sampled': '1' });
});
