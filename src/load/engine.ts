// The connection engine behind `sockit load` and the Locust worker: many connections, request/response or streaming.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram.js';

/** What the engine runs, every option already checked (see load.ts). */
export interface EngineSettings {
  host: string;
  port: number;
  connections: number;
  payload: Buffer;
  mode: 'request' | 'stream';
  expect: number;
  rate: number;
  /** Infinity: until {@link LoadEngine.stop}. */
  durationMs: number;
  connectTimeoutMs: number;
  /** Request mode: a request unanswered this long fails, and its connection is closed (ETIMEDOUT); undefined: no limit. */
  answerTimeoutMs?: number;
  /** A connection that fails or is closed by the server connects again after this pause (the Locust worker's users); undefined: it stays closed. */
  reconnectAfterMs?: number;
  /** Told about connections, never about messages: nothing here runs per message. */
  observer?: ConnectionObserver;
}

/** What happens to connections, for a caller that reports them (the Locust worker). */
export interface ConnectionObserver {
  /** A connection was established `ms` after it was started. */
  connected(ms: number): void;
  /** A connection could not be established, `ms` after it was started (`code`: ECONNREFUSED, ETIMEDOUT, ...). */
  connectFailed(ms: number, code: string): void;
  /**
   * An established connection ended during the run: reset or closed by the server. `code` is the
   * socket error (ECONNRESET, ...) or undefined for a clean close; `waitedMs` is how long the
   * unanswered request had waited, when one was in flight.
   */
  dropped(code: string | undefined, waitedMs: number | undefined): void;
}

// connects in flight at once: enough to fill a fast server quickly, few enough not to overflow its accept queue
const MAX_PENDING_CONNECTS = 256;
// stream mode hands the kernel this much per write
const STREAM_CHUNK = 64 * 1024;
// after the deadline, sockets get this long to close politely
const CLOSE_GRACE_MS = 500;

class Connection {
  socket: net.Socket | undefined;
  established = false;
  closed = false;
  /** No longer wanted (fewer users): its close is not a failure and it is not opened again. */
  retired = false;
  /** Request mode: an answer is awaited. */
  waiting = false;
  /** Request mode: bytes of answers received but not yet matched to a request. */
  pending = 0;
  sentAt = 0;
  openedAt = 0;
  /** When the next message is due, with a rate. */
  nextAt = 0;
  sent = 0;
  /** Stream mode: the socket's buffer is full. */
  blocked = false;
  errorCode: string | undefined;
  reopenTimer: NodeJS.Timeout | undefined;
}

/** Runs connections against one target until its duration ends or it is stopped. */
export class LoadEngine {
  readonly histogram = new LatencyHistogram();
  readonly errors: Record<string, number> = {};
  /** Stream mode: the payload repeated to about 64 KiB, written whole when unthrottled. */
  readonly streamChunk: Buffer;
  readonly streamPerChunk: number;
  readonly done: Promise<void>;
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
  private conns: Connection[] = [];
  /** Connections no longer wanted that are still closing. */
  private retiring = new Set<Connection>();
  private toOpen: Connection[] = [];
  private toOpenHead = 0;
  private connecting = 0;
  private ticker: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private grace: NodeJS.Timeout | undefined;
  private finished = false;
  private resolveDone!: () => void;
  // one read buffer for every socket: reads are handled synchronously, and only counted
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);

  constructor(readonly settings: EngineSettings) {
    this.streamPerChunk = Math.max(1, Math.floor(STREAM_CHUNK / settings.payload.length));
    this.streamChunk = settings.mode === 'stream' ? Buffer.concat(Array(this.streamPerChunk).fill(settings.payload)) : settings.payload;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Connections wanted now. */
  get connections(): number {
    return this.conns.length;
  }

  start(): void {
    this.started = performance.now();
    this.resize(this.settings.connections);
    if (Number.isFinite(this.settings.durationMs)) this.deadline = setTimeout(() => this.stop(), this.settings.durationMs);
    const answerMs = this.settings.answerTimeoutMs;
    if (answerMs !== undefined && this.settings.mode === 'request') {
      // one sweep over the connections a few times per timeout, rather than a timer per request
      this.sweeper = setInterval(() => this.sweep(answerMs), Math.max(10, Math.min(1000, answerMs / 4)));
    }
    const rate = this.settings.rate;
    if (rate > 0) {
      // one ticker for every connection, rather than a timer per message
      const tickMs = Math.max(1, Math.min(10, Math.floor(1000 / rate / 2)));
      this.ticker = setInterval(() => this.tick(), tickMs);
    }
  }

  /** Opens or closes connections until `count` are wanted; the newest go first. */
  resize(count: number): void {
    if (!this.running) return;
    while (this.conns.length < count) {
      const c = new Connection();
      this.conns.push(c);
      this.toOpen.push(c);
    }
    while (this.conns.length > count) this.retire(this.conns.pop()!);
    this.openMore();
  }

  private retire(c: Connection): void {
    c.retired = true;
    clearTimeout(c.reopenTimer);
    if (!c.socket || c.closed) return;
    this.retiring.add(c);
    if (c.established) c.socket.end();
    else c.socket.destroy();
  }

  private openMore(): void {
    while (this.running && this.connecting < MAX_PENDING_CONNECTS && this.toOpenHead < this.toOpen.length) {
      const c = this.toOpen[this.toOpenHead++]!;
      if (!c.retired) this.open(c);
    }
    if (this.toOpenHead === this.toOpen.length) {
      this.toOpen = [];
      this.toOpenHead = 0;
    }
  }

  private open(c: Connection): void {
    this.connecting++;
    c.established = false;
    c.closed = false;
    c.waiting = false;
    c.blocked = false;
    c.pending = 0;
    c.errorCode = undefined;
    c.openedAt = performance.now();
    const { host, port, connectTimeoutMs, observer } = this.settings;
    const socket = net.connect({ host, port, noDelay: true, onread: { buffer: this.readBuffer, callback: (n: number) => this.onRead(c, n) } });
    c.socket = socket;
    socket.setTimeout(connectTimeoutMs, () => {
      if (!c.established) socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      this.connecting--;
      c.established = true;
      this.established++;
      this.active++;
      this.openMore();
      if (!this.running || c.retired) return void socket.end();
      observer?.connected(performance.now() - c.openedAt);
      if (this.settings.rate > 0) {
        // spread the first messages over one interval, so connections do not fire in step
        c.nextAt = performance.now() + Math.random() * (1000 / this.settings.rate);
      } else if (this.settings.mode === 'request') {
        this.sendRequest(c);
      } else {
        this.pump(c);
      }
    });
    socket.on('drain', () => {
      c.blocked = false;
      if (this.settings.mode === 'stream' && this.settings.rate === 0) this.pump(c);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'ERROR';
      c.errorCode = code;
      if (!c.established) {
        this.errors[code] = (this.errors[code] ?? 0) + 1;
        this.firstError ??= err;
      } else if (this.running && !c.retired) {
        this.errors[code] = (this.errors[code] ?? 0) + 1;
      }
    });
    socket.on('close', () => this.onClose(c));
  }

  private onClose(c: Connection): void {
    c.closed = true;
    this.retiring.delete(c);
    const counted = this.running && !c.retired;
    if (c.established) {
      this.active--;
      if (counted) {
        this.dropped++;
        this.settings.observer?.dropped(c.errorCode, c.waiting ? performance.now() - c.sentAt : undefined);
      }
    } else {
      this.connecting--;
      // connects cut short by the end of the run (or by fewer users) did not fail
      if (counted) {
        this.failed++;
        this.settings.observer?.connectFailed(performance.now() - c.openedAt, c.errorCode ?? 'ECONNRESET');
      }
      this.openMore();
    }
    const pause = this.settings.reconnectAfterMs;
    if (counted && pause !== undefined) {
      c.reopenTimer = setTimeout(() => {
        c.reopenTimer = undefined;
        if (this.running && !c.retired) {
          this.toOpen.push(c);
          this.openMore();
        }
      }, pause);
    }
    if (!this.running && this.active === 0 && this.connecting === 0) this.finish();
  }

  private sendRequest(c: Connection): void {
    c.waiting = true;
    c.sent++;
    this.messagesSent++;
    this.bytesOut += this.settings.payload.length;
    c.sentAt = performance.now();
    c.socket!.write(this.settings.payload);
  }

  /** Counts what one read brought. Returns true: reading goes on (false would pause the socket). */
  private onRead(c: Connection, n: number): boolean {
    // what arrives after the deadline is outside the measured window
    if (!this.running) return true;
    this.bytesIn += n;
    const expect = this.settings.expect;
    if (this.settings.mode === 'stream') {
      c.pending += n;
      if (c.pending >= expect) {
        const whole = Math.floor(c.pending / expect);
        c.pending -= whole * expect;
        this.messagesReceived += whole;
      }
      return true;
    }
    c.pending += n;
    if (!c.waiting || c.pending < expect) return true;
    c.pending -= expect;
    c.waiting = false;
    const now = performance.now();
    this.histogram.record((now - c.sentAt) * 1000);
    this.messagesReceived++;
    if (this.settings.rate === 0) this.sendRequest(c);
    else if (now >= c.nextAt) this.sendPaced(c, now);
    return true;
  }

  private sendPaced(c: Connection, now: number): void {
    const interval = 1000 / this.settings.rate;
    // a late answer does not earn a burst: the schedule restarts from now
    c.nextAt = Math.max(c.nextAt + interval, now - interval);
    if (this.settings.mode === 'request') this.sendRequest(c);
  }

  /** Stream mode without a rate: write whole chunks until the socket pushes back. */
  private pump(c: Connection): void {
    const socket = c.socket!;
    while (this.running && !c.blocked && !c.closed && !c.retired) {
      this.messagesSent += this.streamPerChunk;
      c.sent += this.streamPerChunk;
      this.bytesOut += this.streamChunk.length;
      if (!socket.write(this.streamChunk)) c.blocked = true;
    }
  }

  private tick(): void {
    if (!this.running) return;
    const now = performance.now();
    const interval = 1000 / this.settings.rate;
    const size = this.settings.payload.length;
    for (const c of this.conns) {
      if (!c.established || c.closed || now < c.nextAt) continue;
      if (this.settings.mode === 'request') {
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
      const bytes = due * size;
      this.bytesOut += bytes;
      if (!c.socket!.write(due === this.streamPerChunk ? this.streamChunk : this.streamChunk.subarray(0, bytes))) c.blocked = true;
    }
  }

  private sweep(answerMs: number): void {
    const now = performance.now();
    for (const c of this.conns) {
      if (c.waiting && !c.closed && now - c.sentAt > answerMs) {
        c.socket!.destroy(Object.assign(new Error(`no answer within ${answerMs} ms`), { code: 'ETIMEDOUT' }));
      }
    }
  }

  /** Ends the run now; `done` resolves once every socket closed (or after a short grace). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.stoppedAt = performance.now();
    clearTimeout(this.deadline);
    if (this.ticker) clearInterval(this.ticker);
    clearInterval(this.sweeper);
    for (const c of this.conns) {
      clearTimeout(c.reopenTimer);
      if (!c.socket || c.closed) continue;
      if (c.established) c.socket.end();
      else c.socket.destroy();
    }
    this.grace = setTimeout(() => {
      for (const c of this.conns) c.socket?.destroy();
      for (const c of this.retiring) c.socket?.destroy();
      this.finish();
    }, CLOSE_GRACE_MS);
    if (this.active === 0 && this.connecting === 0) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.grace);
    this.resolveDone();
  }
}
