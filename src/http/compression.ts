// Content types and compression: what Accept-Encoding allows, what is worth compressing, and the compressors.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import mime from 'mime-types';

/** The encodings the server produces, best first. */
export type Encoding = 'br' | 'gzip';

/** File name suffix of a precompressed sibling (`app.js.br`, `app.js.gz`). */
export const SIBLING_SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

/** The Content-Type for a file name, with `charset=utf-8` for text; unknown types are octet streams. */
export function contentTypeFor(filePath: string): string {
  const type = mime.lookup(filePath);
  if (!type) return 'application/octet-stream';
  return mime.contentType(type) || type;
}

/** Whether a type is text-like enough that compressing it pays (images, video, archives and woff2 already are compressed). */
export function isCompressible(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type.startsWith('text/')
    || type.endsWith('+json') || type.endsWith('+xml')
    || type === 'application/json' || type === 'application/xml' || type === 'application/javascript'
    || type === 'application/wasm' || type === 'image/svg+xml' || type === 'image/x-icon' || type === 'image/bmp'
    || type === 'font/ttf' || type === 'font/otf' || type === 'application/x-ndjson';
}

/**
 * The encodings Accept-Encoding allows, in the server's order of preference (br, then gzip).
 * `q=0` refuses one; `*` stands for any not named.
 */
export function acceptedEncodings(header: string | undefined): Encoding[] {
  if (!header) return [];
  const q = new Map<string, number>();
  for (const item of header.split(',')) {
    const [token, ...params] = item.trim().split(';');
    const name = token!.trim().toLowerCase();
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(weight) ? weight : 0);
  }
  const star = q.get('*');
  return (['br', 'gzip'] as const).filter((e) => (q.get(e) ?? star ?? 0) > 0);
}

const gzipAsync = promisify(zlib.gzip);
const brotliAsync = promisify(zlib.brotliCompress);

// Brotli's default quality (11) takes tens of milliseconds per 100 kB; 5 compresses nearly as well, much faster.
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;

/** Compresses a whole buffer off the main thread. */
export function compressBuffer(body: Buffer, encoding: Encoding): Promise<Buffer> {
  return encoding === 'br'
    ? brotliAsync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gzipAsync(body, { level: GZIP_LEVEL });
}

/** A streaming compressor for bodies too large to hold. */
export function createCompressor(encoding: Encoding): zlib.Gzip | zlib.BrotliCompress {
  return encoding === 'br'
    ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } })
    : zlib.createGzip({ level: GZIP_LEVEL });
}
