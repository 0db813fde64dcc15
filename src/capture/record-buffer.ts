// Capture records gathered as bytes in reused chunks: a busy capture writes two records a message, and a string per record joined per batch costs more than the record.
import { ByteChunks } from '../wire/byte-chunks.js';

/** Bytes gathered before they are handed to the file: a few long messages' records go in one write (each write is a trip to a file thread). */
export const RECORD_CHUNK = 256 * 1024;
/** Payloads up to this size are encoded here byte by byte; longer ones by Node, which is faster on them. */
const SMALL_PAYLOAD = 1024;
/** Long payloads are encoded in slices of this many bytes (a multiple of 3: no padding inside). */
const SLICE = 48 * 1024;

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
export class RecordBuffer extends ByteChunks {
  constructor(write: (bytes: Buffer, written: () => void) => void) {
    super(RECORD_CHUNK, write);
  }

  /** A record made as text, its line break included. */
  line(text: string): void {
    this.putText(text);
  }

  /** `{"us":…,"event":"data","conn":…,"dir":…,"b64":"…"` and the opcode where there is one: the same text as JSON.stringify gives. */
  data(us: number, conn: number, dir: 'in' | 'out', payload: Uint8Array, opcode: string | undefined): void {
    // the head's fixed parts and numbers fit in this, so only the payload may move to a new chunk
    this.room(96);
    this.putBytes(US_OPEN);
    this.putDigits(us);
    this.putBytes(CONN_OPEN);
    this.putDigits(conn);
    this.putBytes(dir === 'in' ? DIR_IN : DIR_OUT);
    this.base64(payload);
    if (opcode === undefined) this.putBytes(CLOSE);
    else this.putText(`","opcode":${JSON.stringify(opcode)}}\n`);
  }

  /** Forgets what is gathered (the file failed). */
  clear(): void {
    this.used = 0;
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
