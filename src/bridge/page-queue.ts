// What waits for one page: events batched, bounded in count and bytes, sent only a few batches ahead of the page's acks.
import type { WireDropped, WireEvent } from './protocol.js';

/** Bounds on what one page may have waiting and in flight. */
export interface QueueLimits {
  /** Data events queued before new ones are dropped. */
  maxQueuedEvents: number;
  /** Estimated bytes queued before new data events are dropped. */
  maxQueuedBytes: number;
  /** Events per batch. */
  maxBatchEvents: number;
  /** Estimated bytes per batch. */
  maxBatchBytes: number;
  /** Batches sent but not yet acknowledged by the page. */
  maxInFlight: number;
  /** Estimated bytes sent but not yet acknowledged by the page. */
  maxInFlightBytes: number;
}

/**
 * Defaults: a page never has more than about 8 MiB unprocessed, and the server holds at most
 * about 8 MiB for it. The window is counted in bytes as well as batches because the round trip
 * to a page (through the browser's network process and its frames) is long: a window of a few
 * batches would cap small messages at a few tens of thousands a second, far below what a page
 * can take.
 */
export const DEFAULT_QUEUE_LIMITS: QueueLimits = {
  maxQueuedEvents: 20_000,
  maxQueuedBytes: 8 * 1024 * 1024,
  maxBatchEvents: 1000,
  maxBatchBytes: 512 * 1024,
  maxInFlight: 64,
  maxInFlightBytes: 8 * 1024 * 1024,
};

/** A batch taken from a queue: its number, the events in order, and how many this page has missed. */
export interface QueueBatch<T> {
  seq: number;
  events: (T | WireDropped)[];
  dropped: number;
}

/** From this share of the queue's room on, messages are sampled: a page that falls behind still sees some of them. */
const SAMPLE_FROM = 0.5;

/** One in how many messages a page is sent at a queue's fill (1: all of them). */
function sampleStride(fill: number): number {
  return fill < SAMPLE_FROM ? 1 : fill < 0.75 ? 4 : 16;
}

/**
 * One page's queue of events (`T`: the form the page takes them in). Once half full, messages
 * (data and send events) are sampled, one in 4 and then one in 16, and once full dropped; lifecycle
 * events (connect, close, error, …) get twice the room, because the page's client list and banners
 * depend on them. A `dropped` marker stands where messages were left out, counting them until the
 * batch that carries it goes, so the page shows the gap; the counters the page shows come from
 * stats and stay exact whatever was dropped.
 */
export class PageQueue<T extends object = WireEvent> {
  /** What waits, and beside it each one's estimated size: two arrays, no object per event. */
  private events: (T | WireDropped | undefined)[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private seq = 0;
  private acked = 0;
  private offered = 0;
  /** Sizes of the batches in flight, oldest first, and their sum. */
  private flights: { seq: number; size: number }[] = [];
  private flightBytes = 0;
  private readonly markers = new Map<string, WireDropped>();
  /** Events dropped for this page since it connected. */
  dropped = 0;

  constructor(private readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS) {}

  /** Events waiting. */
  get length(): number {
    return this.events.length - this.head;
  }

  /** Estimated bytes waiting. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Batches sent and not yet acknowledged. */
  get inFlight(): number {
    return this.seq - this.acked;
  }

  /** Estimated bytes sent and not yet acknowledged. */
  get inFlightBytes(): number {
    return this.flightBytes;
  }

  /**
   * Offers an event of `session`, `size` bytes in the page's form (estimated, for the decision to
   * drop). `make` builds that form only when it is kept, so a flood costs little beyond counting.
   * Returns whether it was kept.
   */
  offer(session: string, essential: boolean, size: number, make: () => T): boolean {
    if (!this.admit(session, essential, size)) return false;
    this.push(make(), size);
    return true;
  }

  /**
   * Whether an event of `session`, `size` bytes in the page's form (estimated), is to be kept; when
   * it is, {@link push} it. One that is not is counted in its session's `dropped` marker.
   */
  admit(session: string, essential: boolean, size: number): boolean {
    const { maxQueuedEvents, maxQueuedBytes } = this.limits;
    const factor = essential ? 2 : 1;
    const full = this.length >= maxQueuedEvents * factor || this.bytes + size > maxQueuedBytes * factor;
    const stride = essential ? 1 : sampleStride(Math.max(this.length / maxQueuedEvents, this.bytes / maxQueuedBytes));
    if (full || (stride > 1 && ++this.offered % stride !== 0)) {
      this.dropped++;
      const marker = this.markers.get(session);
      if (marker) marker.count++;
      else {
        const m: WireDropped = { event: 'dropped', ts: Date.now(), session, count: 1 };
        this.markers.set(session, m);
        this.push(m, 64);
      }
      return false;
    }
    // while sampling, the gaps between the messages kept add up in one marker
    if (stride === 1 && this.markers.size > 0) this.markers.delete(session);
    return true;
  }

  /** Queues an event {@link admit} kept. */
  push(event: T | WireDropped, size: number): void {
    this.events.push(event);
    this.sizes.push(size);
    this.bytes += size;
  }

  /** As many events wait as one batch takes (counted in events: long messages are few, and gathered they are sampled). */
  get holdsFullBatch(): boolean {
    return this.length >= this.limits.maxBatchEvents;
  }

  /** Events wait only for the page to acknowledge what is in flight: its next ack should send them. */
  get waitingForAcks(): boolean {
    return this.length > 0 && (this.inFlight >= this.limits.maxInFlight || this.flightBytes >= this.limits.maxInFlightBytes);
  }

  /** The next batch, if there is one and the page is not too far behind; undefined otherwise. */
  take(): QueueBatch<T> | undefined {
    if (this.length === 0 || this.inFlight >= this.limits.maxInFlight || this.flightBytes >= this.limits.maxInFlightBytes) return undefined;
    const events: (T | WireDropped)[] = [];
    let size = 0;
    while (this.head < this.events.length && events.length < this.limits.maxBatchEvents) {
      const itemSize = this.sizes[this.head]!;
      if (events.length > 0 && size + itemSize > this.limits.maxBatchBytes) break;
      const event = this.events[this.head]!;
      this.events[this.head++] = undefined;
      events.push(event);
      size += itemSize;
      this.bytes -= itemSize;
      // a marker that goes stops counting: later drops get a marker of their own
      if (isMarker(event) && this.markers.get(event.session) === event) this.markers.delete(event.session);
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    const seq = ++this.seq;
    this.flights.push({ seq, size });
    this.flightBytes += size;
    return { seq, events, dropped: this.dropped };
  }

  /** The page took every batch up to `seq`. */
  ack(seq: number): void {
    if (!Number.isInteger(seq) || seq <= this.acked || seq > this.seq) return;
    this.acked = seq;
    while (this.flights.length && this.flights[0]!.seq <= seq) this.flightBytes -= this.flights.shift()!.size;
  }
}

function isMarker(e: object): e is WireDropped {
  return (e as { event?: unknown }).event === 'dropped';
}

/** About how many bytes an event takes as JSON (field names and numbers included). */
export function approxSize(e: WireEvent): number {
  if (e.event === 'data' || e.event === 'send') return 110 + e.peer.length + (e.data?.length ?? 0) + (e.text ? e.text.length * 1.5 : 0);
  return 200;
}
