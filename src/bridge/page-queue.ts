// What waits for one page: events batched, bounded in count and bytes, sent only a few batches ahead of the page's acks.
import type { ServerEvents, WireDropped, WireEvent } from './protocol.js';

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

interface Item {
  event: WireEvent;
  size: number;
}

/**
 * One page's queue. Data and send events are dropped (newest first) once the queue is full;
 * lifecycle events (connect, close, error, …) get twice the room, because the page's client
 * list and banners depend on them. A `dropped` marker takes the place of what was dropped, so
 * the page shows the gap where it happened; the counters the page shows come from stats and
 * stay exact whatever was dropped.
 */
export class PageQueue {
  private items: Item[] = [];
  private head = 0;
  private bytes = 0;
  private seq = 0;
  private acked = 0;
  /** Sizes of the batches in flight, oldest first, and their sum. */
  private flights: { seq: number; size: number }[] = [];
  private flightBytes = 0;
  private readonly markers = new Map<string, WireDropped>();
  /** Events dropped for this page since it connected. */
  dropped = 0;

  constructor(private readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS) {}

  /** Events waiting. */
  get length(): number {
    return this.items.length - this.head;
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
   * Offers an event of `session`, `estimate` bytes in its wire form (for the decision to drop).
   * `make` builds that form only when it is kept, so a flood costs little beyond counting.
   * Returns whether it was kept.
   */
  offer(session: string, essential: boolean, estimate: number, make: () => WireEvent): boolean {
    const { maxQueuedEvents, maxQueuedBytes } = this.limits;
    const factor = essential ? 2 : 1;
    if (this.length >= maxQueuedEvents * factor || this.bytes + estimate > maxQueuedBytes * factor) {
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
    this.markers.delete(session);
    const event = make();
    this.push(event, approxSize(event));
    return true;
  }

  private push(event: WireEvent, size: number): void {
    this.items.push({ event, size });
    this.bytes += size;
  }

  /** The next batch, if there is one and the page is not too far behind; undefined otherwise. */
  take(): ServerEvents | undefined {
    if (this.length === 0 || this.inFlight >= this.limits.maxInFlight || this.flightBytes >= this.limits.maxInFlightBytes) return undefined;
    const events: WireEvent[] = [];
    let size = 0;
    while (this.head < this.items.length && events.length < this.limits.maxBatchEvents) {
      const item = this.items[this.head]!;
      if (events.length > 0 && size + item.size > this.limits.maxBatchBytes) break;
      this.items[this.head++] = undefined as unknown as Item;
      events.push(item.event);
      size += item.size;
      this.bytes -= item.size;
      if (item.event.event === 'dropped' && this.markers.get(item.event.session) === item.event) this.markers.delete(item.event.session);
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    const seq = ++this.seq;
    this.flights.push({ seq, size });
    this.flightBytes += size;
    return { type: 'events', seq, events, dropped: this.dropped };
  }

  /** The page took every batch up to `seq`. */
  ack(seq: number): void {
    if (!Number.isInteger(seq) || seq <= this.acked || seq > this.seq) return;
    this.acked = seq;
    while (this.flights.length && this.flights[0]!.seq <= seq) this.flightBytes -= this.flights.shift()!.size;
  }
}

/** About how many bytes an event takes as JSON (field names and numbers included). */
export function approxSize(e: WireEvent): number {
  if (e.event === 'data' || e.event === 'send') return 110 + e.peer.length + (e.data?.length ?? 0) + (e.text ? e.text.length * 1.5 : 0);
  return 200;
}
