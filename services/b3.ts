/**
 * Zipkin's B3 context in both of its forms. Many Zipkin and OpenTelemetry clients
 * send the single header, `b3: {traceid}-{spanid}-{sampled}-{parentspanid}` (the
 * last two optional) or the sampling state alone; Envoy 1.40 answers in the form
 * it was given. jaeger-client's B3 codec reads only the multi-header form
 * (x-b3-traceid, ...), so the single header is read as the multi headers it
 * stands for. When both forms arrive, the single header wins, as the B3
 * specification says; what this service writes is always the multi-header form.
 */
import { Extractor, Injector, ZipkinB3TextMapCodec } from 'jaeger-client';
import { SpanContext } from 'opentracing';

/** The opentracing format name the B3 codec is registered and looked up under. */
export const B3_FORMAT = 'b3-http-headers';

type Headers = Record<string, string | string[] | undefined>;

const MULTI_HEADERS = ['x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'];
const TRACE_ID = '(?:[0-9a-f]{16}|[0-9a-f]{32})';
const SPAN_ID = '[0-9a-f]{16}';
const SAMPLING = '[01d]';
const SINGLE = new RegExp(`^(?:(${TRACE_ID})-(${SPAN_ID})(?:-(${SAMPLING})(?:-(${SPAN_ID}))?)?|(${SAMPLING}))$`);

/** The multi headers one `b3` value stands for, or undefined when the value is not B3. */
export function multiFromSingle(value: string): Record<string, string> | undefined {
  const match = SINGLE.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, traceId, spanId, withIds, parentId, alone] = match;
  const multi: Record<string, string> = {};
  if (traceId) Object.assign(multi, { 'x-b3-traceid': traceId, 'x-b3-spanid': spanId });
  if (parentId) multi['x-b3-parentspanid'] = parentId;
  const sampling = withIds ?? alone;
  if (sampling === 'd') multi['x-b3-flags'] = '1';
  else if (sampling) multi['x-b3-sampled'] = sampling;
  return multi;
}

/** The headers as the multi-header codec should read them: a valid `b3` replaces every x-b3-* header. */
export function readSingleHeader(headers: Headers): Headers {
  const single = Object.entries(headers).find(([key]) => key.toLowerCase() === 'b3');
  const multi = typeof single?.[1] === 'string' ? multiFromSingle(single[1]) : undefined;
  if (!multi) return headers;
  const rest = Object.fromEntries(Object.entries(headers).filter(([key]) => !MULTI_HEADERS.includes(key.toLowerCase())));
  return { ...rest, ...multi };
}

/** The B3 codec the tracer registers: reads both forms, writes the multi-header form. */
export class B3Codec implements Injector, Extractor {
  private readonly multi = new ZipkinB3TextMapCodec({ urlEncoding: true });

  extract(carrier: Headers): SpanContext | null {
    return this.multi.extract(readSingleHeader(carrier));
  }

  inject(context: SpanContext, carrier: Record<string, string>): void {
    this.multi.inject(context, carrier);
    // Workaround: jaeger-client 3.19 writes ids without their leading zeros (one span id in
    // sixteen comes out 15 characters long), and B3 asks for 16 or 32 lower-hex characters.
    // jaeger-client is archived, so no release fixes it; OpenTelemetry's B3 propagator writes them whole.
    for (const key of ['x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid']) {
      const id = carrier[key];
      if (id) carrier[key] = id.padStart(id.length > 16 ? 32 : 16, '0');
    }
  }
}
