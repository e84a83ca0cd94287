import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diag } from '@opentelemetry/api';
import { routeSdkLogs } from '../../services/opentelemetry';

test("the SDK's errors and warnings become one line each, whatever they carry; nothing below a warning is logged", () => {
  const lines: string[] = [];
  routeSdkLogs((line) => lines.push(line));
  diag.error('export failed', new Error('bad gateway', { cause: { code: 'ECONNRESET' } }));
  diag.error('export failed', { status: 503 });
  diag.warn('sampler', 'kept its last strategy');
  diag.warn('no details');
  diag.info('an info line');
  diag.debug('a debug line');
  assert.deepEqual(lines, [
    'opentelemetry: export failed: bad gateway (ECONNRESET)',
    'opentelemetry: export failed: {"status":503}',
    'opentelemetry: sampler: kept its last strategy',
    'opentelemetry: no details',
  ]);
});

test('routing the logs again says nothing to the logger it replaces', () => {
  const first: string[] = [];
  const second: string[] = [];
  routeSdkLogs((line) => first.push(line));
  routeSdkLogs((line) => second.push(line));
  diag.warn('after');
  assert.deepEqual(first, []);
  assert.deepEqual(second, ['opentelemetry: after']);
});
