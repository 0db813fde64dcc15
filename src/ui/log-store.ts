// A session's traffic log in the page: append-only, bounded in entries and payload bytes, with an incremental filter.

/** How a log line came about: received, sent, a lifecycle note, or an error. */
export type Dir = 'in' | 'out' | 'sys' | 'err';

/** One line of the log. Data lines keep their bytes so the view can switch encoding or hex at any time. */
export interface LogEntry {
  seq: number;
  ts: number;
  dir: Dir;
  /** The event it came from (data, send, connect, close, listening, error, summary, dropped, note). */
  event: string;
  id?: number;
  peer?: string;
  n?: number;
  /** Set on data lines (received or sent): the message's full size. */
  bytes?: number;
  /** The bytes (for UTF-8 text lines, encoded from `text` when first asked for). */
  data?: Uint8Array;
  /** Decoded by the server with the session's encoding (split characters joined). */
  text?: string;
  truncated?: boolean;
  /** WebSocket sessions: the frame's type (a sent fragment is marked `fragment` in `msg`-less lines by its `fin`). */
  frame?: 'text' | 'binary' | 'ping' | 'pong';
  /** WebSocket sessions: false on a sent fragment that more of its message follows. */
  fin?: boolean;
  /** Sent bytes typed as hex: shown as hex in the text view too. */
  hex?: boolean;
  /** On a relay: `up` from the client to the target (shown as received), `down` back (shown as sent). */
  direction?: 'up' | 'down';
  /** The sentence of a lifecycle or error line. */
  msg?: string;
  hint?: string;
  code?: string;
}

const PAYLOAD_CAP = 64 * 1024;

/** About how many payload bytes a line holds (without making lazy bytes real). */
function held(e: LogEntry): number {
  return e.bytes === undefined ? 0 : Math.min(e.bytes, PAYLOAD_CAP) + (e.text ? e.text.length * 2 : 0);
}

/** True for lines that carry a message (received or sent), as opposed to events. */
export function isData(e: LogEntry): e is LogEntry & { bytes: number; data: Uint8Array } {
  return e.bytes !== undefined;
}

/** Defaults: room for far more than the 100,000 lines the view must stay smooth with. */
export const LOG_LIMITS = { maxEntries: 200_000, maxPayloadBytes: 96 * 1024 * 1024 };

/**
 * The lines of one session. The oldest go, a tenth at a time, once either bound is passed, so
 * a long flood never grows the page without end; `evicted` counts them for the toolbar.
 */
export class LogStore {
  items: LogEntry[] = [];
  /** Bumped on every change, so views know when to look again. */
  version = 0;
  /** Bumped when lines are removed (clear, eviction): filters rebuild from scratch. */
  generation = 0;
  evicted = 0;
  private payloadBytes = 0;
  private nextSeq = 1;

  constructor(
    private readonly maxEntries = LOG_LIMITS.maxEntries,
    private readonly maxPayloadBytes = LOG_LIMITS.maxPayloadBytes,
  ) {}

  /** Lines held now. */
  get length(): number {
    return this.items.length;
  }

  /** Appends a line and returns it. */
  push(entry: Omit<LogEntry, 'seq'>): LogEntry {
    const e = entry as LogEntry;
    e.seq = this.nextSeq++;
    this.items.push(e);
    this.payloadBytes += held(e);
    this.version++;
    if (this.items.length > this.maxEntries || this.payloadBytes > this.maxPayloadBytes) this.evict();
    return e;
  }

  private evict(): void {
    let count = Math.max(1, Math.ceil(this.items.length / 10));
    count = Math.max(count, this.items.length - this.maxEntries);
    let freed = 0;
    for (let i = 0; i < count; i++) freed += held(this.items[i]!);
    // still over the byte budget (a few huge messages): keep going
    while (count < this.items.length - 1 && this.payloadBytes - freed > this.maxPayloadBytes * 0.9) freed += held(this.items[count++]!);
    this.items = this.items.slice(count);
    this.payloadBytes -= freed;
    this.evicted += count;
    this.generation++;
  }

  /** Removes every line. */
  clear(): void {
    this.items = [];
    this.payloadBytes = 0;
    this.evicted = 0;
    this.version++;
    this.generation++;
  }

  /** The index of the line with `seq`, or -1. */
  indexOf(seq: number): number {
    let lo = 0;
    let hi = this.items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.items[mid]!.seq;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** The lines of a log that pass a filter, kept up to date by scanning only what is new. */
export class FilteredLog {
  private key = '';
  private generation = -1;
  private scannedSeq = 0;
  private matches: LogEntry[] = [];

  /** The matching lines (the log's own array when `key` is empty: no filter, no copy). */
  update(log: LogStore, key: string, test: (e: LogEntry) => boolean): LogEntry[] {
    if (key === '') return log.items;
    if (key !== this.key || log.generation !== this.generation) {
      this.key = key;
      this.generation = log.generation;
      this.matches = [];
      this.scannedSeq = 0;
    }
    const items = log.items;
    // find where the unscanned lines start (they are at the end)
    let i = items.length;
    while (i > 0 && items[i - 1]!.seq > this.scannedSeq) i--;
    for (; i < items.length; i++) if (test(items[i]!)) this.matches.push(items[i]!);
    if (items.length) this.scannedSeq = items[items.length - 1]!.seq;
    return this.matches;
  }
}
