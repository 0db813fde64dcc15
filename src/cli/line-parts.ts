// The parts of a message's log line that repeat, kept as bytes: a busy log writes the same time,
// connection and size again and again, and copying bytes costs less than making the text anew.
import type { Palette } from './output.js';
import { decodeText } from '../wire/codec.js';

/** Which way a message went: received, sent by us, or a relay's client to target (up) and back (down). */
export type Way = 'in' | 'out' | 'up' | 'down';

interface Connection {
  peer: string;
  /** ` #id peer → ` for each way, made when first needed. */
  heads: Partial<Record<Way, Buffer>>;
}

let clockSecond = NaN;
let clockPrefix = '';
const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** A time of day as `14:02:11.503`. */
export function clock(ts: number): string {
  // a busy log has many events a second: the local time is worked out once a second
  const second = Math.floor(ts / 1000);
  if (second !== clockSecond) {
    const d = new Date(second * 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    clockSecond = second;
    clockPrefix = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.`;
  }
  return clockPrefix + MILLIS[(ts - second * 1000) | 0];
}

/** Sizes below this have their ` 64 B ` part kept. */
const KEPT_SIZES = 2048;

/** Kept parts of one renderer's lines (its palette and whether ids are shown). */
export class LineParts {
  private readonly connections = new Map<number, Connection>();
  private readonly sizes: (Buffer | undefined)[] = [];
  private lastTs = NaN;
  private lastClock = Buffer.alloc(0);

  constructor(
    private readonly c: Palette,
    private readonly showIds: boolean,
  ) {}

  /** The time of day, as the line begins. */
  clock(ts: number): Buffer {
    if (ts !== this.lastTs) {
      this.lastTs = ts;
      this.lastClock = Buffer.from(this.c.dim(clock(ts)), 'latin1');
    }
    return this.lastClock;
  }

  /** ` #3 127.0.0.1:5000 ← ` (the arrow coloured for its way). */
  head(id: number, peer: string, way: Way): Buffer {
    let conn = this.connections.get(id);
    if (conn === undefined || conn.peer !== peer) {
      // bounded: ids are let go when their connection closes, but a renderer may miss a close
      if (this.connections.size >= 4096) this.connections.clear();
      conn = { peer, heads: {} };
      this.connections.set(id, conn);
    }
    return (conn.heads[way] ??= Buffer.from(` ${this.showIds ? `#${id} ${peer}` : peer} ${arrowOf(this.c, way)} `, 'utf8'));
  }

  /** `64 B ` (dimmed), before the text. */
  size(bytes: number): Buffer {
    if (bytes >= KEPT_SIZES) return Buffer.from(`${this.c.dim(`${bytes} B`)} `, 'latin1');
    return (this.sizes[bytes] ??= Buffer.from(`${this.c.dim(`${bytes} B`)} `, 'latin1'));
  }

  /** A connection has closed: its parts are let go. */
  forget(id: number): void {
    this.connections.delete(id);
  }

}

/** The arrow of a way, coloured: what came in (and a relay's client's message up) as received, the rest as sent. */
export function arrowOf(c: Palette, way: Way): string {
  return way === 'out' ? c.out('→') : way === 'up' ? c.in('→') : way === 'down' ? c.out('←') : c.in('←');
}

/** True when bytes of printable ASCII decode to themselves in `encoding` (UTF-8, Latin-1, GBK; not UTF-16, UTF-7 or EBCDIC). */
export function keepsAscii(encoding: string): boolean {
  const ascii = Buffer.from(Array.from({ length: 0x5f }, (_, i) => i + 0x20));
  return decodeText(ascii, encoding) === ascii.toString('latin1');
}
