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
      const shown = e.payload.length > cap ? e.payload.subarray(0, cap) : e.payload;
      const own = shown.byteOffset === 0 && shown.buffer.byteLength === shown.length;
      const text = e.text !== undefined && e.text.length <= cap ? e.text : undefined;
      // a payload that is a slice of a larger buffer (reads are copied out of a shared one into
      // Node's pool) would keep that buffer alive as long as the line is kept: its bytes move into
      // this log's slab. The event itself is re-pointed, not copied: the hub owns these sessions,
      // the bytes stay the same for every listener, and a copy per message costs a fifth of the
      // server's speed on small messages
      if (text !== e.text || shown !== e.payload) kept = { ...e, payload: own ? shown : this.copy(shown), text };
      else if (!own) e.payload = this.copy(shown);
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
      this.head = 0;
    }
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
    return this.events.slice(this.head);
  }

  /** The counter samples held, oldest first. */
  recentSamples(): CounterSample[] {
    return [...this.samples];
  }
}
