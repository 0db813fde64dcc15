// tcping: TCP connect latency measured like ping measures echo replies, with ping's statistics.
import { parseInteger } from '../wire/endpoint.js';
import { probeTcp, type PortState } from './scan.js';

/** How often and how long to probe. */
export interface PingTiming {
  /** Probes to make; omitted: until stopped. */
  count?: number;
  /** From the start of one probe to the start of the next (default 1000). */
  intervalMs?: number;
  /** A probe not connected after this long counts as lost (default 2000). */
  timeoutMs?: number;
}

/** {@link PingTiming} before the check: each number also as the text a person typed. */
export interface PingTimingInput {
  count?: number | string;
  intervalMs?: number | string;
  timeoutMs?: number | string;
}

/** Where to probe, how often and how long. */
export interface TcpPingOptions extends PingTiming {
  /** An IP address: resolve names first, so every probe measures the same path. */
  address: string;
  port: number;
}

/** Checks a tcping's count, interval and timeout and fills in the defaults; a wrong one throws a UsageError naming its field. */
export function checkPingTiming(o: PingTimingInput): PingTiming & { intervalMs: number; timeoutMs: number } {
  return {
    count: o.count === undefined ? undefined : parseInteger(o.count, 'count', 1),
    intervalMs: parseInteger(o.intervalMs ?? 1000, 'intervalMs', 0),
    timeoutMs: parseInteger(o.timeoutMs ?? 2000, 'timeoutMs', 1),
  };
}

/** One probe: its number from 1, how it went, and the connect time. */
export interface PingProbe {
  seq: number;
  state: PortState;
  ms: number;
  code?: string;
}

/** ping's summary: probes, connected, loss, and min/avg/max/mdev of the connect times in ms. */
export interface PingStats {
  probes: number;
  connected: number;
  lossPercent: number;
  minMs: number;
  avgMs: number;
  maxMs: number;
  /** The standard deviation, as ping's mdev. */
  mdevMs: number;
  elapsedMs: number;
}

/** A running tcping. */
export interface TcpPing {
  /** Stops after the probe in flight is abandoned; `done` then resolves with the statistics so far. */
  stop(): void;
  readonly done: Promise<PingStats>;
}

interface Accumulator {
  n: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
}

const emptyAccumulator = (): Accumulator => ({ n: 0, sum: 0, sumSq: 0, min: Infinity, max: 0 });

function accumulate(acc: Accumulator, t: number): void {
  acc.n++;
  acc.sum += t;
  acc.sumSq += t * t;
  if (t < acc.min) acc.min = t;
  if (t > acc.max) acc.max = t;
}

function finalize(acc: Accumulator, probes: number, elapsedMs: number): PingStats {
  const avg = acc.n ? acc.sum / acc.n : 0;
  return {
    probes,
    connected: acc.n,
    lossPercent: probes ? ((probes - acc.n) / probes) * 100 : 0,
    minMs: acc.n ? acc.min : 0,
    avgMs: avg,
    maxMs: acc.max,
    mdevMs: acc.n ? Math.sqrt(Math.max(0, acc.sumSq / acc.n - avg * avg)) : 0,
    elapsedMs,
  };
}

/** Computes ping's statistics from the connect times of the probes that connected. */
export function computePingStats(times: readonly number[], probes: number, elapsedMs: number): PingStats {
  const acc = emptyAccumulator();
  for (const t of times) accumulate(acc, t);
  return finalize(acc, probes, elapsedMs);
}

/** Starts probing; `onProbe` hears each probe as it finishes. */
export function pingTcp(options: TcpPingOptions, onProbe?: (probe: PingProbe) => void): TcpPing {
  const { count, intervalMs, timeoutMs } = checkPingTiming(options);
  const abort = new AbortController();
  let wake: (() => void) | undefined;
  // running sums, not a list: a tcping may run for days
  const acc = emptyAccumulator();
  const started = Date.now();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (abort.signal.aborted || ms <= 0) return resolve();
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  const loop = async (): Promise<PingStats> => {
    let probes = 0;
    for (let seq = 1; count === undefined || seq <= count; seq++) {
      const begin = Date.now();
      const r = await probeTcp(options.address, options.port, timeoutMs, abort.signal);
      if (r.code === 'ABORTED') break;
      probes++;
      if (r.state === 'open') accumulate(acc, r.ms);
      const probe: PingProbe = { seq, state: r.state, ms: r.ms };
      if (r.code) probe.code = r.code;
      onProbe?.(probe);
      if (abort.signal.aborted || seq === count) break;
      await sleep(begin + intervalMs - Date.now());
      if (abort.signal.aborted) break;
    }
    return finalize(acc, probes, Date.now() - started);
  };

  return {
    stop() {
      abort.abort();
      wake?.();
    },
    done: loop(),
  };
}
