import assert from 'node:assert/strict';
import { test } from 'node:test';
import { command } from '../../lib/command';

test('returns what the command printed, fed its input', () => {
  assert.equal(command('sh', ['-c', 'tr a-z A-Z'], { input: 'abc\n' }), 'ABC\n');
  assert.equal(command('sh', ['-c', 'echo "$WHO"'], { env: { WHO: 'me', PATH: process.env.PATH } }), 'me\n');
});

test('returns a large output whole, as `kubectl get -o json` of many pods gives', () => {
  // 4 MiB of one character: far past the 1 MiB child_process keeps by default.
  const out = command('sh', ['-c', 'head -c 4194304 /dev/zero | tr "\\0" x']);
  assert.equal(out.length, 4 * 1024 * 1024);
  assert.match(out, /^x+$/);
});

test('names the command, its first four arguments, its exit code and the last eight lines of its output, its error output last, when it fails', () => {
  const script = 'for i in $(seq 1 12); do echo "line $i"; done; echo oops >&2; exit 3';
  assert.throws(
    () => command('/bin/sh', ['-c', script, 'a', 'b', 'c', 'd']),
    (err: Error) => {
      const [first, ...rest] = err.message.split('\n');
      assert.equal(first, `sh -c ${script} a b failed (exit 3):`);
      assert.deepEqual(rest, ['line 6', 'line 7', 'line 8', 'line 9', 'line 10', 'line 11', 'line 12', 'oops']);
      return true;
    },
  );
});

test('says in one line that a command could not run', () => {
  assert.throws(() => command('/nonexistent/tool', []), { message: 'tool could not run: spawnSync /nonexistent/tool ENOENT' });
});
