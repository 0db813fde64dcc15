// Turns a load engine's counters and connection events into Locust statistics, one report interval at a time.
import type { ConnectionObserver, LoadEngine } from './engine.js';
import { LatencyHistogram } from './histogram.js';
import { LocustEntryBuilder, LocustErrorBook, extendEntry, type LocustStatsEntry, type LocustStatsError } from './locust-stats.js';

/** What a worker sends the master every report interval (besides its user counts). */
export interface LocustStatsReport {
  stats: LocustStatsEntry[];
  stats_total: LocustStatsEntry;
  errors: Record<string, LocustStatsError>;
}

const CONNECT_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset during connect',
  EADDRNOTAVAIL: 'no local port left (EADDRNOTAVAIL)',
};

/** The failure reason Locust shows for a connect that failed with this system error code. */
export function connectFailureReason(code: string): string {
  return CONNECT_REASONS[code] ?? code;
}

/** The failure reason Locust shows for an established connection that ended during the run. */
export function dropFailureReason(code: string | undefined): string {
  if (code === undefined) return 'connection closed by the server';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection reset by the server';
  if (code === 'ETIMEDOUT') return 'no answer in time';
  return code;
}

const second = (ms = Date.now()) => Math.floor(ms / 1000);

/**
 * Watches one engine at a time. Connects and failures arrive as events (rare); answers are read
 * from the engine's counters once a second and from its histogram once a report, so the collector
 * adds nothing to the engine's work per message.
 */
export class LocustCollector implements ConnectionObserver {
  readonly connect: LocustEntryBuilder;
  readonly message: LocustEntryBuilder;
  readonly errors = new LocustErrorBook();
  private engine: LoadEngine | undefined;
  private readonly snapshot = new LatencyHistogram();
  private counted = 0;
  private intervalStart = Date.now() / 1000;

  /**
   * `method`: Locust's request type column (`tcp`); `messageName`: the name of the message kind.
   * `bytesPerMessage`: the content length of one request (its answer in request mode).
   */
  constructor(readonly method: string, readonly messageName: string, private readonly bytesPerMessage: number, private readonly timed: boolean) {
    this.connect = new LocustEntryBuilder('connect', method);
    this.message = new LocustEntryBuilder(messageName, method);
  }

  /** Follows a new engine (a new run): its counters start from zero. */
  attach(engine: LoadEngine): void {
    this.engine = engine;
    this.counted = 0;
    engine.histogram.copyTo(this.snapshot);
  }

  connected(ms: number): void {
    this.connect.one(ms, 0, second());
  }

  connectFailed(ms: number, code: string): void {
    this.connect.failure(ms, second());
    this.errors.add(this.method, 'connect', connectFailureReason(code));
  }

  dropped(code: string | undefined, waitedMs: number | undefined): void {
    this.message.failure(waitedMs, second());
    this.errors.add(this.method, this.messageName, dropFailureReason(code));
  }

  /** Files the messages counted since the last call under the second `atSec` (Locust's requests per second). */
  sample(atSec = second()): void {
    const e = this.engine;
    if (!e) return;
    const now = this.timed ? e.messagesReceived : e.messagesSent;
    const n = now - this.counted;
    this.counted = now;
    this.message.requests(n, n * this.bytesPerMessage, atSec, this.timed);
  }

  /** The interval's statistics (entries with something in them, the Aggregated row, failures); a new interval starts. */
  take(): LocustStatsReport {
    const nowMs = Date.now();
    this.sample(second(nowMs));
    const e = this.engine;
    if (e && this.timed && e.histogram.count > this.snapshot.count) {
      let fromBuckets = 0;
      e.histogram.forEachSince(this.snapshot, (micros, count) => {
        this.message.timed(micros / 1000, count);
        fromBuckets += (micros / 1000) * count;
      });
      // the mean stays exact: the histogram's sum is of the measured values, not of bucket middles
      this.message.correctTotalResponseTime((e.histogram.sum - this.snapshot.sum) / 1000 - fromBuckets);
      e.histogram.copyTo(this.snapshot);
    }
    const now = nowMs / 1000;
    const total = LocustEntryBuilder.empty('Aggregated', '', this.intervalStart);
    this.intervalStart = now;
    const stats = [this.connect.take(now), this.message.take(now)].filter((s) => s.num_requests > 0 || s.num_failures > 0);
    for (const s of stats) extendEntry(total, s);
    return { stats, stats_total: total, errors: this.errors.take() };
  }
}
