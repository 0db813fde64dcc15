// Checksums and length fields a message builder can append: what each computes, how wide it is, and its byte order.
import crc8 from 'crc/calculators/crc8';
import crc16 from 'crc/calculators/crc16';
import crc16ccitt from 'crc/calculators/crc16ccitt';
import crc16kermit from 'crc/calculators/crc16kermit';
import crc16modbus from 'crc/calculators/crc16modbus';
import crc16xmodem from 'crc/calculators/crc16xmodem';
import crc32 from 'crc/calculators/crc32';

/** How a builder's value is written: its width in bytes and default byte order. */
export interface BuilderKind {
  /** Bytes written (before `:hex` doubles them as ASCII hex digits). */
  readonly width: 1 | 2 | 4;
  /** Byte order when the builder does not say (`le`/`be`): Modbus and Kermit send their CRC low byte first. */
  readonly order: 'be' | 'le';
  /** A checksum covers the bytes before it by default; a length the bytes after it. */
  readonly covers: 'before' | 'after';
  /** The value over the covered bytes. */
  compute(bytes: Uint8Array): number;
  /** One line for help and error messages. */
  readonly about: string;
}

const sum8 = (b: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < b.length; i++) s = (s + b[i]!) & 0xff;
  return s;
};

const xor8 = (b: Uint8Array): number => {
  let x = 0;
  for (let i = 0; i < b.length; i++) x ^= b[i]!;
  return x;
};

const checksum = (width: 1 | 2 | 4, order: 'be' | 'le', compute: (b: Uint8Array) => number, about: string): BuilderKind => ({ width, order, covers: 'before', compute, about });
const length = (width: 1 | 2 | 4, order: 'be' | 'le'): BuilderKind => ({
  width, order, covers: 'after', compute: (b) => b.length,
  about: `the length of the bytes after it, ${width * 8}-bit${width > 1 ? (order === 'be' ? ' big-endian' : ' little-endian') : ''}`,
});

// Check values over "123456789" from the CRC catalogue (reveng.sourceforge.io/crc-catalogue) are in the tests.
const KINDS = new Map<string, BuilderKind>([
  ['sum8', checksum(1, 'be', sum8, 'sum of the bytes, modulo 256')],
  ['xor8', checksum(1, 'be', xor8, 'XOR of the bytes (BCC)')],
  ['lrc', checksum(1, 'be', (b) => (0x100 - sum8(b)) & 0xff, 'longitudinal redundancy check: the two\'s complement of the byte sum (Modbus ASCII)')],
  ['crc8', checksum(1, 'be', (b) => crc8(b), 'CRC-8/SMBUS (poly 0x07)')],
  ['crc16', checksum(2, 'le', (b) => crc16(b), 'CRC-16/ARC (IBM, poly 0x8005 reflected), low byte first')],
  ['crc16modbus', checksum(2, 'le', (b) => crc16modbus(b), 'CRC-16/MODBUS, low byte first as Modbus RTU sends it')],
  ['crc16xmodem', checksum(2, 'be', (b) => crc16xmodem(b), 'CRC-16/XMODEM (CCITT poly 0x1021, init 0x0000)')],
  ['crc16ccittfalse', checksum(2, 'be', (b) => crc16ccitt(b), 'CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF)')],
  ['crc16kermit', checksum(2, 'le', (b) => crc16kermit(b), 'CRC-16/KERMIT (CCITT reflected), low byte first')],
  ['crc32', checksum(4, 'be', (b) => crc32(b) >>> 0, 'CRC-32 (ISO-HDLC, as zip and Ethernet compute it)')],
  ['len8', length(1, 'be')],
  ['len16be', length(2, 'be')],
  ['len16le', length(2, 'le')],
  ['len32be', length(4, 'be')],
  ['len32le', length(4, 'le')],
]);

/** Names that look like a builder but are ambiguous, with what to write instead. */
export const AMBIGUOUS_BUILDERS: ReadonlyMap<string, string> = new Map([
  ['crc16ccitt', 'CRC-16/CCITT names two different checks: use {crc16ccittfalse} (init 0xFFFF) or {crc16xmodem} (init 0x0000)'],
  ['len16', 'say the byte order: {len16be} or {len16le}'],
  ['len32', 'say the byte order: {len32be} or {len32le}'],
]);

/** The builder of that name, if there is one. */
export function builderKind(name: string): BuilderKind | undefined {
  return KINDS.get(name);
}

/** Every builder's name, for help and "known: …" messages. */
export function builderNames(): string[] {
  return [...KINDS.keys()];
}

/** Writes `value` into `out` at `at`, `width` bytes in `order`. */
export function writeUint(out: Uint8Array, at: number, value: number, width: 1 | 2 | 4, order: 'be' | 'le'): void {
  for (let i = 0; i < width; i++) {
    const shift = 8 * (order === 'be' ? width - 1 - i : i);
    out[at + i] = Math.floor(value / 2 ** shift) & 0xff;
  }
}
