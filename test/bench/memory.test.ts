import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { diskMiB, rssMiB, rssOf } from '../../bench/memory';

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

test("reads a process's own memory apart from the files it maps, and never more than all of it", () => {
  const all = rssMiB(process.pid)!;
  const own = rssMiB(process.pid, 'RssAnon')!;
  assert.ok(own > 0 && own < all, `RssAnon ${own.toFixed(1)} MiB of VmRSS ${all.toFixed(1)} MiB`);
  // 256 MiB, so the growth shows even if the collector frees an earlier test's 64 MiB block meanwhile.
  const block = Buffer.alloc(256 * 1024 * 1024, 1);
  const grew = rssMiB(process.pid, 'RssAnon')! - own;
  assert.ok(grew > 128, `touching 256 MiB of heap grows it: by ${grew.toFixed(1)} MiB`);
  assert.equal(block[0], 1);
  assert.deepEqual(Object.keys(rssOf({ self: process.pid }, 'RssAnon')), ['self']);
});

test('reads nothing for a process whose status has no memory lines, as a kernel thread (pid 2, kthreadd)', () => {
  assert.doesNotMatch(readFileSync('/proc/2/status', 'utf8'), /^VmRSS:/m);
  assert.equal(rssMiB(2), undefined);
  assert.equal(rssMiB(2, 'RssAnon'), undefined);
});

test('leaves out a process that is gone', () => {
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  assert.equal(rssMiB(gone), undefined);
  assert.deepEqual(Object.keys(rssOf({ self: process.pid, gone })), ['self']);
});

test("counts the disk a folder's files take, in nested folders too, and not the size a file only reserves", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'disk-'));
  assert.equal(diskMiB(path.join(dir, 'none')), 0, 'a folder that is not there takes nothing');
  mkdirSync(path.join(dir, 'keys'));
  writeFileSync(path.join(dir, 'keys', 'a.sst'), Buffer.alloc(2 * 1024 * 1024, 1));
  writeFileSync(path.join(dir, 'b.vlog'), Buffer.alloc(1024 * 1024, 1));
  // 1 GiB reserved, nothing written: Badger's value log starts like this.
  const sparse = openSync(path.join(dir, 'c.vlog'), 'w');
  ftruncateSync(sparse, 1024 * 1024 * 1024);
  closeSync(sparse);
  // A link to a file counts nothing of its own: Badger keeps none, but a folder may.
  symlinkSync(path.join(dir, 'keys', 'a.sst'), path.join(dir, 'link.sst'));
  const used = diskMiB(dir);
  assert.ok(used >= 3 && used < 3.1, `3 MiB written, 1 GiB reserved: counted ${used.toFixed(2)} MiB`);
});
