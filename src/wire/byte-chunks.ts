// Text and bytes gathered into reused chunks and handed on whole: the CLI's log lines and a capture's records are written this way.

/** Node's Buffer methods behind `write(text, offset, encoding)` (there since Node's first Buffer; not in its types). */
export type Chunk = Buffer & { utf8Write(text: string, offset: number): number; latin1Write(text: string, offset: number): number };

/** Chunks handed on and written, kept for reuse; a stream that holds more than this many is behind, and the rest are let go. */
const SPARE_CHUNKS = 4;

const noop = () => {};

/**
 * Gathers bytes in one chunk of `size` and hands the chunk on when it is full or flushed; the chunk
 * comes back to be filled again once `handOn` calls `written`: fresh memory for every batch costs
 * more than what is in it. Text is encoded as it comes, never joined into one string (V8 is slow to
 * make a string past 128 KiB, and a busy batch is larger than that). Bytes longer than the room
 * left fill the chunk and go on in the next; text longer than a whole chunk is handed on by
 * itself, in order.
 */
export class ByteChunks {
  protected chunk: Chunk;
  protected used = 0;
  private readonly spare: Chunk[] = [];

  constructor(
    protected readonly size: number,
    private readonly handOn: (bytes: Buffer, written: () => void) => void,
  ) {
    this.chunk = Buffer.allocUnsafeSlow(size) as Chunk;
  }

  /** Bytes gathered and not yet handed on. */
  get length(): number {
    return this.used;
  }

  /** Hands on what is gathered. */
  flush(): void {
    if (this.used === 0) return;
    const full = this.chunk;
    const out = full.subarray(0, this.used);
    this.chunk = this.spare.pop() ?? (Buffer.allocUnsafeSlow(this.size) as Chunk);
    this.used = 0;
    this.handOn(out, () => {
      if (this.spare.length < SPARE_CHUNKS) this.spare.push(full);
    });
  }

  /** Flushes unless `n` more bytes fit (`n` at most the chunk's size). */
  protected room(n: number): void {
    if (this.size - this.used < n) this.flush();
  }

  /** Text as UTF-8. */
  protected putText(text: string): void {
    // most text is short: its byte length is counted only when it might not fit
    if (text.length * 3 > this.size - this.used && Buffer.byteLength(text) > this.size - this.used) {
      this.flush();
      if (text.length * 3 > this.size && Buffer.byteLength(text) > this.size) {
        this.handOn(Buffer.from(text, 'utf8'), noop);
        return;
      }
    }
    // utf8Write is what Buffer#write calls after checking its arguments, which costs more than a short line
    this.used += this.chunk.utf8Write(text, this.used);
  }

  /** Bytes copied in as they are. */
  protected putBytes(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n > this.size - this.used) {
      this.spill(bytes);
      return;
    }
    // a loop beats a native copy on the few bytes most parts have
    const chunk = this.chunk;
    if (n < 32) for (let i = 0, at = this.used; i < n; i++) chunk[at + i] = bytes[i]!;
    else chunk.set(bytes, this.used);
    this.used += n;
  }

  /**
   * Bytes that do not fit: they fill this chunk and go on in the next ones, so each write is a whole
   * chunk (a file written synchronously pays for every write, and a line's short head written alone
   * before its long text cost a streaming log a tenth of its speed).
   */
  private spill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; ) {
      if (this.used === this.size) this.flush();
      const n = Math.min(bytes.length - i, this.size - this.used);
      this.chunk.set(bytes.subarray(i, i + n), this.used);
      this.used += n;
      i += n;
    }
  }

  /** A number's digits, written straight in for a non-negative safe integer (anything else as its text). */
  protected putDigits(n: number): void {
    if (!(n >= 0 && Number.isSafeInteger(n))) {
      this.putText(String(n));
      return;
    }
    this.room(16);
    const chunk = this.chunk;
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    for (let at = this.used + digits - 1, m = n; at >= this.used; at--, m = Math.floor(m / 10)) chunk[at] = 0x30 + (m % 10);
    this.used += digits;
  }
}
