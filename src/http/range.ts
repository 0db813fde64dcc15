// Range requests (RFC 9110 §14): strict parsing, coalescing and limits so ranges cannot amplify a response.

/** Inclusive byte positions within a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What to answer to a Range header. */
export type RangeDecision =
  /** No usable Range: 200 with the whole body. */
  | { kind: 'full' }
  /** 416 with `Content-Range: bytes * /size`. */
  | { kind: 'unsatisfiable' }
  /** 206: one range, or several sorted and disjoint ones (multipart/byteranges). */
  | { kind: 'ranges'; ranges: ByteRange[] };

/** Most ranges one request may ask for, as nginx's `max_ranges` (more: the whole body is sent). */
export const DEFAULT_MAX_RANGES = 16;

/**
 * Parses a Range header against a body of `size` bytes.
 * - another unit than `bytes`, more than `maxRanges` ranges, or ranges adding up to more than
 *   the body (Go's rule against `0-,0-,0-,…`): the whole body, 200;
 * - malformed (`bytes=5-2`, `bytes=x`) or nothing satisfiable: 416;
 * - otherwise the satisfiable ranges, clamped, sorted, overlapping and adjacent ones merged.
 */
export function parseRange(header: string | undefined, size: number, maxRanges = DEFAULT_MAX_RANGES): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' };
  const specs = header.slice(eq + 1).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length === 0) return { kind: 'unsatisfiable' };
  if (specs.length > maxRanges) return { kind: 'full' };
  const ranges: ByteRange[] = [];
  let total = 0;
  for (const spec of specs) {
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (!m || (m[1] === '' && m[2] === '')) return { kind: 'unsatisfiable' };
    let start: number;
    let end: number;
    if (m[1] === '') {
      // suffix: the last N bytes
      const n = Number(m[2]);
      if (n === 0 || size === 0) continue;
      start = Math.max(0, size - n);
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Number(m[2]);
      if (end < start) return { kind: 'unsatisfiable' };
      if (start >= size) continue;
      end = Math.min(end, size - 1);
    }
    ranges.push({ start, end });
    total += end - start + 1;
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  if (ranges.length > 1 && total > size) return { kind: 'full' };
  return { kind: 'ranges', ranges: coalesce(ranges) };
}

/** Sorts ranges and merges those that overlap or touch. */
export function coalesce(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/**
 * Whether an If-Range validator still matches, so the range may be served (RFC 9110 §13.1.5):
 * an entity tag must equal the strong ETag; a date must equal Last-Modified exactly.
 */
export function ifRangeMatches(header: string | undefined, etag: string, lastModifiedMs: number): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === etag;
  const date = Date.parse(value);
  return Number.isFinite(date) && date === Math.floor(lastModifiedMs / 1000) * 1000;
}

/** One part of a multipart/byteranges body: its header bytes and its range. */
export interface RangePart {
  head: Buffer;
  range: ByteRange;
}

/** The parts, closing delimiter and exact length of a multipart/byteranges body (RFC 9110 §14.6). */
export interface MultipartLayout {
  contentType: string;
  parts: RangePart[];
  tail: Buffer;
  length: number;
}

/** Lays out a multipart/byteranges body without reading any of it, so it can be streamed part by part. */
export function multipartLayout(ranges: readonly ByteRange[], size: number, type: string, boundary: string): MultipartLayout {
  let length = 0;
  const parts = ranges.map((range, i) => {
    const head = Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`, 'latin1');
    length += head.length + range.end - range.start + 1;
    return { head, range };
  });
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  length += tail.length;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, parts, tail, length };
}
