/**
 * One HTTP GET, the one every check, tool and test uses: node:http (no client-side
 * limit on header sizes), timed, and never hanging past its timeout.
 */
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** From the request's start to the body's end. */
  ms: number;
}

/** Thrown when the whole answer took longer than the timeout. */
export class HttpTimeout extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`GET ${url} took longer than ${timeoutMs} ms`);
    this.name = 'HttpTimeout';
  }
}

export interface GetOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export function httpGet(url: string, { headers = {}, timeoutMs = 5000 }: GetOptions = {}): Promise<HttpAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started });
      });
      res.on('error', fail);
    });
    // For the whole answer, not only for a quiet socket: a server that trickles cannot hold the caller.
    const timer = setTimeout(() => req.destroy(new HttpTimeout(url, timeoutMs)), timeoutMs);
    req.on('error', fail);
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
  });
}

/** Resolves when the URL answers 2xx within timeoutMs; a readiness check. */
export async function httpOk(url: string, timeoutMs = 1000): Promise<void> {
  const { status } = await httpGet(url, { timeoutMs });
  if (status < 200 || status > 299) throw new Error(`${url} answered ${status}`);
}
