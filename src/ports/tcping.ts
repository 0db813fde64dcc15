// tcping: TCP connect latency measured like ping measures echo replies, with ping's statistics.
import { UsageError } from '../errors.js';
import { probeTcp, type PortState } from './scan.js';

/** How often and how long to probe. */
export interface TcpPingOptions {
  /** An IP address: resolve names first, so every probe measures the same path. */
  address: string;
  port: number;
  /** Probes to make; omitted: until stopped. */
  count?: number;
  /** From the start of one probe to the start of the next (default 1000). */
  intervalMs?: number;
  /** A probe not connected after this long counts as lost (default 2000). */
  timeoutMs?: number;
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
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 2000;
  if (options.count !== undefined && (!Number.isInteger(options.count) || options.count < 1)) {
    throw new UsageError(`--count must be a whole number of 1 or more, got '${options.count}'`);
  }
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new UsageError(`--interval must be 0 or more milliseconds, got '${intervalMs}'`);
  if (!Number.isFinite(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout must be 1 or more milliseconds, got '${timeoutMs}'`);
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
    for (let seq = 1; options.count === undefined || seq <= options.count; seq++) {
      const begin = Date.now();
      const r = await probeTcp(options.address, options.port, timeoutMs, abort.signal);
      if (r.code === 'ABORTED') break;
      probes++;
      if (r.state === 'open') accumulate(acc, r.ms);
      const probe: PingProbe = { seq, state: r.state, ms: r.ms };
      if (r.code) probe.code = r.code;
      onProbe?.(probe);
      if (abort.signal.aborted || seq === options.count) break;
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
