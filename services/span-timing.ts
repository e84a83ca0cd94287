/**
 * When a service's spans start and end, precisely enough to nest inside the
 * Envoys' spans.
 *
 * - Timestamps with microsecond resolution. jaeger-client stamps spans with
 *   Date.now(), whole milliseconds, which makes a 300 µs hop read "0 ms" and can
 *   put a child before its Envoy parent. nowMs() is the monotonic clock, anchored
 *   to the wall clock at a millisecond tick and re-anchored every minute so it
 *   does not drift away from the Envoys' timestamps. On a busy machine the tick
 *   can be missed; then it takes the middle of the current millisecond and tries
 *   again every second. It anchors on first use, so importing this module starts
 *   nothing.
 * - A server span ends when the response is ended (finishWithResponse), not when
 *   a busy event loop later reports it sent.
 */
import type { Response } from 'express';
import type { Span } from 'opentracing';
import { Tags } from 'opentracing';

let wallAnchor = 0;
let monoAnchor = 0;
let anchored = false;
/** Whether the anchor was taken at a tick; until then it is the middle of a millisecond. */
let precise = false;

/** How closely the tick must be seen; a process descheduled mid-measurement sees it late. */
const MAX_TICK_WINDOW_MS = 0.1;

/**
 * Finds a millisecond tick of the wall clock and notes the monotonic time it happened at. The
 * tick lies between the last reading of the old millisecond and the first of the new one, so
 * the window starts at a monotonic reading taken before that last old one.
 */
function anchor(): boolean {
  let beforeRead = performance.now();
  let wall = Date.now();
  const start = wall;
  let windowStart = beforeRead;
  while (wall === start) {
    windowStart = beforeRead; // taken before the last read, which saw the old millisecond
    beforeRead = performance.now();
    wall = Date.now();
  }
  const windowEnd = performance.now();
  if (windowEnd - windowStart > MAX_TICK_WINDOW_MS) return false;
  wallAnchor = wall;
  monoAnchor = (windowStart + windowEnd) / 2;
  return true;
}

function reanchor(): void {
  // Under heavy load a measurement can be preempted; keep the old anchor rather than a bad one.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (anchor()) {
      precise = true;
      return;
    }
  }
}

/** Re-anchors every minute, or every second while no tick has been seen yet. */
function keepAnchored(): void {
  const timer = setTimeout(
    () => {
      reanchor();
      keepAnchored();
    },
    precise ? 60_000 : 1_000,
  );
  timer.unref();
}

/** Milliseconds since the epoch, with a fractional part; what opentracing's startTime/finish take. */
export function nowMs(): number {
  if (!anchored) {
    anchored = true;
    // Date.now() is the millisecond that has begun; the middle of it is at most 0.5 ms off.
    wallAnchor = Date.now() + 0.5;
    monoAnchor = performance.now();
    reanchor();
    keepAnchored();
  }
  return wallAnchor + (performance.now() - monoAnchor);
}

/**
 * Finishes the server span with the response: when the response is ended, before its last
 * bytes can reach the sidecar, so the span lies inside the sidecar's span; or when the
 * connection closes first, noting that the client left before the answer was sent.
 */
export function finishWithResponse(span: Span, res: Response): void {
  let finished = false;
  const finish = (endMs: number, sent: boolean) => {
    if (finished) return;
    finished = true;
    span.setTag(Tags.HTTP_STATUS_CODE, res.statusCode);
    if (!sent) span.log({ event: 'client disconnected before the response was sent' });
    span.finish(endMs);
  };
  const end = res.end;
  res.end = function (this: Response, ...args: Parameters<Response['end']>) {
    const endMs = nowMs();
    res.end = end;
    const result = end.apply(this, args);
    finish(endMs, true);
    return result;
  } as Response['end'];
  res.once('close', () => finish(nowMs(), res.writableEnded));
}
