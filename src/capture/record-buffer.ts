// Capture records gathered as bytes in reused chunks: a busy capture writes two records a message, and a string per record joined per batch costs more than the record.

/** Bytes gathered before they are handed to the file: a few long messages' records go in one write (each write is a trip to a file thread). */
export const RECORD_CHUNK = 256 * 1024;
/** Written chunks kept for reuse; more are let go. */
const SPARE_CHUNKS = 4;
/** Payloads up to this size are encoded here byte by byte; longer ones by Node, which is faster on them. */
const SMALL_PAYLOAD = 1024;
/** Long payloads are encoded in slices of this many bytes (a multiple of 3: no padding inside). */
const SLICE = 48 * 1024;

type Chunk = Buffer & { utf8Write(text: string, at: number): number; latin1Write(text: string, at: number): number };

const newChunk = () => Buffer.allocUnsafeSlow(RECORD_CHUNK) as Chunk;
const ascii = (text: string) => Buffer.from(text, 'latin1');
const BASE64 = ascii('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const EQUALS = 0x3d;
const US_OPEN = ascii('{"us":');
const CONN_OPEN = ascii(',"event":"data","conn":');
const DIR_IN = ascii(',"dir":"in","b64":"');
const DIR_OUT = ascii(',"dir":"out","b64":"');
const CLOSE = ascii('"}\n');

/**
 * NDJSON records as bytes, ready for the file. Data records (the bulk) are written piece by piece,
 * their payload's base64 straight into the chunk; other records come as text. `flush` hands the
 * gathered bytes to `write`, which calls back once the chunk may be filled again.
 */
export class RecordBuffer {
  private chunk = newChunk();
  private used = 0;
  private readonly spare: Chunk[] = [];

  constructor(private readonly write: (bytes: Buffer, written: () => void) => void) {}

  /** Bytes gathered and not yet handed on. */
  get length(): number {
    return this.used;
  }

  /** A record made as text, its line break included. */
  line(text: string): void {
    if (text.length * 3 > RECORD_CHUNK - this.used && Buffer.byteLength(text) > RECORD_CHUNK - this.used) {
      this.flush();
      if (Buffer.byteLength(text) > RECORD_CHUNK) {
        this.write(Buffer.from(text, 'utf8'), () => {});
        return;
      }
    }
    this.used += this.chunk.utf8Write(text, this.used);
  }

  /** `{"us":…,"event":"data","conn":…,"dir":…,"b64":"…"` and the opcode where there is one: the same text as JSON.stringify gives. */
  data(us: number, conn: number, dir: 'in' | 'out', payload: Uint8Array, opcode: string | undefined): void {
    // the head's fixed parts and numbers fit in this, so only the payload may move to a new chunk
    this.room(96);
    this.bytes(US_OPEN);
    this.number(us);
    this.bytes(CONN_OPEN);
    this.number(conn);
    this.bytes(dir === 'in' ? DIR_IN : DIR_OUT);
    this.base64(payload);
    if (opcode === undefined) {
      this.room(3);
      this.bytes(CLOSE);
    } else this.line(`","opcode":${JSON.stringify(opcode)}}\n`);
  }

  /** Hands what is gathered on; the chunk is filled again once it is written. */
  flush(): void {
    if (this.used === 0) return;
    const full = this.chunk;
    const out = full.subarray(0, this.used);
    this.chunk = this.spare.pop() ?? newChunk();
    this.used = 0;
    this.write(out, () => {
      if (this.spare.length < SPARE_CHUNKS) this.spare.push(full);
    });
  }

  /** Forgets what is gathered (the file failed). */
  clear(): void {
    this.used = 0;
  }

  private room(n: number): void {
    if (RECORD_CHUNK - this.used < n) this.flush();
  }

  private bytes(b: Buffer): void {
    const chunk = this.chunk;
    let at = this.used;
    for (let i = 0; i < b.length; i++) chunk[at++] = b[i]!;
    this.used = at;
  }

  /** A non-negative integer's digits (exact up to 2^53, which microseconds since 1970 stay far below). */
  private number(n: number): void {
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    const chunk = this.chunk;
    for (let at = this.used + digits - 1, m = n; at >= this.used; at--, m = Math.floor(m / 10)) chunk[at] = 0x30 + (m % 10);
    this.used += digits;
  }

  private base64(src: Uint8Array): void {
    if (src.length <= SMALL_PAYLOAD) {
      this.room(((src.length + 2) / 3) * 4 + 4);
      this.used = writeBase64(src, this.chunk, this.used);
      return;
    }
    for (let i = 0; i < src.length; i += SLICE) {
      const slice = src.subarray(i, i + SLICE);
      const text = Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64');
      this.room(text.length);
      this.used += this.chunk.latin1Write(text, this.used);
    }
  }
}

/** `src` in base64 (with padding) into `out` from `at`; returns where it ended. */
export function writeBase64(src: Uint8Array, out: Uint8Array, at: number): number {
  const n = src.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    out[at++] = BASE64[v >> 18]!;
    out[at++] = BASE64[(v >> 12) & 63]!;
    out[at++] = BASE64[(v >> 6) & 63]!;
    out[at++] = BASE64[v & 63]!;
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (src[i]! << 16) | (two ? src[i + 1]! << 8 : 0);
    out[at++] = BASE64[v >> 18]!;
    out[at++] = BASE64[(v >> 12) & 63]!;
    out[at++] = two ? BASE64[(v >> 6) & 63]! : EQUALS;
    out[at++] = EQUALS;
  }
  return at;
}
