// How one message is shown to people: a bounded prefix (--show) with the rest counted, text that cannot drive the terminal, or hex beside the text in the message's encoding.
import { createDecoder, decodeText } from '../wire/codec.js';
import { hexDumpRows } from '../wire/hex.js';
import { formatBytes } from '../wire/format-bytes.js';
import type { TextOptions } from '../net/session.js';

/** How much of each message a terminal shows unless `--show` says otherwise. */
export const TERMINAL_SHOW_BYTES = 512;

/**
 * How much of each message a text log in a file or a pipe shows unless `--show` says otherwise:
 * a screenful of text (a request's headers, a page of a protocol's message), yet bounded, so that
 * rendering one huge message cannot hold up the answers to every other peer and a stream of large
 * writes is logged at a third of the wire's speed, not a seventh. `--json` and `--capture` keep
 * every byte; `--show all` shows it.
 */
export const FILE_SHOW_BYTES = 4 * 1024;

/**
 * How a session should decode for the faces: text is shown, or sent in JSON events (whole); a hex
 * view needs only the bytes; a text log decodes no more of a message than it shows. Bytes that are
 * UTF-8 on their own come without their text: the faces read it from them (see `impliedText`).
 */
export function sessionText(data: { json: boolean; hex: boolean; encoding: string; showBytes: number }): TextOptions {
  return { encoding: data.encoding, decode: data.json || !data.hex ? 'unless-utf8' : false, decodeLimit: data.json ? undefined : data.showBytes };
}

/** The part of a message that is shown, and how many bytes are left out. */
export interface Clipped {
  payload: Buffer;
  /** The shown part as text, when the whole was decoded. */
  text: string | undefined;
  /** Bytes not shown (0: the whole message is shown). */
  more: number;
}

/** The first `limit` bytes of a message; its text cut at the last whole character within them. */
export function clipMessage(payload: Buffer, text: string | undefined, limit: number, encoding: string, decode = text !== undefined): Clipped {
  if (payload.length <= limit) return { payload, text: text ?? (decode ? decodeText(payload, encoding) : undefined), more: 0 };
  const shown = payload.subarray(0, limit);
  // a stream decoder holds back a character cut in half instead of showing a replacement for it
  return { payload: shown, text: decode ? createDecoder(encoding).write(shown) : undefined, more: payload.length - limit };
}

/** What a clipped message adds at its end: `… 63.5 kB more (--show all shows everything)`. */
export function moreNote(more: number): string {
  return more > 0 ? `… ${formatBytes(more)} more (--show all shows everything)` : '';
}

/** True when the bytes are text in their encoding: nothing undecodable, no control but tab and line breaks. */
export function isText(text: string): boolean {
  return !/[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text);
}

/** True when some bytes could not be decoded (as opposed to text with control characters in it). */
export function undecodable(text: string): boolean {
  return text.includes('\ufffd');
}

/** Control characters but tab and line breaks as escapes, so a peer's text keeps its lines but cannot drive the terminal. */
export function escapeForTerminal(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

const HEX_COLUMNS = 10 + 39;

/**
 * An xxd-style dump. Bytes that are text in `encoding` (GBK, UTF-8 beyond ASCII) get that text in
 * the right-hand column, each character on the row it ends in; other bytes get xxd's printable
 * ASCII, so the column stays aligned with the bytes.
 */
export function hexDumpWithText(bytes: Uint8Array, encoding: string): string {
  return hexDumpWithTextRows(bytes, encoding).join('\n');
}

/** True when a dump of these bytes shows their text in the encoding beside them (bytes beyond ASCII that decode cleanly). */
export function dumpHasText(bytes: Uint8Array, encoding: string): boolean {
  return bytes.some((b) => b >= 0x80) && !undecodable(decodeText(bytes, encoding));
}

/** The rows of `hexDumpWithText`, for a writer that takes them one at a time. */
export function hexDumpWithTextRows(bytes: Uint8Array, encoding: string): string[] {
  const plain = hexDumpRows(bytes);
  if (!dumpHasText(bytes, encoding)) return plain;
  const decoder = createDecoder(encoding);
  return plain.map((line, row) => {
    const text = decoder.write(Buffer.from(bytes.subarray(row * 16, row * 16 + 16)));
    // invisible and combining characters would shift or hide what follows
    return `${line.slice(0, HEX_COLUMNS)}  ${text.replace(/[\p{Cc}\p{Cf}\p{M}\p{Zl}\p{Zp}]/gu, '.')}`;
  });
}

/**
 * The encoding bytes that fail in UTF-8 look like, when they read cleanly as one that people
 * often meet unannounced (GBK from the lessons' Windows servers); undefined otherwise.
 */
export function guessEncoding(payload: Uint8Array, encoding: string): string | undefined {
  if (!/^utf-?8$/i.test(encoding)) return undefined;
  const gbk = decodeText(payload, 'gbk');
  // CJK in clean text: random binary decodes with control characters or replacements, and is not suggested
  return isText(gbk) && /[\u4e00-\u9fff]/.test(gbk) ? 'gbk' : undefined;
}
