/**
 * Span timestamps with microsecond resolution. jaeger-client stamps spans with
 * Date.now(), whole milliseconds, which makes a 300 µs hop read "0 ms" and can
 * put a child before its Envoy parent. This clock is the monotonic clock,
 * anchored to the wall clock at a millisecond tick and re-anchored every minute
 * so it never drifts away from the Envoys' timestamps.
 */
let wallAnchor = 0;
let monoAnchor = 0;

function anchor(): void {
  const start = Date.now();
  let wall = start;
  // Wait for the next millisecond tick (at most 1 ms) so the anchor is exact.
  while (wall === start) wall = Date.now();
  wallAnchor = wall;
  monoAnchor = performance.now();
}

anchor();
setInterval(anchor, 60_000).unref();

/** Milliseconds since the epoch, with a fractional part; what opentracing's startTime/finish take. */
export function nowMs(): number {
  return wallAnchor + (performance.now() - monoAnchor);
}
