// The faults of one direction at work: a queue that delays, paces, splits and cuts a byte stream in order, and its datagram counterpart that loses, duplicates and reorders.
import { performance } from 'node:perf_hooks';
import type { FaultSpec } from '../wire/faults.js';

/** Where a stream shaper's bytes go, and what it tells its relay. */
export interface ShaperOutput {
  /** Writes a piece; false when the destination is full (call {@link StreamShaper.drained} once it drains). `then` runs once it is flushed. */
  write(piece: Buffer, then?: () => void): boolean;
  /** A byte limit was reached: close both ends gracefully (`drop`) or reset them (`reset`). */
  cut(kind: 'drop' | 'reset', after: number): void;
  /** The stall limit was reached (`true`) or lifted (`false`): stop or resume reading the source. */
  stall(on: boolean): void;
  /** The queue passed its high-water mark (`true`: stop reading the source) or fell below the low one. */
  backlog(full: boolean): void;
  /** The source ended and everything queued was written: pass the FIN on. */
  ended(): void;
}

/** Queued bytes past which the source is paused: memory stays bounded whatever the delay. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** Pieces of a split write leave this far apart, so the peer reads them separately. */
const CHUNK_GAP_MS = 1;
/** A paced direction writes this many slices a second: smooth, yet few timers. */
const SLICES_PER_SECOND = 50;
/** A timer this late is caught up on, so the rate holds on a busy machine; later than that, the schedule restarts. */
const CATCH_UP_MS = 250;

/** A random number source from 0 to 1 (seedable, so a run of faults can be repeated). */
export type Random = () => number;

/** A seeded random source (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A delay drawn for one piece: the latency, moved by up to the jitter either way, never below zero. */
function drawDelay(f: FaultSpec, random: Random): number {
  const jitter = f.jitterMs ? (random() * 2 - 1) * f.jitterMs : 0;
  return Math.max(0, (f.latencyMs ?? 0) + jitter);
}

/**
 * One direction of a TCP relay under faults. Bytes leave in order: each chunk no sooner than its
 * arrival plus its drawn delay, paced to the bandwidth, split into pieces, and cut after a limit.
 * Faults are read at each step, so a change applies at once (a delay to what arrives next).
 */
export class StreamShaper {
  /** Bytes forwarded in this direction so far (the fast path adds to it too). */
  passed = 0;
  private items: (Buffer | undefined)[] = [];
  private dues: number[] = [];
  private head = 0;
  private queued = 0;
  private nextAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingDrain = false;
  private stalled = false;
  private full = false;
  private ending = false;
  private stopped = false;
  private running = false;

  constructor(
    private readonly faults: () => FaultSpec,
    private readonly out: ShaperOutput,
    private readonly random: Random = Math.random,
  ) {}

  /** True when nothing waits in the queue (the fast path may write directly). */
  get idle(): boolean {
    return this.head === this.items.length && !this.stalled && !this.waitingDrain;
  }

  /** True once the stall limit holds this direction. */
  get isStalled(): boolean {
    return this.stalled;
  }

  /** Queues a chunk read from the source. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    const f = this.faults();
    this.items.push(chunk);
    this.dues.push(performance.now() + (f.latencyMs || f.jitterMs ? drawDelay(f, this.random) : 0));
    this.queued += chunk.length;
    if (!this.full && this.queued > HIGH_WATER) {
      this.full = true;
      this.out.backlog(true);
    }
    this.pump();
  }

  /** The source ended: once the queue is written, {@link ShaperOutput.ended} passes the FIN on. */
  end(): void {
    this.ending = true;
    this.pump();
  }

  /** The destination drained: go on. */
  drained(): void {
    if (!this.waitingDrain) return;
    this.waitingDrain = false;
    this.pump();
  }

  /** The faults changed: a lifted stall resumes, a new limit may cut at once, a new pace applies now. */
  retime(): void {
    if (this.stopped) return;
    const f = this.faults();
    if (this.stalled && !(f.stallAfter && this.passed >= f.stallAfter)) {
      this.stalled = false;
      this.out.stall(false);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = 0;
    if (!this.checkLimits(f)) this.pump();
  }

  /** The connection is gone: drop what is queued, stop every timer. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.dues = [];
    this.head = 0;
    this.queued = 0;
  }

  /** Writes what is due; arms a timer for what is not. */
  pump(): void {
    if (this.stopped || this.waitingDrain || this.stalled || this.running || this.timer) return;
    this.running = true;
    try {
      this.run();
    } finally {
      this.running = false;
    }
  }

  private run(): void {
    for (;;) {
      if (this.head === this.items.length) {
        this.items = [];
        this.dues = [];
        this.head = 0;
        if (this.ending) {
          this.stopped = true;
          this.out.ended();
        }
        return;
      }
      const f = this.faults();
      const now = performance.now();
      const at = Math.max(this.dues[this.head]!, this.nextAt);
      if (at > now) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.ceil(at - now));
        return;
      }
      let piece = this.items[this.head]!;
      let size = piece.length;
      if (f.chunkBytes) size = Math.min(size, f.chunkBytes);
      if (f.bandwidth) size = Math.min(size, Math.max(1, Math.floor(f.bandwidth / SLICES_PER_SECOND)));
      const limit = nearestLimit(f, this.passed);
      if (limit !== undefined) size = Math.min(size, limit - this.passed);
      if (size < piece.length) {
        this.items[this.head] = piece.subarray(size);
        piece = piece.subarray(0, size);
      } else {
        this.items[this.head++] = undefined;
      }
      this.queued -= size;
      this.passed += size;
      let next = 0;
      if (f.bandwidth) next = (now - this.nextAt < CATCH_UP_MS ? this.nextAt : now) + (size * 1000) / f.bandwidth;
      if (f.chunkBytes) next = Math.max(next, now + CHUNK_GAP_MS);
      this.nextAt = next;
      if (this.full && this.queued < LOW_WATER) {
        this.full = false;
        this.out.backlog(false);
      }
      const resetNow = f.resetAfter !== undefined && f.resetAfter > 0 && this.passed >= f.resetAfter;
      const ok = this.out.write(piece, resetNow ? () => this.out.cut('reset', f.resetAfter!) : undefined);
      if (resetNow) {
        this.stop();
        return;
      }
      if (this.checkLimits(f)) return;
      if (this.stopped) return;
      if (!ok) {
        this.waitingDrain = true;
        return;
      }
    }
  }

  /** Acts on a limit the bytes passed have reached; true when one did. */
  checkLimits(f: FaultSpec = this.faults()): boolean {
    if (this.stopped) return true;
    if (f.resetAfter && this.passed >= f.resetAfter) {
      this.stop();
      this.out.cut('reset', f.resetAfter);
      return true;
    }
    if (f.dropAfter && this.passed >= f.dropAfter) {
      this.stop();
      this.out.cut('drop', f.dropAfter);
      return true;
    }
    if (f.stallAfter && this.passed >= f.stallAfter) {
      if (!this.stalled) {
        this.stalled = true;
        this.out.stall(true);
      }
      return true;
    }
    return false;
  }
}

/** The nearest byte limit still ahead, if any. */
function nearestLimit(f: FaultSpec, passed: number): number | undefined {
  let limit: number | undefined;
  for (const l of [f.resetAfter, f.dropAfter, f.stallAfter]) if (l && l > passed && (limit === undefined || l < limit)) limit = l;
  return limit;
}

/** Datagrams waiting under delay past this are dropped, as a full router queue would. */
const MAX_PENDING_DATAGRAMS = 4096;

/** What a datagram shaper did, for faces and tests. */
export interface DatagramFaultCounts {
  lost: number;
  duplicated: number;
  reordered: number;
  /** Dropped because too many waited under delay. */
  overflowed: number;
}

/**
 * One direction of a UDP relay under faults: each datagram may be lost, sent twice, held back
 * until the next one has gone (reordered), delayed (with jitter, so order may change as on a
 * real path) and paced to the bandwidth.
 */
export class DatagramShaper {
  readonly counts: DatagramFaultCounts = { lost: 0, duplicated: 0, reordered: 0, overflowed: 0 };
  private held: Buffer | undefined;
  private heldTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextAt = 0;
  private stopped = false;

  constructor(
    private readonly faults: () => FaultSpec,
    private readonly send: (datagram: Buffer) => void,
    private readonly random: Random = Math.random,
  ) {}

  /** A datagram to pass on, faults permitting. */
  push(datagram: Buffer): void {
    if (this.stopped) return;
    const f = this.faults();
    if (f.loss && this.random() < f.loss) {
      this.counts.lost++;
      return;
    }
    const copies = f.duplicate && this.random() < f.duplicate ? 2 : 1;
    if (copies === 2) this.counts.duplicated++;
    if (f.reorder && this.held === undefined && this.random() < f.reorder) {
      // held until the next datagram has gone; a quiet line lets it go after a while, late
      this.counts.reordered++;
      this.held = datagram;
      this.heldTimer = setTimeout(() => this.release(), Math.max(20, 2 * (f.latencyMs ?? 0) + (f.jitterMs ?? 0)));
      if (copies === 2) this.schedule(datagram, f);
      return;
    }
    for (let i = 0; i < copies; i++) this.schedule(datagram, f);
    this.release();
  }

  /** Sends the held-back datagram, if any. */
  private release(): void {
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    const held = this.held;
    this.held = undefined;
    if (held) this.schedule(held, this.faults());
  }

  private schedule(datagram: Buffer, f: FaultSpec): void {
    let delay = f.latencyMs || f.jitterMs ? drawDelay(f, this.random) : 0;
    if (f.bandwidth) {
      const now = performance.now();
      const start = Math.max(now + delay, this.nextAt);
      this.nextAt = start + (datagram.length * 1000) / f.bandwidth;
      delay = this.nextAt - now;
    }
    if (delay <= 0) {
      this.send(datagram);
      return;
    }
    if (this.timers.size >= MAX_PENDING_DATAGRAMS) {
      this.counts.overflowed++;
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) this.send(datagram);
    }, delay);
    this.timers.add(timer);
  }

  /** The mapping is gone: forget what waits. */
  stop(): void {
    this.stopped = true;
    if (this.heldTimer) clearTimeout(this.heldTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held = undefined;
  }
}
