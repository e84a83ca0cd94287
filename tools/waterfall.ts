/**
 * A trace drawn in the terminal: one row per span, indented by parent, with a
 * bar placed and sized by time, the duration, the status, Envoy's response flags
 * when it set any (FI: a fault aborted it, DI: a fault delayed it, UF: no upstream...),
 * and a mark on errors.
 */
import { httpStatus, spanTree, Trace } from './jaeger';

export interface WaterfallOptions {
  /** Characters available for the bars. */
  barWidth?: number;
}

export function waterfall(trace: Trace, { barWidth = 40 }: WaterfallOptions = {}): string {
  const rows = spanTree(trace);
  if (rows.length === 0) return `trace ${trace.traceId} has no spans`;
  const start = Math.min(...trace.spans.map((s) => s.startUs));
  const end = Math.max(...trace.spans.map((s) => s.startUs + s.durationUs));
  const total = Math.max(end - start, 1);
  const labels = rows.map(({ span, depth }) => `${'  '.repeat(depth)}${span.service}: ${span.operation}`);
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const services = new Set(trace.spans.map((s) => s.service)).size;

  const lines = rows.map(({ span }, i) => {
    const offset = Math.min(barWidth - 1, Math.floor(((span.startUs - start) / total) * barWidth));
    const length = Math.max(1, Math.min(barWidth - offset, Math.round((span.durationUs / total) * barWidth)));
    const bar = `${' '.repeat(offset)}${'█'.repeat(length)}`.padEnd(barWidth);
    const status = httpStatus(span) !== undefined ? ` ${httpStatus(span)}` : '';
    const flags = span.tags['response_flags'] !== undefined && span.tags['response_flags'] !== '-' ? ` ${span.tags['response_flags']}` : '';
    const mark = span.error ? '  ✖ error' : '';
    return `${labels[i].padEnd(labelWidth)}  │${bar}│ ${formatDuration(span.durationUs).padStart(9)}${status}${flags}${mark}`;
  });
  const header = `trace ${trace.traceId}: ${trace.spans.length} spans, ${services} services, ${formatDuration(total)}`;
  return [header, ...lines].join('\n');
}

export function formatDuration(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us} µs`;
}
