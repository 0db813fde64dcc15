// Where each line of the log sits when long lines wrap: a height estimated from its length in the monospace font, then the height it was drawn at.
import type { LogEntry } from './log-store.js';

/** Height of one unwrapped row in pixels; the CSS uses the same value. */
export const ROW = 24;
/** Height of each further line of a wrapped row (the CSS's line height). */
export const WRAP_LINE = 18;

/** Columns a string takes in a monospace font: wide (CJK, fullwidth) characters take two, control characters their escape. */
export function columnsOf(text: string, limit = Infinity): number {
  let n = 0;
  for (let i = 0; i < text.length && n < limit; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) n += 2;
    else if (c >= 0x1100 && (c <= 0x115f || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6))) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // a surrogate pair: one character, most often an emoji two columns wide
      n += 2;
      i++;
    } else n += 1;
  }
  return n;
}

/** The height of a row whose body takes `columns` columns, `perLine` to a line. */
export function wrappedHeight(columns: number, perLine: number): number {
  const lines = Math.max(1, Math.ceil(columns / Math.max(8, perLine)));
  return ROW + (lines - 1) * WRAP_LINE;
}

/**
 * The vertical positions of a list of rows of different heights. The list may only grow between
 * resets (a log is append-only; a new filter, width or mode is a new key). Heights start as
 * estimates; rows measured once drawn keep their real height, so positions converge as the
 * person scrolls.
 */
export class RowLayout {
  private entries: readonly LogEntry[] | undefined;
  private key = '';
  private tops: number[] = [0];
  private measured = new WeakMap<LogEntry, number>();

  /** Brings the positions up to date with `entries`; `estimate` gives a row's height before it was drawn. */
  update(entries: readonly LogEntry[], key: string, estimate: (e: LogEntry) => number): void {
    if (entries !== this.entries || key !== this.key || entries.length < this.tops.length - 1) {
      if (key !== this.key) this.measured = new WeakMap();
      this.entries = entries;
      this.key = key;
      this.tops = [0];
    }
    const tops = this.tops;
    for (let i = tops.length - 1; i < entries.length; i++) {
      const e = entries[i]!;
      tops.push(tops[i]! + (this.measured.get(e) ?? estimate(e)));
    }
  }

  /** The height of all rows. */
  get total(): number {
    return this.tops[this.tops.length - 1]!;
  }

  /** Where row `i` starts. */
  top(i: number): number {
    return this.tops[Math.max(0, Math.min(i, this.tops.length - 1))]!;
  }

  /** The row at height `y`. */
  indexAt(y: number): number {
    const tops = this.tops;
    let lo = 0;
    let hi = tops.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (tops[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  /** Records the heights rows were drawn at; true when that moved any row (the caller draws again). */
  measure(drawn: readonly { index: number; entry: LogEntry; height: number }[]): boolean {
    let from = Infinity;
    for (const { index, entry, height } of drawn) {
      if (height <= 0) continue;
      const known = this.tops[index + 1]! - this.tops[index]!;
      this.measured.set(entry, height);
      if (Math.abs(known - height) > 0.5) from = Math.min(from, index);
    }
    if (from === Infinity) return false;
    this.tops.length = from + 1;
    return true;
  }
}
