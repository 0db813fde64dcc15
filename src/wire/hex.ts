// Hex views of bytes (an xxd-style dump and a compact form) and the parser of hex that people type; the CLI's and the page's.
import { UsageError } from '../errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** ASCII codes of each byte's two hex digits, for writing hex straight into bytes. */
const HEX_HIGH = new Uint8Array(256);
const HEX_LOW = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HIGH[i] = HEX[i].charCodeAt(0);
  HEX_LOW[i] = HEX[i].charCodeAt(1);
}

/** Both digits of a byte as one little-endian 16-bit word: four of a word's bytes make two 32-bit stores. */
const HEX_PAIR = new Uint16Array(256);
for (let i = 0; i < 256; i++) HEX_PAIR[i] = HEX_HIGH[i] | (HEX_LOW[i] << 8);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Where long runs are made when the output is not 4-byte aligned; copying them over costs a tenth of making them. */
const SCRATCH_BYTES = 32 * 1024;
let scratch: Uint8Array | undefined;

/** Writes `src[from, to)` as lowercase hex digits into `out` from `at` (room for twice as many bytes needed); returns where it stopped. */
export function writeHexInto(src: Uint8Array, out: Uint8Array, at: number, from = 0, to = src.length): number {
  // a 32-bit word at a time halves the stores and the loop's turns: about twice as fast from 512 bytes,
  // slower under 256 (the views cost more than they save)
  if (to - from >= 256 && LITTLE_ENDIAN) {
    const aligned = from + ((4 - ((src.byteOffset + from) & 3)) & 3);
    at = hexBytes(src, from, aligned, out, at);
    from = aligned;
    const words = (to - from) >> 2;
    if (((out.byteOffset + at) & 3) === 0) at = hexWords(src, from, words, out, at);
    else {
      scratch ??= new Uint8Array(2 * SCRATCH_BYTES);
      for (let done = 0; done < words; ) {
        const n = Math.min(words - done, SCRATCH_BYTES >> 2);
        const end = hexWords(src, from + 4 * done, n, scratch, 0);
        out.set(scratch.subarray(0, end), at);
        at += end;
        done += n;
      }
    }
    from += 4 * words;
  }
  return hexBytes(src, from, to, out, at);
}

/** `src[from, to)` as hex into `out` from `at`, a byte at a time. */
function hexBytes(src: Uint8Array, from: number, to: number, out: Uint8Array, at: number): number {
  for (let i = from; i < to; i++) {
    const b = src[i]!;
    out[at++] = HEX_HIGH[b]!;
    out[at++] = HEX_LOW[b]!;
  }
  return at;
}

/** `words` 32-bit words of `src` from `from` (4-byte aligned) as hex into `out` from `at` (4-byte aligned). */
function hexWords(src: Uint8Array, from: number, words: number, out: Uint8Array, at: number): number {
  const input = new Uint32Array(src.buffer, src.byteOffset + from, words);
  const output = new Uint32Array(out.buffer, out.byteOffset + at, 2 * words);
  for (let k = 0, j = 0; k < words; k++, j += 2) {
    const w = input[k]!;
    output[j] = HEX_PAIR[w & 255]! | (HEX_PAIR[(w >>> 8) & 255]! << 16);
    output[j + 1] = HEX_PAIR[(w >>> 16) & 255]! | (HEX_PAIR[w >>> 24]! << 16);
  }
  return at + 8 * words;
}

/** Bytes as `48 65 6c 6c 6f`; past `max` bytes the rest is left out and marked ` …`. */
export function formatHex(bytes: Uint8Array, separator = ' ', max = Infinity): string {
  const n = Math.min(bytes.length, max);
  let out = '';
  for (let i = 0; i < n; i++) out += (i ? separator : '') + HEX[bytes[i]!];
  return n < bytes.length ? out + ' …' : out;
}

/**
 * Writes the row of an xxd-style dump that starts at `bytes[from]` (the same text as
 * {@link hexDumpRows} makes for it, `offset` being the row's offset) into `out` from `at`, which
 * needs room for 67 bytes; returns where it stopped.
 */
export function writeHexDumpRow(bytes: Uint8Array, from: number, offset: number, out: Uint8Array, at: number): number {
  // a nibble is the low digit of the byte of its value
  for (let shift = 28; shift >= 0; shift -= 4) out[at++] = HEX_LOW[(offset >>> shift) & 15]!;
  out[at++] = 0x3a;
  out[at++] = 0x20;
  const n = Math.min(16, bytes.length - from);
  for (let i = 0; i < 16; i++) {
    if (i < n) {
      const b = bytes[from + i]!;
      out[at++] = HEX_HIGH[b]!;
      out[at++] = HEX_LOW[b]!;
    } else {
      out[at++] = 0x20;
      out[at++] = 0x20;
    }
    if (i % 2 === 1 && i < 15) out[at++] = 0x20;
  }
  out[at++] = 0x20;
  out[at++] = 0x20;
  for (let i = 0; i < n; i++) {
    const b = bytes[from + i]!;
    out[at++] = b >= 0x20 && b < 0x7f ? b : 0x2e;
  }
  return at;
}

/** An xxd-style dump: offset, 16 bytes in pairs, printable ASCII. */
export function formatHexDump(bytes: Uint8Array, startOffset = 0): string {
  return hexDumpRows(bytes, startOffset).join('\n');
}

/** The rows of an xxd-style dump, for a writer that takes them one at a time. */
export function hexDumpRows(bytes: Uint8Array, startOffset = 0): string[] {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, bytes.length));
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (i < row.length) {
        const b = row[i]!;
        hex += HEX[b];
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else {
        hex += '  ';
      }
      if (i % 2 === 1 && i < 15) hex += ' ';
    }
    lines.push(`${(startOffset + off).toString(16).padStart(8, '0')}: ${hex}  ${ascii}`);
  }
  return lines;
}

/**
 * Parses hex as people type it: `48 65 6c`, `48656c`, `0x48,0x65`, `48:65`, `\x48\x65`.
 * Reports the first character that is not hex, with its position.
 */
export function parseHex(input: string, name = 'hex'): Uint8Array {
  const bytes: number[] = [];
  const tokens = /[^\s,;:-]+/g;
  let m: RegExpExecArray | null;
  while ((m = tokens.exec(input)) !== null) {
    let token = m[0];
    let base = m.index;
    const parts = token.toLowerCase().startsWith('\\x') ? token.split(/\\x/i).slice(1) : [token];
    if (parts.length > 1 || token.toLowerCase().startsWith('\\x')) {
      // `\x48\x65` form: each part is one byte
      let pos = base + 2;
      for (const part of parts) {
        checkDigits(part, pos, input, name);
        if (part.length === 0 || part.length > 2) throw new UsageError(`${name}: '\\x' at position ${pos - 1} must be followed by one or two hex digits`);
        bytes.push(parseInt(part, 16));
        pos += part.length + 2;
      }
      continue;
    }
    if (/^0x/i.test(token)) {
      token = token.slice(2);
      base += 2;
      if (token.length === 0) throw new UsageError(`${name}: '0x' without digits at position ${base - 1}`);
      checkDigits(token, base, input, name);
      if (token.length === 1) token = '0' + token;
    } else {
      checkDigits(token, base, input, name);
    }
    if (token.length % 2 !== 0) {
      throw new UsageError(`${name}: odd number of hex digits in '${m[0]}' at position ${m.index + 1}; write each byte as two digits`);
    }
    for (let i = 0; i < token.length; i += 2) bytes.push(parseInt(token.slice(i, i + 2), 16));
  }
  return Uint8Array.from(bytes);
}

function checkDigits(token: string, base: number, input: string, name: string): void {
  for (let i = 0; i < token.length; i++) {
    if (!/[0-9a-f]/i.test(token[i]!)) {
      throw new UsageError(`${name}: '${token[i]}' at position ${base + i + 1} is not a hex digit (in '${input.length > 40 ? input.slice(0, 40) + '…' : input}')`);
    }
  }
}

type HexPiece = { hex: string } | { text: string };

/**
 * Reads hex as a hex-mode send box takes it and turns it into a message builder's source: hex
 * bytes as {@link parseHex} reads them, `\r \n \t \0 \\` as those bytes, and `"quoted text"`
 * as text in the session's encoding (`\"` for a quote, escapes allowed inside):
 * `01 03 "AT" \r\n` is `{hex:01 03}AT\r\n`. Errors name the position in what was typed.
 */
export function hexMessageSource(input: string, name = 'hex'): string {
  const pieces: HexPiece[] = [];
  let run = '';
  // the input with its text pieces blanked: parseHex then names positions in what was typed
  let masked = '';
  const flush = () => {
    if (run.trim()) pieces.push({ hex: run });
    run = '';
  };
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === '"') {
      const start = i++;
      let text = '';
      for (;;) {
        if (i >= input.length) throw new UsageError(`${name}: the quote at position ${start + 1} is not closed; end the text with "`);
        const d = input[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < input.length) {
          // \" is a quote; any other escape is the builder's to read
          text += input[i + 1] === '"' ? '"' : d + input[i + 1];
          i += 2;
        } else {
          text += d === '{' || d === '}' ? `\\${d}` : d;
          i++;
        }
      }
      i++;
      flush();
      pieces.push({ text });
      masked += ' '.repeat(i - start);
    } else if (c === '\\' && /^[rnt0\\]$/.test(input[i + 1] ?? '')) {
      flush();
      pieces.push({ text: c + input[i + 1] });
      masked += '  ';
      i += 2;
    } else {
      run += c;
      masked += c;
      i++;
    }
  }
  flush();
  parseHex(masked, name);
  return pieces.map((p) => ('hex' in p ? `{hex:${formatHex(parseHex(p.hex, name))}}` : p.text)).join('');
}
