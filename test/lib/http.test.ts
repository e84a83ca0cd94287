import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { test, TestContext } from 'node:test';
import { httpGet, httpOk } from '../../lib/http';

/** A server that answers /ok, /bad (503), /echo (the request's headers as JSON), /trickle (a byte every 100 ms) and nothing else. */
async function server(t: TestContext): Promise<string> {
  const hang: http.ServerResponse[] = [];
  const srv = http.createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    if (req.url === '/ok') res.end('fine');
    else if (req.url === '/bad') {
      res.statusCode = 503;
      res.end('no');
    } else if (req.url === '/utf8') {
      // A character whose two bytes arrive in two chunks.
      const bytes = Buffer.from('µ', 'utf8');
      res.write(bytes.subarray(0, 1));
      setTimeout(() => res.end(bytes.subarray(1)), 20);
    } else if (req.url === '/299') {
      res.statusCode = 299;
      res.end();
    } else if (req.url === '/echo') {
      res.setHeader('x-trace-id', 'abc');
      res.end(JSON.stringify(req.headers));
    } else if (req.url === '/trickle') {
      res.write('.');
      const timer = setInterval(() => res.write('.'), 100);
      res.on('close', () => clearInterval(timer));
    } else hang.push(res);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

test('httpOk passes a 2xx answer, and fails an error status or no answer within a second', async (t) => {
  const base = await server(t);
  await httpOk(`${base}/ok`);
  await httpOk(`${base}/299`);
  await assert.rejects(httpOk(`${base}/bad`), { message: `${base}/bad answered 503` });
  const started = performance.now();
  await assert.rejects(httpOk(`${base}/hang`), { name: 'HttpTimeout', message: `GET ${base}/hang took longer than 1000 ms` });
  assert.ok(performance.now() - started < 3000, 'gives up after about a second');
});

test('httpGet sends the headers it is given, 8 KiB ones too, and returns the status, the headers and the body', async (t) => {
  const base = await server(t);
  const big = 'x'.repeat(8 * 1024);
  const before = performance.now();
  const answer = await httpGet(`${base}/echo`, { headers: { 'x-big': big } });
  const took = performance.now() - before;
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['x-trace-id'], 'abc');
  assert.equal(JSON.parse(answer.body)['x-big'], big);
  assert.ok(answer.ms > 0 && answer.ms <= took, `${answer.ms} ms, within the ${took} ms the call took`);
  assert.equal((await httpGet(`${base}/bad`)).status, 503, 'an error status is an answer, not a failure');
});

test('httpGet gives up on an answer that trickles in for longer than its timeout', async (t) => {
  const base = await server(t);
  await assert.rejects(httpGet(`${base}/trickle`, { timeoutMs: 300 }), { name: 'HttpTimeout' });
});

test('httpGet fails at once when nothing listens', async () => {
  const srv = http.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  await assert.rejects(httpGet(`http://127.0.0.1:${port}/`), { code: 'ECONNREFUSED' });
});

test('httpGet reads the body as UTF-8, a character split across chunks too', async (t) => {
  const base = await server(t);
  assert.equal((await httpGet(`${base}/utf8`)).body, 'µ');
});

/** Runs one httpGet with a 30 s timeout in a process of its own; what it printed and how long the process lived. */
async function getInOwnProcess(url: string): Promise<{ printed: string; ms: number }> {
  const script = `require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'http.js'))}).httpGet(process.argv[1], { timeoutMs: 30000 }).then((a) => console.log(a.status), (e) => console.log(e.code))`;
  const started = performance.now();
  // Not spawnSync: the server answering it runs in this process.
  const printed = await new Promise<string>((resolve) =>
    execFile(process.execPath, ['-e', script, url], { timeout: 20_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`.trim())),
  );
  return { printed, ms: performance.now() - started };
}

test('httpGet leaves no timer behind: a process that made one GET with a long timeout exits at once, answered or refused', async (t) => {
  const base = await server(t);
  const answered = await getInOwnProcess(`${base}/ok`);
  assert.equal(answered.printed, '200');
  assert.ok(answered.ms < 10_000, 'the answered process did not wait out the timeout');
  const refused = await getInOwnProcess('http://127.0.0.1:1/');
  assert.equal(refused.printed, 'ECONNREFUSED');
  assert.ok(refused.ms < 10_000, 'the refused process did not wait out the timeout');
});
