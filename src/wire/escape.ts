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
 * Messages up to this size are checked byte by byte for text that is its own bytes; a longer one
 * costs more to check in JavaScript than to escape and encode its text natively.
 */
export const OWN_TEXT_MAX = 1024;

/** True when every byte stands for itself as text `where` (printable ASCII, and for JSON nothing it escapes). */
export function isPlainAscii(bytes: Uint8Array, where: keyof typeof PLAIN = 'terminal'): boolean {
  const plain = PLAIN[where];
  for (let i = 0; i < bytes.length; i++) if (plain[bytes[i]!] === 0) return false;
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
