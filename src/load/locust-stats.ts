// Locust's request statistics as a worker reports them: entries, response-time buckets, errors, built per report interval.
import { createHash } from 'node:crypto';

/**
 * One request kind's statistics for one interval, with the keys Locust's `StatsEntry.unserialize`
 * reads on the master. Times in milliseconds, timestamps in seconds since the epoch.
 */
export interface LocustStatsEntry {
  name: string;
  method: string;
  last_request_timestamp: number | null;
  start_time: number;
  num_requests: number;
  /** Requests without a response time (stream mode: messages written, nothing to time). */
  num_none_requests: number;
  num_failures: number;
  total_response_time: number;
  max_response_time: number;
  min_response_time: number | null;
  total_content_length: number;
  /** Response time, rounded as Locust rounds it, to count. Integer keys: a Map, so MessagePack keeps them numbers. */
  response_times: Map<number, number>;
  num_reqs_per_sec: Map<number, number>;
  num_fail_per_sec: Map<number, number>;
}

/** One failure reason of one request kind, as Locust's `StatsError` is serialised. */
export interface LocustStatsError {
  name: string;
  method: string;
  error: string;
  occurrences: number;
  first_seen: number;
  last_seen: number;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The key Locust files a response time under (`bucket_response_time`): whole milliseconds below
 * 100 ms, then two significant digits (147 → 150, 3432 → 3400, 58760 → 59000).
 */
export function locustBucket(ms: number): number {
  if (ms < 100) return roundHalfEven(ms);
  if (ms < 1000) return roundHalfEven(ms / 10) * 10;
  if (ms < 10000) return roundHalfEven(ms / 100) * 100;
  return roundHalfEven(ms / 1000) * 1000;
}

const add = (m: Map<number, number>, key: number, n: number) => m.set(key, (m.get(key) ?? 0) + n);

/** Accumulates one request kind's statistics until the next report, with Locust's semantics. */
export class LocustEntryBuilder {
  private entry: LocustStatsEntry;

  constructor(readonly name: string, readonly method: string, startTime = Date.now() / 1000) {
    this.entry = LocustEntryBuilder.empty(name, method, startTime);
  }

  /** An entry with nothing in it. */
  static empty(name: string, method: string, startTime: number): LocustStatsEntry {
    return {
      name, method, last_request_timestamp: null, start_time: startTime,
      num_requests: 0, num_none_requests: 0, num_failures: 0, total_response_time: 0, max_response_time: 0, min_response_time: null,
      total_content_length: 0, response_times: new Map(), num_reqs_per_sec: new Map(), num_fail_per_sec: new Map(),
    };
  }

  /**
   * Counts `count` requests made in the second `atSec`, with `bytes` of content in all. Their
   * response times come through {@link timed}; `timed: false` marks them as having none (Locust's
   * `None` response time: stream mode writes, nothing to time).
   */
  requests(count: number, bytes: number, atSec: number, timed = true): void {
    if (count <= 0) return;
    const e = this.entry;
    e.num_requests += count;
    if (!timed) e.num_none_requests += count;
    e.total_content_length += bytes;
    add(e.num_reqs_per_sec, atSec, count);
    e.last_request_timestamp = Math.max(e.last_request_timestamp ?? 0, Date.now() / 1000);
  }

  /** Records `count` response times of `ms` for requests counted by {@link requests}. */
  timed(ms: number, count = 1): void {
    const e = this.entry;
    e.total_response_time += ms * count;
    if (e.min_response_time === null || ms < e.min_response_time) e.min_response_time = ms;
    if (ms > e.max_response_time) e.max_response_time = ms;
    add(e.response_times, locustBucket(ms), count);
  }

  /** Records one request made now with its response time, or none: a connect, a failure. */
  one(ms: number | undefined, bytes: number, atSec: number): void {
    this.requests(1, bytes, atSec, ms !== undefined);
    if (ms !== undefined) this.timed(ms);
  }

  /** Replaces the sum of response times by a more exact one (a histogram's sum, rather than its bucket middles). */
  correctTotalResponseTime(deltaMs: number): void {
    this.entry.total_response_time += deltaMs;
  }

  /** Records one failed request: a request (with its response time, if it had one) and a failure. */
  failure(ms: number | undefined, atSec: number): void {
    this.one(ms, 0, atSec);
    this.entry.num_failures++;
    add(this.entry.num_fail_per_sec, atSec, 1);
  }

  /** The interval's entry; the builder starts a new interval at `now`. */
  take(now = Date.now() / 1000): LocustStatsEntry {
    const e = this.entry;
    this.entry = LocustEntryBuilder.empty(this.name, this.method, now);
    return e;
  }
}

/** Locust's `StatsEntry.extend`: `into` gains `other`'s requests (the Aggregated row is built this way). */
export function extendEntry(into: LocustStatsEntry, other: LocustStatsEntry): void {
  if (other.last_request_timestamp !== null) into.last_request_timestamp = Math.max(into.last_request_timestamp ?? 0, other.last_request_timestamp);
  into.start_time = Math.min(into.start_time, other.start_time);
  into.num_requests += other.num_requests;
  into.num_none_requests += other.num_none_requests;
  into.num_failures += other.num_failures;
  into.total_response_time += other.total_response_time;
  into.max_response_time = Math.max(into.max_response_time, other.max_response_time);
  if (other.min_response_time !== null) into.min_response_time = into.min_response_time === null ? other.min_response_time : Math.min(into.min_response_time, other.min_response_time);
  into.total_content_length += other.total_content_length;
  for (const [k, n] of other.response_times) add(into.response_times, k, n);
  for (const [k, n] of other.num_reqs_per_sec) add(into.num_reqs_per_sec, k, n);
  for (const [k, n] of other.num_fail_per_sec) add(into.num_fail_per_sec, k, n);
}

/** Counts failures by request kind and reason until the next report, keyed as Locust keys them. */
export class LocustErrorBook {
  private errors = new Map<string, LocustStatsError>();

  /** One more failure of this kind for this reason. */
  add(method: string, name: string, reason: string, now = Date.now() / 1000): void {
    // the master adds up occurrences by key across workers, so equal failures share one key
    const key = createHash('sha256').update(`${method}.${name}.${reason}`).digest('hex');
    const e = this.errors.get(key);
    if (e) {
      e.occurrences++;
      e.last_seen = now;
    } else {
      this.errors.set(key, { name, method, error: reason, occurrences: 1, first_seen: now, last_seen: now });
    }
  }

  /** The interval's failures by key; the book starts empty again. */
  take(): Record<string, LocustStatsError> {
    const out = Object.fromEntries(this.errors);
    this.errors = new Map();
    return out;
  }
}
