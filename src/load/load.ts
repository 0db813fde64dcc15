// The TCP load generator's API: its options checked once, its progress and its report; the engine does the I/O.
import { performance } from 'node:perf_hooks';
import { ConnectError, SockitError, UsageError } from '../errors.js';
import { connectErrorFrom } from '../system-errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { LoadEngine, type EngineSettings } from './engine.js';

/** How a load run behaves. */
export interface LoadOptions {
  /** An IP address or a name (resolved once by the connects; resolve first for a stable target). */
  host: string;
  port: number;
  /** Connections to open (default 10). */
  connections?: number;
  /** Bytes per message (default 64). Ignored when `payload` is given. */
  sizeBytes?: number;
  /** The message itself; default: letters ending in a newline, so line-framed servers see one line. */
  payload?: Buffer;
  /** Messages per second per connection; 0 or omitted: as fast as the server allows. */
  ratePerConnection?: number;
  /** How long to run (default 10 s). The run always stops by itself. */
  durationMs?: number;
  /**
   * request: send, wait for `expectBytes` back, record the latency, send the next.
   * stream: keep writing (backpressure respected) and count whatever comes back.
   */
  mode?: 'request' | 'stream';
  /** Request mode: bytes that make one answer (default: the message size, as an echo). */
  expectBytes?: number;
  /** A connection not established in this long fails (default 5000). */
  connectTimeoutMs?: number;
  /** Request mode: a request unanswered this long fails and its connection is closed (default: no limit). */
  answerTimeoutMs?: number;
}

/** Counters of a run so far. */
export interface LoadProgress {
  elapsedMs: number;
  established: number;
  failed: number;
  /** Connections neither established nor failed: still connecting (or not yet tried) when the run ended. */
  pending: number;
  /** Connections that the server closed or reset during the run. */
  dropped: number;
  active: number;
  messagesSent: number;
  /** Request mode: answers received. Stream mode: whole messages' worth of bytes received. */
  messagesReceived: number;
  bytesOut: number;
  bytesIn: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The outcome of a run. Rates are over the whole run, connecting included. */
export interface LoadReport extends LoadProgress {
  target: string;
  mode: 'request' | 'stream';
  connections: number;
  sizeBytes: number;
  expectBytes: number;
  ratePerConnection: number;
  durationMs: number;
  /** Request mode: answers per second; stream mode: messages sent per second. */
  messagesPerSec: number;
  /** Megabytes (10^6 bytes) per second each way. */
  mbPerSecOut: number;
  mbPerSecIn: number;
  /** Request mode only. */
  latency?: LatencySummary;
  /** Failures by system error code. */
  errors: Record<string, number>;
  /** Why the run failed: no connection was established, or (request mode) nothing was answered. */
  error?: SockitError;
}

/** A running load. */
export interface LoadRun {
  /** Counters so far, for live progress. */
  progress(): LoadProgress;
  /** Latency percentiles so far (request mode). */
  latency(): LatencySummary | undefined;
  /** Ends the run now; `done` resolves with the report. */
  stop(): void;
  readonly done: Promise<LoadReport>;
}

/** Limits that keep a typo from exhausting the machine. */
export const LOAD_LIMITS = {
  connections: 20000,
  sizeBytes: 16 * 1024 * 1024,
  ratePerConnection: 1_000_000,
  durationMs: 24 * 3600 * 1000,
} as const;

/** The default message: a-z repeated, ending in a newline. */
export function defaultPayload(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = 97 + (i % 26);
  if (size > 0) b[size - 1] = 10;
  return b;
}

function checkWhole(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got '${value}'`);
}

const msOf = (micros: number) => Math.round(micros) / 1000;

/**
 * Checks a run's options, naming the option that is wrong, and fills in the defaults.
 * `untilStopped`: no duration (the Locust worker runs until its master says stop).
 */
export function resolveLoadOptions(o: LoadOptions, untilStopped = false): EngineSettings {
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
    throw new UsageError(`port must be a whole number from 1 to 65535, got '${o.port}'`);
  }
  const connections = o.connections ?? 10;
  checkWhole(connections, '--connections', untilStopped ? 0 : 1, LOAD_LIMITS.connections);
  let payload: Buffer;
  if (o.payload) {
    if (o.payload.length < 1 || o.payload.length > LOAD_LIMITS.sizeBytes) throw new UsageError(`the message must be 1 to ${LOAD_LIMITS.sizeBytes} bytes, got ${o.payload.length}`);
    payload = o.payload;
  } else {
    const size = o.sizeBytes ?? 64;
    checkWhole(size, '--size', 1, LOAD_LIMITS.sizeBytes);
    payload = defaultPayload(size);
  }
  const mode = o.mode ?? 'request';
  if (mode !== 'request' && mode !== 'stream') throw new UsageError(`--mode must be request or stream, got '${String(mode)}'`);
  const expect = o.expectBytes ?? payload.length;
  checkWhole(expect, '--expect', 1, LOAD_LIMITS.sizeBytes);
  const rate = o.ratePerConnection ?? 0;
  if (!Number.isFinite(rate) || rate < 0 || rate > LOAD_LIMITS.ratePerConnection) {
    throw new UsageError(`--rate must be from 0 (unlimited) to ${LOAD_LIMITS.ratePerConnection} messages per second, got '${rate}'`);
  }
  let durationMs = Infinity;
  if (!untilStopped) {
    durationMs = o.durationMs ?? 10000;
    if (!Number.isFinite(durationMs) || durationMs <= 0 || durationMs > LOAD_LIMITS.durationMs) {
      throw new UsageError(`--duration must be above 0 and at most ${LOAD_LIMITS.durationMs / 1000} seconds, got '${durationMs / 1000}'`);
    }
  }
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  checkWhole(connectTimeoutMs, '--connect-timeout', 1, LOAD_LIMITS.durationMs);
  if (o.answerTimeoutMs !== undefined) checkWhole(o.answerTimeoutMs, '--answer-timeout', 1, LOAD_LIMITS.durationMs);
  return { host: o.host, port: o.port, connections, payload, mode, expect, rate, durationMs, connectTimeoutMs, answerTimeoutMs: o.answerTimeoutMs };
}

/** Counters of an engine so far. */
export function progressOf(e: LoadEngine): LoadProgress {
  const end = e.running ? performance.now() : e.stoppedAt;
  return {
    elapsedMs: Math.round(end - e.started), established: e.established, failed: e.failed,
    pending: Math.max(0, e.connections - e.established - e.failed), dropped: e.dropped,
    active: e.active, messagesSent: e.messagesSent, messagesReceived: e.messagesReceived,
    bytesOut: e.bytesOut, bytesIn: e.bytesIn,
  };
}

/** Latency percentiles of an engine so far (request mode). */
export function latencyOf(e: LoadEngine): LatencySummary | undefined {
  const h = e.histogram;
  if (e.settings.mode !== 'request') return undefined;
  return { count: h.count, min: msOf(h.min), mean: msOf(h.mean), p50: msOf(h.percentile(50)), p90: msOf(h.percentile(90)), p99: msOf(h.percentile(99)), max: msOf(h.max) };
}

/** The report of an engine's run, rates over its whole time. */
export function reportOf(e: LoadEngine): LoadReport {
  const s = e.settings;
  const p = progressOf(e);
  const secs = Math.max(0.001, p.elapsedMs / 1000);
  const report: LoadReport = {
    ...p,
    target: formatEndpoint(s.host, s.port),
    mode: s.mode, connections: e.connections, sizeBytes: s.payload.length, expectBytes: s.expect,
    ratePerConnection: s.rate, durationMs: p.elapsedMs,
    messagesPerSec: (s.mode === 'request' ? p.messagesReceived : p.messagesSent) / secs,
    mbPerSecOut: p.bytesOut / 1e6 / secs,
    mbPerSecIn: p.bytesIn / 1e6 / secs,
    errors: e.errors,
  };
  const latency = latencyOf(e);
  if (latency) report.latency = latency;
  const failure = failureOf(e, p);
  if (failure) report.error = failure;
  return report;
}

/** Nothing answered is a failure: a listener that never accepts, or a server that never replies. */
function failureOf(e: LoadEngine, p: LoadProgress): SockitError | undefined {
  const { host, port, mode, expect } = e.settings;
  const where = formatEndpoint(host, port);
  if (p.established === 0 && p.pending === 0 && e.firstError !== undefined) return connectErrorFrom(e.firstError, host, port);
  if (p.established === 0) {
    return new ConnectError('SOCKIT_ERR_TIMEOUT', `no connection to ${where} was established in ${(p.elapsedMs / 1000).toFixed(1)} s (${p.pending} still connecting${p.failed ? `, ${p.failed} failed` : ''})`, {
      cause: e.firstError,
      hint: 'the server may not be accepting connections (its accept queue is full), or a firewall drops them',
    });
  }
  if (mode !== 'request' || p.messagesReceived > 0 || p.messagesSent === 0) return undefined;
  return new ConnectError('SOCKIT_ERR_TIMEOUT', `${where} answered none of ${p.messagesSent} messages (no ${expect} bytes came back)`, {
    hint: 'for a server that does not answer each message, use --mode stream (or set --expect)',
  });
}

/**
 * Starts a load run against `host:port`. It stops by itself after `durationMs` (or on
 * {@link LoadRun.stop}); `done` resolves with the report, never rejects for network failures.
 */
export function runLoad(options: LoadOptions): LoadRun {
  const engine = new LoadEngine(resolveLoadOptions(options));
  engine.start();
  return {
    progress: () => progressOf(engine),
    latency: () => latencyOf(engine),
    stop: () => engine.stop(),
    done: engine.done.then(() => reportOf(engine)),
  };
}
