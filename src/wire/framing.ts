// Message framing: stateful decoders fed chunk by chunk (so they are tested without a socket), and the matching encoders.
import { UsageError, FrameTooLargeError } from '../errors.js';

/** What one message is on a stream. */
export type FrameSpec =
  | { kind: 'raw' }
  | { kind: 'line' }
  | { kind: 'delimiter'; delimiter: Buffer }
  | { kind: 'len16' }
  | { kind: 'len32' };

/** What one chunk yields: the messages it completed and, if the stream broke the limit, why it stopped. */
export interface FrameResult {
  /** Messages completed by the chunk, in order, up to the one that broke the limit. */
  frames: Buffer[];
  /** A message over the limit: nothing after it is framed, and later pushes report it again. */
  error?: FrameTooLargeError;
}

/** Splits a byte stream into messages. */
export interface FrameDecoder {
  /**
   * Feeds one chunk. Never throws: a message over the limit comes back as `error`, after the
   * messages completed before it. Whether a message breaks the limit does not depend on how
   * the stream was cut into chunks.
   */
  push(chunk: Buffer): FrameResult;
  /** What is left when the stream ends (an unterminated last line), if anything. */
  flush(): Buffer | undefined;
}

/** Default bound on one message, whatever the framing. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

function unescapeDelimiter(e: string): string {
  switch (e) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case '0':
      return '\0';
    case '\\':
      return '\\';
    default:
      return String.fromCharCode(parseInt(e.slice(1), 16));
  }
}

const FRAME_KINDS = ['raw', 'line', 'len16', 'len32'] as const;

/** Edit distance of two short words (how far a typo is from a known kind). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * Parses `raw`, `line`, `len16`, `len32`, or a delimiter given explicitly: `delim:<text>`, or text
 * with an escape or a sign in it (`\r\n`, `;`, `</msg>`). A bare word that is not a kind is a
 * typo (`lines`), refused with the nearest kind, never taken as a delimiter.
 */
export function parseFrame(value: string, name = '--frame'): FrameSpec {
  if ((FRAME_KINDS as readonly string[]).includes(value)) return { kind: value as (typeof FRAME_KINDS)[number] };
  const explicit = value.startsWith('delim:');
  const text = explicit ? value.slice('delim:'.length) : value;
  if (text === '') throw new UsageError(`${name} must be raw, line, len16, len32 or a delimiter, got an empty ${explicit ? 'delimiter' : 'value'}`);
  if (!explicit && /^[A-Za-z0-9_-]+$/.test(text)) {
    const word = text.toLowerCase();
    const prefix = (k: string) => {
      let i = 0;
      while (i < k.length && word[i] === k[i]) i++;
      return i;
    };
    // the nearest kind; of two as near, the one sharing the longer start (len8: len16, not line)
    const near = FRAME_KINDS.map((k) => [k, distance(word, k)] as const).sort((a, b) => a[1] - b[1] || prefix(b[0]) - prefix(a[0]))[0]!;
    const guess = near[1] <= 2 ? ` (did you mean ${near[0]}?)` : '';
    throw new UsageError(`${name}: unknown kind '${value}'${guess}; the kinds are raw, line, len16 and len32`, {
      hint: `to split messages at the text '${value}', write ${name} delim:${value}`,
    });
  }
  const delimiter = Buffer.from(text.replace(/\\(x[0-9a-fA-F]{2}|n|r|t|0|\\)/g, (_, e: string) => unescapeDelimiter(e)), 'latin1');
  return { kind: 'delimiter', delimiter };
}

/** The framing in words, for a banner: `line`, `len16`, `delimiter "\r\n"`. */
export function describeFrame(spec: FrameSpec): string {
  if (spec.kind !== 'delimiter') return spec.kind === 'raw' ? 'raw (one read a message)' : `${spec.kind} framing`;
  const shown = spec.delimiter.toString('latin1').replace(/[\x00-\x1f\x7f-\xff\\"]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\', '"': '\\"' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `delimiter "${shown}"`;
}

class RawDecoder implements FrameDecoder {
  push(chunk: Buffer): FrameResult {
    return { frames: [chunk] };
  }
  flush(): undefined {
    return undefined;
  }
}

// stateless, so every raw connection shares one (10,000 idle clients need no decoder each)
const RAW_DECODER = new RawDecoder();

// Pieces shorter than this are copied into blocks rather than kept as they came.
const COPY_BELOW = 1024;
const MIN_BLOCK = 256;
const MAX_BLOCK = 64 * 1024;

/**
 * The bytes of an unfinished message. Large chunks are kept as they came; small ones are
 * copied into blocks that grow with the message, so a message fed one byte at a time costs
 * linear time and about twice its size, not an object per byte nor a copy per chunk.
 */
class PendingBytes {
  private parts: Buffer[] = [];
  private block: Buffer | undefined;
  private blockUsed = 0;
  length = 0;

  append(piece: Buffer): void {
    if (piece.length === 0) return;
    this.length += piece.length;
    if (!this.block || piece.length > this.block.length - this.blockUsed) {
      this.seal();
      if (piece.length >= COPY_BELOW) {
        this.parts.push(piece);
        return;
      }
      this.block = Buffer.allocUnsafe(Math.max(piece.length, Math.min(MAX_BLOCK, Math.max(MIN_BLOCK, this.length))));
    }
    // a loop beats Buffer#copy's call into C++ for the few bytes of a trickle
    if (piece.length <= 16) for (let i = 0; i < piece.length; i++) this.block[this.blockUsed + i] = piece[i]!;
    else piece.copy(this.block, this.blockUsed);
    this.blockUsed += piece.length;
  }

  private seal(): void {
    if (this.block) this.parts.push(this.block.subarray(0, this.blockUsed));
    this.block = undefined;
    this.blockUsed = 0;
  }

  /** The byte `back` places before the end (1 is the last byte); back is at most the length. */
  fromEnd(back: number): number {
    if (this.block && back <= this.blockUsed) return this.block[this.blockUsed - back]!;
    let left = back - (this.block ? this.blockUsed : 0);
    for (let i = this.parts.length - 1; ; i--) {
      const part = this.parts[i]!;
      if (left <= part.length) return part[part.length - left]!;
      left -= part.length;
    }
  }

  /** All bytes but the last `dropLast`, followed by `extra`; empties the list. */
  take(dropLast = 0, extra?: Buffer): Buffer {
    this.seal();
    const keep = this.length - dropLast;
    const total = keep + (extra?.length ?? 0);
    let out: Buffer;
    if (this.parts.length === 1 && !extra?.length) out = this.parts[0]!.subarray(0, keep);
    else {
      out = Buffer.allocUnsafe(total);
      let at = 0;
      for (const part of this.parts) {
        if (at >= keep) break;
        const take = Math.min(part.length, keep - at);
        part.copy(out, at, 0, take);
        at += take;
      }
      if (extra) extra.copy(out, at);
    }
    this.clear();
    return out;
  }

  last(): number | undefined {
    return this.length > 0 ? this.fromEnd(1) : undefined;
  }

  clear(): void {
    this.parts = [];
    this.block = undefined;
    this.blockUsed = 0;
    this.length = 0;
  }
}

const CR = 0x0d;

/**
 * Messages ended by a delimiter; in line mode a CR before the LF is dropped. A message is over
 * the limit when its bytes before the delimiter (less that CR) are more than the limit; the
 * bytes held while waiting are refused as soon as no delimiter could bring them back under it.
 */
class DelimitedDecoder implements FrameDecoder {
  private readonly pending = new PendingBytes();
  private error: FrameTooLargeError | undefined;

  constructor(
    private readonly delimiter: Buffer,
    private readonly stripCR: boolean,
    private readonly maxFrameBytes: number,
  ) {}

  push(chunk: Buffer): FrameResult {
    if (this.error) return { frames: [], error: this.error };
    const frames: Buffer[] = [];
    const dl = this.delimiter.length;
    let start = 0;
    if (dl > 1 && this.pending.length > 0) {
      // only a delimiter begun in the held bytes' last dl-1 can end in this chunk
      const held = this.straddling(chunk);
      if (held > 0) {
        if (this.pending.length - held > this.maxFrameBytes) return this.fail(frames);
        frames.push(this.pending.take(held));
        start = dl - held;
      }
    }
    for (;;) {
      const idx = dl === 1 ? chunk.indexOf(this.delimiter[0]!, start) : chunk.indexOf(this.delimiter, start);
      if (idx < 0) break;
      let size = this.pending.length + idx - start;
      const cr = this.stripCR && size > 0 && (idx > start ? chunk[idx - 1] : this.pending.last()) === CR;
      if (cr) size--;
      if (size > this.maxFrameBytes) return this.fail(frames);
      const piece = chunk.subarray(start, idx);
      const msg = this.pending.length > 0 ? this.pending.take(0, piece) : piece;
      frames.push(cr ? msg.subarray(0, size) : msg);
      start = idx + dl;
    }
    if (start < chunk.length) {
      this.pending.append(chunk.subarray(start));
      if (this.pending.length - this.slack() > this.maxFrameBytes) return this.fail(frames);
    }
    return { frames };
  }

  // How many held bytes begin a delimiter that this chunk completes (0: none); the earliest wins.
  private straddling(chunk: Buffer): number {
    const d = this.delimiter;
    for (let held = Math.min(this.pending.length, d.length - 1); held > 0; held--) {
      if (d.length - held > chunk.length) continue;
      let k = 0;
      while (k < held && this.pending.fromEnd(held - k) === d[k]) k++;
      if (k < held) continue;
      while (k < d.length && chunk[k - held] === d[k]) k++;
      if (k === d.length) return held;
    }
    return 0;
  }

  // held bytes that a delimiter arriving next could still leave out of the message
  private slack(): number {
    if (!this.stripCR) return this.delimiter.length - 1;
    return this.pending.last() === CR ? 1 : 0;
  }

  private fail(frames: Buffer[]): FrameResult {
    this.error = new FrameTooLargeError(this.maxFrameBytes + 1, this.maxFrameBytes, false);
    this.pending.clear();
    return { frames, error: this.error };
  }

  flush(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    return this.pending.take();
  }
}

/** Messages each preceded by their length as a big-endian 16- or 32-bit number. */
class LengthPrefixDecoder implements FrameDecoder {
  private readonly head: Buffer;
  private headUsed = 0;
  // the length of the message whose bytes are arriving, -1 while its prefix is
  private need = -1;
  private readonly body = new PendingBytes();
  private error: FrameTooLargeError | undefined;

  constructor(
    private readonly width: 2 | 4,
    private readonly maxFrameBytes: number,
  ) {
    this.head = Buffer.alloc(width);
  }

  private readLength(buf: Buffer, at: number): number {
    return this.width === 2 ? buf.readUInt16BE(at) : buf.readUInt32BE(at);
  }

  push(chunk: Buffer): FrameResult {
    if (this.error) return { frames: [], error: this.error };
    const frames: Buffer[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.need < 0) {
        let len: number;
        if (this.headUsed === 0 && chunk.length - off >= this.width) {
          len = this.readLength(chunk, off);
          off += this.width;
        } else {
          const take = Math.min(this.width - this.headUsed, chunk.length - off);
          chunk.copy(this.head, this.headUsed, off, off + take);
          this.headUsed += take;
          off += take;
          if (this.headUsed < this.width) break;
          len = this.readLength(this.head, 0);
          this.headUsed = 0;
        }
        // refuse before waiting for (or allocating) the announced size
        if (len > this.maxFrameBytes) {
          this.error = new FrameTooLargeError(len, this.maxFrameBytes);
          this.body.clear();
          return { frames, error: this.error };
        }
        this.need = len;
      }
      const avail = chunk.length - off;
      if (this.body.length === 0 && avail >= this.need) {
        frames.push(chunk.subarray(off, off + this.need));
        off += this.need;
        this.need = -1;
        continue;
      }
      const take = Math.min(this.need - this.body.length, avail);
      this.body.append(chunk.subarray(off, off + take));
      off += take;
      if (this.body.length === this.need) {
        frames.push(this.body.take());
        this.need = -1;
      }
    }
    return { frames };
  }

  flush(): Buffer | undefined {
    if (this.error) return undefined;
    if (this.need < 0) {
      if (this.headUsed === 0) return undefined;
      const rest = Buffer.from(this.head.subarray(0, this.headUsed));
      this.headUsed = 0;
      return rest;
    }
    const head = Buffer.alloc(this.width);
    if (this.width === 2) head.writeUInt16BE(this.need, 0);
    else head.writeUInt32BE(this.need, 0);
    this.need = -1;
    return Buffer.concat([head, this.body.take()]);
  }
}

/** Creates the decoder for a framing. */
export function createFrameDecoder(spec: FrameSpec, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): FrameDecoder {
  switch (spec.kind) {
    case 'raw':
      return RAW_DECODER;
    case 'line':
      return new DelimitedDecoder(Buffer.from('\n'), true, maxFrameBytes);
    case 'delimiter':
      return new DelimitedDecoder(spec.delimiter, false, maxFrameBytes);
    case 'len16':
      return new LengthPrefixDecoder(2, maxFrameBytes);
    case 'len32':
      return new LengthPrefixDecoder(4, maxFrameBytes);
  }
}

/**
 * Wraps an outgoing message for the framing: a length prefix for len16/len32; for line and
 * delimiter framing, `terminate` appends the terminator (for typed lines, which lack one).
 */
export function encodeFrame(spec: FrameSpec, message: Buffer, terminate = false): Buffer {
  switch (spec.kind) {
    case 'len16': {
      if (message.length > 0xffff) throw new UsageError(`a len16 message can hold at most 65535 bytes, this one has ${message.length}`);
      const head = Buffer.allocUnsafe(2);
      head.writeUInt16BE(message.length, 0);
      return Buffer.concat([head, message]);
    }
    case 'len32': {
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32BE(message.length, 0);
      return Buffer.concat([head, message]);
    }
    case 'line':
      return terminate ? Buffer.concat([message, Buffer.from('\n')]) : message;
    case 'delimiter':
      return terminate ? Buffer.concat([message, spec.delimiter]) : message;
    case 'raw':
      return terminate ? Buffer.concat([message, Buffer.from('\n')]) : message;
  }
}
