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
  if (isNodeUtf8(encoding)) return buf.toString('utf8');
  // byte order guessed from the first bytes: the same guess as a stream of the same bytes makes
  if (sniffedBytes(encoding) > 0) {
    const d = createDecoder(encoding);
    return d.write(buf) + d.end();
  }
  return iconv.decode(buf, encoding, { stripBOM: false });
}

// UTF-16 and UTF-32 without a byte order: iconv-lite guesses it from a BOM, else from where the
// zero bytes fall in whatever it holds once it has 16 (32) bytes, so the guess depended on the
// chunking. Given exactly that many first, it always guesses from the same bytes.
function sniffedBytes(encoding: string): number {
  const c = canonical(encoding);
  return c === 'utf16' ? 16 : c === 'utf32' || c === 'ucs4' ? 32 : 0;
}

/** iconv-lite's decoder objects, as far as this module relies on them. */
interface IconvDecoder {
  write(chunk: Buffer): string;
  end(): string | undefined;
}

// iconv-lite's cesu8 decoder ends with the number 0 instead of a string.
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

// The bytes of an unfinished character that iconv-lite's double-byte decoder (GBK, GB18030,
// Big5, Shift_JIS, EUC-KR, EUC-JP...) holds; undefined for every other kind of decoder.
function heldBytes(decoder: IconvDecoder): number[] | undefined {
  const held = (decoder as unknown as { prevBytes?: unknown }).prevBytes;
  return Array.isArray(held) ? (held as number[]) : undefined;
}

/**
 * Streams through iconv-lite's double-byte decoder without its flaw: a write that completes
 * a character begun in an earlier chunk sizes its output by the new chunk alone, so the
 * character is cut (GB18030 `90 30 81|30` gave a lone surrogate) and the byte after an
 * invalid sequence is lost (GBK `e0|00`). A write made while nothing is held is exact, so
 * whenever bytes are held the next chunk goes, after them, to a fresh decoder: the result
 * equals decoding everything at once. (Node's TextDecoder is no way out: its ICU tables
 * lack Big5-HKSCS and the UHC half of EUC-KR and drop bytes they do not know.)
 */
class DoubleByteDecoder implements StreamDecoder {
  private inner: IconvDecoder;
  private held: Buffer | undefined;

  constructor(private readonly encoding: string) {
    this.inner = DoubleByteDecoder.open(encoding);
  }

  private static open(encoding: string): IconvDecoder {
    return iconv.getDecoder(encoding, { stripBOM: false }) as IconvDecoder;
  }

  write(chunk: Buffer): string {
    let bytes = chunk;
    if (this.held) {
      bytes = Buffer.concat([this.held, chunk]);
      this.held = undefined;
      this.inner = DoubleByteDecoder.open(this.encoding);
    }
    const text = this.inner.write(bytes);
    const held = heldBytes(this.inner)!;
    if (held.length > 0) this.held = Buffer.from(held);
    return text;
  }

  end(): string {
    let text = '';
    if (this.held) {
      this.inner = DoubleByteDecoder.open(this.encoding);
      text = this.inner.write(this.held);
      this.held = undefined;
    }
    return text + textOf(this.inner.end());
  }
}

// base64 letters, `+` and `/` (`,` in IMAP's variant) and IMAP's `&` shift
const UTF7_HELD = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/,&') UTF7_HELD[c.charCodeAt(0)] = 1;

/**
 * iconv-lite's UTF-7 decoders read a `-` that opens a chunk as the `+-` escape even when
 * base64 came before it in the previous chunk. Holding back a chunk's last byte whenever it
 * could precede such a `-` means no chunk ever opens with one.
 */
class Utf7Decoder implements StreamDecoder {
  private held: Buffer | undefined;

  constructor(private readonly inner: IconvDecoder) {}

  write(chunk: Buffer): string {
    if (chunk.length === 0) return '';
    const bytes = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    const last = bytes[bytes.length - 1]!;
    const keep = UTF7_HELD[last] === 1 ? 1 : 0;
    this.held = keep ? Buffer.from(bytes.subarray(bytes.length - 1)) : undefined;
    return this.inner.write(bytes.subarray(0, bytes.length - keep));
  }

  end(): string {
    const text = this.held ? this.inner.write(this.held) : '';
    this.held = undefined;
    return text + textOf(this.inner.end());
  }
}

/** Hands a byte-order-guessing decoder exactly its first `count` bytes in one write. */
class SniffingDecoder implements StreamDecoder {
  private head: Buffer | undefined = Buffer.alloc(0);

  constructor(
    private readonly inner: IconvDecoder,
    private readonly count: number,
  ) {}

  write(chunk: Buffer): string {
    if (!this.head) return this.inner.write(chunk);
    const head = Buffer.concat([this.head, chunk]);
    if (head.length < this.count) {
      this.head = head;
      return '';
    }
    this.head = undefined;
    return this.inner.write(head.subarray(0, this.count)) + this.inner.write(head.subarray(this.count));
  }

  end(): string {
    const text = this.head?.length ? this.inner.write(this.head) : '';
    this.head = undefined;
    return text + textOf(this.inner.end());
  }
}

/**
 * Creates a stateful decoder: a multi-byte character split across chunks is decoded whole,
 * and any chunking of the same bytes gives the same text as {@link decodeText}.
 */
export function createDecoder(encoding = 'utf8'): StreamDecoder {
  const inner = iconv.getDecoder(encoding, { stripBOM: false }) as IconvDecoder;
  if (heldBytes(inner) !== undefined) return new DoubleByteDecoder(encoding);
  const c = canonical(encoding);
  if (c === 'utf7' || c === 'unicode11utf7' || c === 'utf7imap') return new Utf7Decoder(inner);
  const sniffed = sniffedBytes(encoding);
  if (sniffed > 0) return new SniffingDecoder(inner, sniffed);
  return {
    write: (chunk) => inner.write(chunk),
    end: () => textOf(inner.end()),
  };
}
