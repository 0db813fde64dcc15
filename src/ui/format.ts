// How the page shows bytes, sizes, times and control characters; pure functions, shared by the components.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `1.2 kB`, `300 B` (powers of 1000, as the CLI prints them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

const counts = new Intl.NumberFormat('en-US');

/** `12,345`. */
export function formatCount(n: number): string {
  return counts.format(n);
}

/** A rate in bytes per second, short. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** `12:00:01.123` in local time. */
export function clock(ts: number): string {
  const d = new Date(ts);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** `12:00:01`. */
export function clockShort(ts: number): string {
  return clock(ts).slice(0, 8);
}

/** How long ago, roughly: `5 s`, `3 min`, `2 h`. */
export function since(ts: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Bytes as `48 65 6c`, at most `max` of them (then `…`). */
export function hexBytes(bytes: Uint8Array, max = Infinity): string {
  const n = Math.min(bytes.length, max);
  let out = '';
  for (let i = 0; i < n; i++) out += (i ? ' ' : '') + HEX[bytes[i]!];
  return n < bytes.length ? out + ' …' : out;
}

/** An xxd-style dump: offset, 16 bytes in pairs, printable ASCII (the CLI's `--hex` layout). */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const b = bytes[off + i];
      if (off + i < bytes.length && b !== undefined) {
        hex += HEX[b];
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else hex += '  ';
      if (i % 2 === 1 && i < 15) hex += ' ';
    }
    lines.push(`${off.toString(16).padStart(8, '0')}: ${hex}  ${ascii}`);
  }
  return lines.join('\n');
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

/** How a control character is written: `\r`, `\n`, `\t`, `\0` or `\xHH`. */
export function escapeOf(c: string): string {
  return ESCAPES[c] ?? '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
}

/**
 * Splits text into plain runs and control characters (odd indexes), so the view can show
 * `\r\n` as dim escapes: one message stays on one line and a peer cannot make the log lie.
 */
export function splitControls(text: string): string[] {
  // eslint-disable-next-line no-control-regex
  return text.split(/([\x00-\x1f\x7f])/);
}

/** Text with its control characters written as escapes (for exports). */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, escapeOf);
}

type FromBase64 = { fromBase64?: (s: string) => Uint8Array };

/** Base64 to bytes (the native decoder where the browser has one). */
export function fromBase64(b64: string): Uint8Array {
  const native = (Uint8Array as unknown as FromBase64).fromBase64;
  if (native) return native(b64);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Bytes to base64. */
export function toBase64(bytes: Uint8Array): string {
  const native = (bytes as unknown as { toBase64?: () => string }).toBase64;
  if (native) return native.call(bytes);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** An ISO time, for exports. */
export function isoTime(ts: number): string {
  return new Date(ts).toISOString();
}
