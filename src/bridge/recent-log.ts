// What the hub keeps of each session for pages that connect later (a reload, a second tab): its latest events and counter samples, bounded in lines and bytes.
import type { SessionEvent } from '../net/session.js';
import type { CounterSample } from './protocol.js';

/** How much of a session's past the hub keeps. */
export interface RecentLimits {
  /** Events kept (the oldest go first). */
  maxEvents: number;
  /** About how many bytes those events may hold: payloads, texts and a little per event. */
  maxBytes: number;
  /** Payload bytes kept per message (the rest is counted, as on the live path). */
  maxPayloadBytes: number;
  /** Counter samples kept, for the throughput chart. */
  maxSamples: number;
}

/** Defaults: the last 2,000 events or 2 MiB, and five minutes of samples taken twice a second. */
export const DEFAULT_RECENT_LIMITS: RecentLimits = { maxEvents: 2000, maxBytes: 2 * 1024 * 1024, maxPayloadBytes: 64 * 1024, maxSamples: 600 };

const OVERHEAD = 120;

/** How long a recorded message may go on pointing into the memory it was read into. */
const SETTLE_MS = 100;

/** Kept payloads up to this size are copied into slabs of {@link SLAB} bytes; longer ones get their own buffer. */
const SLAB_ITEM_MAX = 4096;
const SLAB = 64 * 1024;

function sizeOf(e: SessionEvent): number {
  if (e.event === 'data' || e.event === 'send') return OVERHEAD + e.payload.length + (e.text ? e.text.length * 2 : 0);
  return OVERHEAD;
}

/**
 * One session's recent past. Messages are kept as their bytes (cut to `maxPayloadBytes`, in a
 * buffer of their own, so a kept line never holds a large read buffer alive); what falls out is
 * counted in {@link omitted}.
 */
export class RecentLog {
  private events: SessionEvent[] = [];
  /** Each event's size beside it: letting an old event go then need not read it again, long out of the cache. */
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private samples: CounterSample[] = [];
  /** Where small kept payloads are copied: held only by the events in it, which leave oldest first. */
  private slab = Buffer.alloc(0);
  private slabUsed = 0;
  /** Events before this index have their payloads in memory of their own. */
  private settled = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  /** Events that no longer fit. */
  omitted = 0;

  constructor(private readonly limits: RecentLimits = DEFAULT_RECENT_LIMITS) {}

  /** Events held now. */
  get length(): number {
    return this.events.length - this.head;
  }

  /** Bytes held now (as {@link RecentLimits.maxBytes} counts them). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Keeps an event, letting the oldest go past either bound. */
  record(e: SessionEvent): void {
    let kept = e;
    if (e.event === 'data' || e.event === 'send') {
      const cap = this.limits.maxPayloadBytes;
      const text = e.text !== undefined && e.text.length <= cap ? e.text : undefined;
      if (text !== e.text || e.payload.length > cap) kept = { ...e, payload: e.payload.subarray(0, cap), text };
      // the payload moves into the log's own memory a little later (see settle)
      this.settleTimer ??= setTimeout(this.settleSoon, SETTLE_MS).unref();
    }
    const size = sizeOf(kept);
    this.events.push(kept);
    this.sizes.push(size);
    this.bytes += size;
    while (this.length > this.limits.maxEvents || (this.bytes > this.limits.maxBytes && this.length > 1)) {
      this.events[this.head] = undefined as unknown as SessionEvent;
      this.bytes -= this.sizes[this.head++]!;
      this.omitted++;
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.settled = Math.max(0, this.settled - this.head);
      this.head = 0;
    }
  }

  private readonly settleSoon = (): void => {
    this.settleTimer = undefined;
    this.settle();
  };

  /**
   * Moves the payloads of the messages recorded since the last time into the log's own memory: a
   * payload that is a slice of a larger buffer (reads are copied out of a shared one into Node's
   * pool) would keep that buffer alive as long as the line is kept. Done a moment after recording,
   * not at once: a busy session pushes most messages out of the log before then, and copying each
   * as it came cost the server a few percent of its speed on small messages. The event itself is
   * re-pointed, not copied: the hub owns these sessions and the bytes stay the same for every listener.
   */
  private settle(): void {
    const events = this.events;
    for (let i = Math.max(this.settled, this.head); i < events.length; i++) {
      const e = events[i]!;
      if (e.event !== 'data' && e.event !== 'send') continue;
      const p = e.payload;
      if (p.byteOffset !== 0 || p.buffer.byteLength !== p.length) e.payload = this.copy(p);
    }
    this.settled = events.length;
  }

  private copy(bytes: Buffer): Buffer {
    const n = bytes.length;
    if (n > SLAB_ITEM_MAX) {
      const own = Buffer.allocUnsafeSlow(n);
      own.set(bytes);
      return own;
    }
    if (this.slabUsed + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB);
      this.slabUsed = 0;
    }
    const kept = this.slab.subarray(this.slabUsed, this.slabUsed + n);
    kept.set(bytes);
    this.slabUsed += n;
    return kept;
  }

  /** Keeps a counter sample (the chart's history). */
  sample(s: CounterSample): void {
    this.samples.push(s);
    if (this.samples.length > this.limits.maxSamples) this.samples.splice(0, this.samples.length - this.limits.maxSamples);
  }

  /** The events held, oldest first. */
  recentEvents(): SessionEvent[] {
    this.settle();
    return this.events.slice(this.head);
  }

  /** The counter samples held, oldest first. */
  recentSamples(): CounterSample[] {
    return [...this.samples];
  }
}
