// Control characters shown as escapes (`\n`, `\x1b`, `\x9b`), so text from a peer cannot drive a terminal.

/**
 * Replaces every control character (C0, DEL and C1) with its escape: `\n`, `\r`, `\t`, else
 * `\xHH`. Used wherever a peer's text is printed: access logs, refused requests, messages.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
    }
  });
}

/** Bytes that are their own text: printable ASCII on a terminal; in a JSON string the same but `"` and `\`. */
const TERMINAL_PLAIN = new Uint8Array(256).fill(1, 0x20, 0x7f);
const JSON_PLAIN = TERMINAL_PLAIN.slice();
JSON_PLAIN[0x22] = 0;
JSON_PLAIN[0x5c] = 0;
const PLAIN = { terminal: TERMINAL_PLAIN, json: JSON_PLAIN };

/**
 * Messages up to this size are compared with their text character by character; a longer one costs
 * more to compare in JavaScript than to escape and encode its text natively.
 */
export const OWN_TEXT_MAX = 1024;

/** From this length bytes are checked four at a time. */
const WORDS_FROM = 256;

/** True when every byte stands for itself as text `where` (printable ASCII, and for JSON nothing it escapes). */
export function isPlainAscii(bytes: Uint8Array, where: keyof typeof PLAIN = 'terminal'): boolean {
  const plain = PLAIN[where];
  const n = bytes.length;
  if (n < WORDS_FROM) {
    for (let i = 0; i < n; i++) if (plain[bytes[i]!] === 0) return false;
    return true;
  }
  let i = 0;
  for (const head = (4 - (bytes.byteOffset & 3)) & 3; i < head; i++) if (plain[bytes[i]!] === 0) return false;
  const count = (n - i) >> 2;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, count);
  const json = where === 'json';
  for (let k = 0; k < count; k++) {
    // a word's high bits flag a byte of 0x80 or more, under 0x20, equal to 0x7f (and for JSON to '"'
    // or '\'): the classic tests for a byte less than n or a zero byte, exact once no byte is 0x80 or more
    const w = words[k]!;
    const del = w ^ 0x7f7f7f7f;
    let bad = w | ((w - 0x20202020) & ~w) | ((del - 0x01010101) & ~del);
    if (json) {
      const quote = w ^ 0x22222222;
      const slash = w ^ 0x5c5c5c5c;
      bad |= ((quote - 0x01010101) & ~quote) | ((slash - 0x01010101) & ~slash);
    }
    if ((bad & 0x80808080) !== 0) return false;
  }
  for (i += count * 4; i < n; i++) if (plain[bytes[i]!] === 0) return false;
  return true;
}

/**
 * True when `text` is exactly `bytes` read as ASCII and needs no escape `where`: the bytes can then
 * be written for the text (the usual case, and much cheaper than escaping and encoding it).
 */
export function isOwnText(bytes: Uint8Array, text: string, where: keyof typeof PLAIN = 'terminal'): boolean {
  if (text.length !== bytes.length) return false;
  const plain = PLAIN[where];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (plain[b] === 0 || text.charCodeAt(i) !== b) return false;
  }
  return true;
}
