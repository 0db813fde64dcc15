// The TCP load generator: many connections, fixed-size messages, request/response or streaming, bounded in time.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { SockitError, UsageError } from '../errors.js';
import { connectErrorFrom } from '../system-errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { LatencyHistogram } from './histogram.js';

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
}

/** Counters of a run so far. */
export interface LoadProgress {
  elapsedMs: number;
  established: number;
  failed: number;
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
  /** The first connect failure as a sentence, when no connection could be established. */
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

// connects in flight at once: enough to fill a fast server quickly, few enough not to overflow its accept queue
const MAX_PENDING_CONNECTS = 256;
// stream mode hands the kernel this much per write
const STREAM_CHUNK = 64 * 1024;
// after the deadline, sockets get this long to close politely
const CLOSE_GRACE_MS = 500;

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

class Connection {
  socket: net.Socket | undefined;
  established = false;
  closed = false;
  /** Request mode: an answer is awaited. */
  waiting = false;
  /** Request mode: bytes of answers received but not yet matched to a request. */
  pending = 0;
  sentAt = 0;
  /** When the next message is due, with a rate. */
  nextAt = 0;
  sent = 0;
  /** Stream mode: the socket's buffer is full. */
  blocked = false;
}

/** Runs the load; create with {@link runLoad}. */
class LoadGenerator {
  readonly mode: 'request' | 'stream';
  readonly connections: number;
  readonly payload: Buffer;
  readonly expect: number;
  readonly rate: number;
  readonly durationMs: number;
  readonly connectTimeoutMs: number;
  readonly histogram = new LatencyHistogram();
  readonly errors: Record<string, number> = {};
  readonly conns: Connection[] = [];
  /** Stream mode: the payload repeated to about 64 KiB, written whole when unthrottled. */
  readonly streamChunk: Buffer;
  readonly streamPerChunk: number;
  firstError: unknown;
  started = 0;
  stoppedAt = 0;
  running = true;
  established = 0;
  failed = 0;
  dropped = 0;
  active = 0;
  messagesSent = 0;
  messagesReceived = 0;
  bytesOut = 0;
  bytesIn = 0;
  private nextToOpen = 0;
  private connecting = 0;
  private ticker: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private resolveDone!: (r: LoadReport) => void;
  readonly done: Promise<LoadReport>;
  // one read buffer for every socket: reads are handled synchronously, and only counted
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);

  constructor(readonly options: LoadOptions) {
    const o = options;
    this.connections = o.connections ?? 10;
    checkWhole(this.connections, '--connections', 1, LOAD_LIMITS.connections);
    if (o.payload) {
      if (o.payload.length < 1 || o.payload.length > LOAD_LIMITS.sizeBytes) throw new UsageError(`the message must be 1 to ${LOAD_LIMITS.sizeBytes} bytes, got ${o.payload.length}`);
      this.payload = o.payload;
    } else {
      const size = o.sizeBytes ?? 64;
      checkWhole(size, '--size', 1, LOAD_LIMITS.sizeBytes);
      this.payload = defaultPayload(size);
    }
    this.mode = o.mode ?? 'request';
    if (this.mode !== 'request' && this.mode !== 'stream') throw new UsageError(`--mode must be request or stream, got '${String(this.mode)}'`);
    this.expect = o.expectBytes ?? this.payload.length;
    checkWhole(this.expect, '--expect', 1, LOAD_LIMITS.sizeBytes);
    this.rate = o.ratePerConnection ?? 0;
    if (!Number.isFinite(this.rate) || this.rate < 0 || this.rate > LOAD_LIMITS.ratePerConnection) {
      throw new UsageError(`--rate must be from 0 (unlimited) to ${LOAD_LIMITS.ratePerConnection} messages per second, got '${this.rate}'`);
    }
    this.durationMs = o.durationMs ?? 10000;
    if (!Number.isFinite(this.durationMs) || this.durationMs <= 0 || this.durationMs > LOAD_LIMITS.durationMs) {
      throw new UsageError(`--duration must be above 0 and at most ${LOAD_LIMITS.durationMs / 1000} seconds, got '${this.durationMs / 1000}'`);
    }
    this.connectTimeoutMs = o.connectTimeoutMs ?? 5000;
    checkWhole(this.connectTimeoutMs, '--connect-timeout', 1, LOAD_LIMITS.durationMs);
    this.streamPerChunk = Math.max(1, Math.floor(STREAM_CHUNK / this.payload.length));
    this.streamChunk = this.mode === 'stream' ? Buffer.concat(Array(this.streamPerChunk).fill(this.payload)) : this.payload;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  start(): void {
    this.started = performance.now();
    for (let i = 0; i < this.connections; i++) this.conns.push(new Connection());
    this.openMore();
    this.deadline = setTimeout(() => this.stop(), this.durationMs);
    if (this.rate > 0) {
      // one ticker for every connection, rather than a timer per message
      const tickMs = Math.max(1, Math.min(10, Math.floor(1000 / this.rate / 2)));
      this.ticker = setInterval(() => this.tick(), tickMs);
    }
  }

  private openMore(): void {
    while (this.running && this.connecting < MAX_PENDING_CONNECTS && this.nextToOpen < this.conns.length) {
      this.open(this.conns[this.nextToOpen++]!);
    }
  }

  private open(c: Connection): void {
    this.connecting++;
    const socket = net.connect({
      host: this.options.host,
      port: this.options.port,
      noDelay: true,
      onread: { buffer: this.readBuffer, callback: (n: number) => this.onRead(c, n) },
    });
    c.socket = socket;
    socket.setTimeout(this.connectTimeoutMs, () => {
      if (!c.established) socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      this.connecting--;
      c.established = true;
      this.established++;
      this.active++;
      this.openMore();
      if (!this.running) return void socket.end();
      if (this.rate > 0) {
        // spread the first messages over one interval, so connections do not fire in step
        c.nextAt = performance.now() + Math.random() * (1000 / this.rate);
      } else if (this.mode === 'request') {
        this.sendRequest(c);
      } else {
        this.pump(c);
      }
    });
    socket.on('drain', () => {
      c.blocked = false;
      if (this.mode === 'stream' && this.rate === 0) this.pump(c);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'ERROR';
      if (!c.established) {
        this.errors[code] = (this.errors[code] ?? 0) + 1;
        this.firstError ??= err;
      } else if (this.running) {
        this.errors[code] = (this.errors[code] ?? 0) + 1;
      }
    });
    socket.on('close', () => {
      c.closed = true;
      if (c.established) {
        this.active--;
        if (this.running) this.dropped++;
      } else {
        this.connecting--;
        // connects cut short by the end of the run did not fail
        if (this.running) this.failed++;
        this.openMore();
      }
      if (!this.running && this.active === 0 && this.connecting === 0) this.finish();
    });
  }

  private sendRequest(c: Connection): void {
    c.waiting = true;
    c.sent++;
    this.messagesSent++;
    this.bytesOut += this.payload.length;
    c.sentAt = performance.now();
    c.socket!.write(this.payload);
  }

  /** Counts what one read brought. Returns true: reading goes on (false would pause the socket). */
  private onRead(c: Connection, n: number): boolean {
    // what arrives after the deadline is outside the measured window
    if (!this.running) return true;
    this.bytesIn += n;
    if (this.mode === 'stream') {
      c.pending += n;
      if (c.pending >= this.expect) {
        const whole = Math.floor(c.pending / this.expect);
        c.pending -= whole * this.expect;
        this.messagesReceived += whole;
      }
      return true;
    }
    c.pending += n;
    if (!c.waiting || c.pending < this.expect) return true;
    c.pending -= this.expect;
    c.waiting = false;
    const now = performance.now();
    this.histogram.record((now - c.sentAt) * 1000);
    this.messagesReceived++;
    if (this.rate === 0) this.sendRequest(c);
    else if (now >= c.nextAt) this.sendPaced(c, now);
    return true;
  }

  private sendPaced(c: Connection, now: number): void {
    const interval = 1000 / this.rate;
    // a late answer does not earn a burst: the schedule restarts from now
    c.nextAt = Math.max(c.nextAt + interval, now - interval);
    if (this.mode === 'request') this.sendRequest(c);
  }

  /** Stream mode without a rate: write whole chunks until the socket pushes back. */
  private pump(c: Connection): void {
    const socket = c.socket!;
    while (this.running && !c.blocked && !c.closed) {
      this.messagesSent += this.streamPerChunk;
      c.sent += this.streamPerChunk;
      this.bytesOut += this.streamChunk.length;
      if (!socket.write(this.streamChunk)) c.blocked = true;
    }
  }

  private tick(): void {
    if (!this.running) return;
    const now = performance.now();
    const interval = 1000 / this.rate;
    for (const c of this.conns) {
      if (!c.established || c.closed || now < c.nextAt) continue;
      if (this.mode === 'request') {
        if (!c.waiting) this.sendPaced(c, now);
        continue;
      }
      if (c.blocked) continue;
      // messages due since the last tick, written as one slice of the pre-built chunk
      let due = Math.floor((now - c.nextAt) / interval) + 1;
      if (due > this.streamPerChunk) due = this.streamPerChunk;
      c.nextAt += due * interval;
      if (c.nextAt < now - interval) c.nextAt = now;
      this.messagesSent += due;
      c.sent += due;
      const bytes = due * this.payload.length;
      this.bytesOut += bytes;
      if (!c.socket!.write(due === this.streamPerChunk ? this.streamChunk : this.streamChunk.subarray(0, bytes))) c.blocked = true;
    }
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.stoppedAt = performance.now();
    clearTimeout(this.deadline);
    if (this.ticker) clearInterval(this.ticker);
    for (const c of this.conns) {
      if (!c.socket || c.closed) continue;
      if (c.established) c.socket.end();
      else c.socket.destroy();
    }
    this.grace = setTimeout(() => {
      for (const c of this.conns) c.socket?.destroy();
      this.finish();
    }, CLOSE_GRACE_MS);
    if (this.active === 0 && this.connecting === 0) this.finish();
  }

  private grace: NodeJS.Timeout | undefined;
  private finished = false;
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.grace);
    this.resolveDone(this.report());
  }

  progress(): LoadProgress {
    const end = this.running ? performance.now() : this.stoppedAt;
    return {
      elapsedMs: Math.round(end - this.started), established: this.established, failed: this.failed, dropped: this.dropped,
      active: this.active, messagesSent: this.messagesSent, messagesReceived: this.messagesReceived,
      bytesOut: this.bytesOut, bytesIn: this.bytesIn,
    };
  }

  latency(): LatencySummary | undefined {
    const h = this.histogram;
    if (this.mode !== 'request') return undefined;
    return { count: h.count, min: msOf(h.min), mean: msOf(h.mean), p50: msOf(h.percentile(50)), p90: msOf(h.percentile(90)), p99: msOf(h.percentile(99)), max: msOf(h.max) };
  }

  private report(): LoadReport {
    const p = this.progress();
    const secs = Math.max(0.001, p.elapsedMs / 1000);
    const report: LoadReport = {
      ...p,
      target: formatEndpoint(this.options.host, this.options.port),
      mode: this.mode, connections: this.connections, sizeBytes: this.payload.length, expectBytes: this.expect,
      ratePerConnection: this.rate, durationMs: p.elapsedMs,
      messagesPerSec: (this.mode === 'request' ? p.messagesReceived : p.messagesSent) / secs,
      mbPerSecOut: p.bytesOut / 1e6 / secs,
      mbPerSecIn: p.bytesIn / 1e6 / secs,
      errors: this.errors,
    };
    const latency = this.latency();
    if (latency) report.latency = latency;
    if (this.established === 0 && this.firstError !== undefined) report.error = connectErrorFrom(this.firstError, this.options.host, this.options.port);
    return report;
  }
}

/**
 * Starts a load run against `host:port`. It stops by itself after `durationMs` (or on
 * {@link LoadRun.stop}); `done` resolves with the report, never rejects for network failures.
 */
export function runLoad(options: LoadOptions): LoadRun {
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new UsageError(`port must be a whole number from 1 to 65535, got '${options.port}'`);
  }
  const load = new LoadGenerator(options);
  load.start();
  return {
    progress: () => load.progress(),
    latency: () => load.latency(),
    stop: () => load.stop(),
    done: load.done,
  };
}
