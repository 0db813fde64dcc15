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
