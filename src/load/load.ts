// The TCP load generator's API: its options checked once, its progress and its report; the engine does the I/O.
import { performance } from 'node:perf_hooks';
import { ConnectError, fieldError, type SockitError } from '../errors.js';
import { connectErrorFrom } from '../system-errors.js';
import { formatEndpoint, parseInteger, parsePort, parseSize } from '../wire/endpoint.js';
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

const msOf = (micros: number) => Math.round(micros) / 1000;

/**
 * {@link LoadOptions} as a caller may hold them before the check: the port, counts, sizes and
 * times also as the text a person typed (`'10'`, `'16k'`), the mode as any text.
 */
export interface LoadOptionsInput
  extends Omit<LoadOptions, 'port' | 'connections' | 'sizeBytes' | 'ratePerConnection' | 'mode' | 'expectBytes' | 'connectTimeoutMs' | 'answerTimeoutMs'> {
  port: number | string;
  connections?: number | string;
  sizeBytes?: number | string;
  ratePerConnection?: number | string;
  mode?: string;
  expectBytes?: number | string;
  connectTimeoutMs?: number | string;
  answerTimeoutMs?: number | string;
}

/** Load options once checked, the defaults filled in (`durationMs` is Infinity when the run lasts until stopped). */
export interface CheckedLoadOptions extends LoadOptions {
  connections: number;
  /** The message's size: `payload`'s length when one is given. */
  sizeBytes: number;
  ratePerConnection: number;
  durationMs: number;
  mode: 'request' | 'stream';
  expectBytes: number;
  connectTimeoutMs: number;
}

/**
 * Checks every option of a run once and fills in the defaults; a wrong one throws a UsageError
 * naming its field (`connections`, `sizeBytes`, ...), which a face may tell with its own name.
 * `untilStopped`: no duration (the Locust worker runs until its master says stop).
 */
export function checkLoadOptions(o: LoadOptionsInput, untilStopped = false): CheckedLoadOptions {
  const port = parsePort(o.port, 'port', { allowZero: false });
  const connections = parseInteger(o.connections ?? 10, 'connections', untilStopped ? 0 : 1, LOAD_LIMITS.connections);
  if (o.payload && o.payload.length === 0) throw fieldError('payload', 'must not be empty');
  if (o.payload && o.payload.length > LOAD_LIMITS.sizeBytes) throw fieldError('payload', `must be at most ${LOAD_LIMITS.sizeBytes} bytes, got ${o.payload.length}`);
  const sizeBytes = o.payload ? o.payload.length : parseSize(o.sizeBytes ?? 64, 'sizeBytes', 1, LOAD_LIMITS.sizeBytes);
  const rate = String(o.ratePerConnection ?? 0);
  if (!/^\d+(\.\d+)?$/.test(rate) || Number(rate) > LOAD_LIMITS.ratePerConnection) {
    throw fieldError('ratePerConnection', `must be a number of messages per second from 0 (unlimited) to ${LOAD_LIMITS.ratePerConnection}, got '${rate}'`);
  }
  let durationMs = Infinity;
  if (!untilStopped) {
    durationMs = o.durationMs ?? 10000;
    if (!Number.isFinite(durationMs) || durationMs <= 0) throw fieldError('durationMs', `must be above 0, got '${durationMs}'`);
    // said in seconds, the unit people choose durations in
    if (durationMs > LOAD_LIMITS.durationMs) throw fieldError('durationMs', `must be at most ${LOAD_LIMITS.durationMs / 1000} seconds, got '${durationMs / 1000}'`);
  }
  const mode = o.mode ?? 'request';
  if (mode !== 'request' && mode !== 'stream') throw fieldError('mode', `must be request or stream, got '${mode}'`);
  const expectBytes = parseSize(o.expectBytes ?? sizeBytes, 'expectBytes', 1, LOAD_LIMITS.sizeBytes);
  const connectTimeoutMs = parseInteger(o.connectTimeoutMs ?? 5000, 'connectTimeoutMs', 1, LOAD_LIMITS.durationMs);
  const answerTimeoutMs = o.answerTimeoutMs === undefined ? undefined : parseInteger(o.answerTimeoutMs, 'answerTimeoutMs', 1, LOAD_LIMITS.durationMs);
  return { ...o, port, connections, sizeBytes, ratePerConnection: Number(rate), durationMs, mode, expectBytes, connectTimeoutMs, answerTimeoutMs };
}

/** The engine's settings for a run: its options checked ({@link checkLoadOptions}), the default message made. */
export function resolveLoadOptions(options: LoadOptionsInput, untilStopped = false): EngineSettings {
  const o = checkLoadOptions(options, untilStopped);
  return {
    host: o.host, port: o.port, connections: o.connections, payload: o.payload ?? defaultPayload(o.sizeBytes), mode: o.mode,
    expect: o.expectBytes, rate: o.ratePerConnection, durationMs: o.durationMs, connectTimeoutMs: o.connectTimeoutMs, answerTimeoutMs: o.answerTimeoutMs,
  };
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
