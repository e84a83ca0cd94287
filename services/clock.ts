/**
 * Span timestamps with microsecond resolution. jaeger-client stamps spans with
 * Date.now(), whole milliseconds, which makes a 300 µs hop read "0 ms" and can
 * put a child before its Envoy parent. This clock is the monotonic clock,
 * anchored to the wall clock at a millisecond tick and re-anchored every minute
 * so it does not drift away from the Envoys' timestamps.
 */
let wallAnchor = Date.now();
let monoAnchor = performance.now();

/** How closely the tick must be seen; a process descheduled mid-measurement sees it late. */
const MAX_TICK_WINDOW_MS = 0.1;

/** Finds a millisecond tick of the wall clock and notes the monotonic time it happened at. */
function anchor(): boolean {
  const start = Date.now();
  let before = performance.now();
  let wall = Date.now();
  while (wall === start) {
    before = performance.now();
    wall = Date.now();
  }
  const after = performance.now();
  if (after - before > MAX_TICK_WINDOW_MS) return false;
  wallAnchor = wall;
  monoAnchor = (before + after) / 2;
  return true;
}

function reanchor(): void {
  // Under heavy load a measurement can be preempted; keep the old anchor rather than a bad one.
  for (let attempt = 0; attempt < 5 && !anchor(); attempt++);
}

reanchor();
setInterval(reanchor, 60_000).unref();

/** Milliseconds since the epoch, with a fractional part; what opentracing's startTime/finish take. */
export function nowMs(): number {
  return wallAnchor + (performance.now() - monoAnchor);
}
