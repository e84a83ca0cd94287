import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { rssMiB, rssOf } from '../../bench/memory';

test("reads a process's resident memory as Node itself reports it", () => {
  const own = process.memoryUsage.rss() / 1024 / 1024;
  const read = rssMiB(process.pid);
  assert.ok(read !== undefined);
  assert.ok(Math.abs(read - own) < 8, `read ${read.toFixed(1)} MiB, Node says ${own.toFixed(1)} MiB`);
});

test('sees memory grow when a process touches more of it', () => {
  const before = rssMiB(process.pid)!;
  const block = Buffer.alloc(64 * 1024 * 1024, 1);
  const after = rssMiB(process.pid)!;
  assert.ok(after - before > 48, `${before.toFixed(1)} -> ${after.toFixed(1)} MiB after touching 64 MiB`);
  assert.equal(block[block.length - 1], 1);
});

test('leaves out a process that is gone', () => {
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  assert.equal(rssMiB(gone), undefined);
  assert.deepEqual(Object.keys(rssOf({ self: process.pid, gone })), ['self']);
});
