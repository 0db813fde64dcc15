// Text encodings through iconv-lite: validation with suggestions, and streaming decoders per connection.
import iconv from 'iconv-lite';
import { UsageError } from '../errors.js';

/** A decoder that keeps the bytes of a character split across reads until the rest arrives. */
export interface StreamDecoder {
  write(chunk: Buffer): string;
  end(): string;
}

function canonical(name: string): string {
  return name.toLowerCase().replace(/[^0-9a-z]/g, '');
}

let knownNames: string[] | undefined;

/** Every encoding name iconv-lite accepts (aliases included), in its canonical spelling. */
export function listEncodings(): string[] {
  if (!knownNames) {
    iconv.encodingExists('utf8'); // makes iconv-lite load its table
    const table = (iconv as unknown as { encodings: Record<string, unknown> }).encodings;
    knownNames = Object.keys(table).filter((n) => !n.startsWith('_')).sort();
  }
  return knownNames;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Names close to a misspelt one, best first. */
export function suggestEncodings(name: string, max = 5): string[] {
  const want = canonical(name);
  return listEncodings()
    .map((n) => ({ n, d: n.startsWith(want) || want.startsWith(n) ? 0.5 : distance(want, n) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(want.length / 3)))
    .sort((a, b) => a.d - b.d || a.n.length - b.n.length)
    .slice(0, max)
    .map((x) => x.n);
}

/** Checks an encoding name; an unknown one is a usage error listing close matches. */
export function resolveEncoding(name: string, optionName = '--encoding'): string {
  const trimmed = name.trim();
  if (trimmed && iconv.encodingExists(trimmed)) return trimmed.toLowerCase();
  const close = suggestEncodings(trimmed);
  throw new UsageError(
    `${optionName}: unknown encoding '${name}'${close.length ? `; did you mean ${close.join(', ')}?` : ''}`,
    'any name iconv-lite knows works: utf8, gbk, gb18030, big5, shift_jis, euc-kr, latin1, utf16le, hex, base64, ...',
  );
}

/** True for the encodings Node handles natively, which skip iconv-lite on the hot path. */
function isNodeUtf8(encoding: string): boolean {
  const c = canonical(encoding);
  return c === 'utf8' || c === 'unicode11utf8';
}

/** Encodes text into bytes. */
export function encodeText(text: string, encoding = 'utf8'): Buffer {
  return isNodeUtf8(encoding) ? Buffer.from(text, 'utf8') : iconv.encode(text, encoding);
}

/** Decodes a complete message (no state carried between calls). */
export function decodeText(bytes: Uint8Array, encoding = 'utf8'): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isNodeUtf8(encoding) ? buf.toString('utf8') : iconv.decode(buf, encoding, { stripBOM: false });
}

/** Creates a stateful decoder: a multi-byte character split across chunks is decoded whole. */
export function createDecoder(encoding = 'utf8'): StreamDecoder {
  const inner = iconv.getDecoder(encoding, { stripBOM: false });
  return {
    write: (chunk) => inner.write(chunk),
    end: () => inner.end() ?? '',
  };
}
