// Message framing: stateful decoders fed chunk by chunk (so they are tested without a socket), and the matching encoders.
import { UsageError, FrameTooLargeError } from '../errors.js';

/** What one message is on a stream. */
export type FrameSpec =
  | { kind: 'raw' }
  | { kind: 'line' }
  | { kind: 'delimiter'; delimiter: Buffer }
  | { kind: 'len16' }
  | { kind: 'len32' };

/** Splits a byte stream into messages. */
export interface FrameDecoder {
  /** Feeds one chunk; returns the messages it completes. Throws FrameTooLargeError. */
  push(chunk: Buffer): Buffer[];
  /** What is left when the stream ends (an unterminated last line), if anything. */
  flush(): Buffer | undefined;
}

/** Default bound on one message, whatever the framing. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Parses `raw`, `line`, `len16`, `len32` or any other text as a delimiter (escapes allowed). */
export function parseFrame(value: string, name = '--frame'): FrameSpec {
  switch (value) {
    case 'raw':
      return { kind: 'raw' };
    case 'line':
      return { kind: 'line' };
    case 'len16':
      return { kind: 'len16' };
    case 'len32':
      return { kind: 'len32' };
    default: {
      if (value === '') throw new UsageError(`${name} must be raw, line, len16, len32 or a delimiter, got an empty value`);
      const delimiter = Buffer.from(
        value.replace(/\\(x[0-9a-fA-F]{2}|n|r|t|0|\\)/g, (_, e: string) =>
          e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\' } as Record<string, string>)[e]!,
        ),
        'latin1',
      );
      return { kind: 'delimiter', delimiter };
    }
  }
}

class RawDecoder implements FrameDecoder {
  push(chunk: Buffer): Buffer[] {
    return [chunk];
  }
  flush(): undefined {
    return undefined;
  }
}

// stateless, so every raw connection shares one (10,000 idle clients need no decoder each)
const RAW_DECODER = new RawDecoder();

class DelimitedDecoder implements FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  constructor(
    private readonly delimiter: Buffer,
    private readonly stripCR: boolean,
    private readonly maxFrameBytes: number,
  ) {}

  push(chunk: Buffer): Buffer[] {
    return this.delimiter.length === 1 ? this.pushSingle(chunk) : this.pushMulti(chunk);
  }

  // one-byte delimiters (lines) never straddle chunks, so only the new chunk is searched
  private pushSingle(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const byte = this.delimiter[0]!;
    let start = 0;
    for (;;) {
      const idx = chunk.indexOf(byte, start);
      if (idx < 0) break;
      let msg = chunk.subarray(start, idx);
      if (this.pendingBytes > 0) {
        msg = Buffer.concat([...this.pending, msg]);
        this.pending = [];
        this.pendingBytes = 0;
      }
      if (this.stripCR && msg.length > 0 && msg[msg.length - 1] === 0x0d) msg = msg.subarray(0, msg.length - 1);
      out.push(msg);
      start = idx + 1;
    }
    this.keep(chunk.subarray(start));
    return out;
  }

  private pushMulti(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let buf = chunk;
    let searchFrom = 0;
    if (this.pendingBytes > 0) {
      // a delimiter may straddle the previous chunk: look back just far enough
      searchFrom = this.pendingBytes - Math.min(this.pendingBytes, this.delimiter.length - 1);
      buf = Buffer.concat([...this.pending, chunk]);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let start = 0;
    for (;;) {
      const idx = buf.indexOf(this.delimiter, Math.max(start, searchFrom));
      if (idx < 0) break;
      out.push(buf.subarray(start, idx));
      start = idx + this.delimiter.length;
    }
    this.keep(buf.subarray(start));
    return out;
  }

  private keep(rest: Buffer): void {
    if (rest.length === 0) return;
    if (this.pendingBytes + rest.length > this.maxFrameBytes) {
      const size = this.pendingBytes + rest.length;
      this.pending = [];
      this.pendingBytes = 0;
      throw new FrameTooLargeError(size, this.maxFrameBytes, false);
    }
    this.pending.push(rest);
    this.pendingBytes += rest.length;
  }

  flush(): Buffer | undefined {
    if (this.pendingBytes === 0) return undefined;
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return rest;
  }
}

class LengthPrefixDecoder implements FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly width: 2 | 4,
    private readonly maxFrameBytes: number,
  ) {}

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.buf.length < this.width) break;
      const len = this.width === 2 ? this.buf.readUInt16BE(0) : this.buf.readUInt32BE(0);
      // refuse before waiting for (or allocating) the announced size
      if (len > this.maxFrameBytes) throw new FrameTooLargeError(len, this.maxFrameBytes);
      if (this.buf.length < this.width + len) break;
      out.push(this.buf.subarray(this.width, this.width + len));
      this.buf = this.buf.subarray(this.width + len);
    }
    return out;
  }

  flush(): Buffer | undefined {
    if (this.buf.length === 0) return undefined;
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
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
