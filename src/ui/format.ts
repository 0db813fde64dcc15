// How the page shows times, control characters and base64; pure functions, shared by the components (bytes, counts and hex come from src/wire).

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
