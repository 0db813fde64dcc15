// Writes sessions' events to a capture file as they happen: NDJSON, gzip by name, and bounded memory when the disk falls behind.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { SockitError } from '../errors.js';
import type { Session, SessionEvent } from '../net/session.js';
import { TcpClient } from '../net/tcp-client.js';
import { TcpServer } from '../net/tcp-server.js';
import { UdpSocket } from '../net/udp-socket.js';
import { closeKind, type CaptureDirection, type CaptureHeader, type CaptureProtocol, type CaptureRecord } from './capture-format.js';
import { RECORD_CHUNK, RecordBuffer } from './record-buffer.js';

/** How a capture file is written. */
export interface CaptureOptions {
  /** Compress with gzip (default: when the file name ends in `.gz`). */
  gzip?: boolean;
  /**
   * Bytes waiting for the disk past which the captured sessions' stream connections pause
   * reading until it catches up, so the peers slow down rather than memory growing (default 1 MiB).
   */
  highWaterBytes?: number;
  /**
   * Bytes waiting for the disk past which data records are dropped (datagrams cannot wait), and
   * counted in a `drop` record once the disk catches up (default 8 MiB).
   */
  maxPendingBytes?: number;
  /** Hears, once, that the file could not be written; the capture then stops. */
  onError?: (err: SockitError) => void;
}

/** What a capture wrote, and what it had to leave out. */
export interface CaptureStats {
  path: string;
  /** Records written (the header not counted). */
  records: number;
  /** Payload bytes written in data records. */
  bytes: number;
  /** Data records dropped because the disk fell behind, and the payload bytes they carried. */
  droppedRecords: number;
  droppedBytes: number;
}

/** The protocol a session's connections speak, as captures name it. */
export function captureProtocolOf(session: Session): CaptureProtocol {
  if (session instanceof UdpSocket) return 'udp';
  if (session instanceof TcpServer || session instanceof TcpClient) return session.options.tls ? 'tls' : 'tcp';
  // WebSocket sessions, told without loading the ws package: a client has its parsed target; a server says ws or wss when it listens
  const target = (session as { target?: { secure?: unknown } }).target;
  if (target && typeof target.secure === 'boolean') return target.secure ? 'wss' : 'ws';
  const listening = session.listeningEvent?.protocol;
  return listening === 'ws' || listening === 'wss' ? listening : 'tcp';
}

// a source that keeps sending new UDP peers must not grow the table without end
const MAX_CONNECTIONS = 100_000;
const ORIGIN_MS = performance.timeOrigin;

/** Microseconds since the epoch, from the monotonic clock. */
export function nowMicros(): number {
  return Math.round((ORIGIN_MS + performance.now()) * 1000);
}

interface Attached {
  readonly session: Session;
  readonly listener: (e: SessionEvent) => void;
  untap?: () => void;
  protocol: CaptureProtocol;
  /** Session connection id → the file's connection number. */
  readonly conns: Map<number, number>;
  listening: boolean;
  /** The listening address, our end of a UDP listener's peers. */
  local: string | undefined;
}

interface Dropped {
  conn: number | undefined;
  dir: CaptureDirection | undefined;
  records: number;
  bytes: number;
}

const wrap = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * One capture file, fed by any number of sessions. Records are batched and written in the
 * background. When more than `highWaterBytes` wait for the disk, the sessions' TCP and WebSocket
 * connections pause reading until it drains (backpressure reaches the peers); past
 * `maxPendingBytes` (datagrams, which cannot wait) data records are dropped and counted, like a
 * packet capture whose buffer is full.
 */
export class CaptureWriter {
  private readonly out: Writable;
  private readonly file: fs.WriteStream;
  private readonly maxPending: number;
  private readonly highWater: number;
  private blocking = false;
  private readonly attached: Attached[] = [];
  private readonly records: RecordBuffer;
  private scheduled = false;
  private congested = false;
  private failed = false;
  private closing: Promise<CaptureStats> | undefined;
  private nextConn = 1;
  private readonly dropped = new Map<string, Dropped>();
  private readonly counts = { records: 0, bytes: 0, droppedRecords: 0, droppedBytes: 0 };

  private constructor(
    readonly path: string,
    fd: number,
    private readonly options: CaptureOptions,
  ) {
    this.maxPending = options.maxPendingBytes ?? 8 * 1024 * 1024;
    this.highWater = Math.min(options.highWaterBytes ?? 1024 * 1024, this.maxPending);
    this.file = fs.createWriteStream(path, { fd });
    this.file.on('error', (err) => this.fail(err));
    if (options.gzip ?? /\.gz$/i.test(path)) {
      const gzip = zlib.createGzip({ level: 1 });
      gzip.on('error', (err) => this.fail(err));
      gzip.pipe(this.file);
      this.out = gzip;
    } else {
      this.out = this.file;
    }
    this.out.on('drain', () => this.drained());
    this.records = new RecordBuffer((bytes, written) => this.out.write(bytes, written));
    const us = nowMicros();
    const header: CaptureHeader = { capture: 'sockit', version: 1, started: new Date(us / 1000).toISOString(), us };
    this.records.line(`${JSON.stringify(header)}\n`);
    this.schedule();
  }

  /** Creates (or empties) the file. Throws a SockitError (exit code 2) naming it when it cannot. */
  static open(path: string, options: CaptureOptions = {}): CaptureWriter {
    let fd: number;
    try {
      fd = fs.openSync(path, 'w');
    } catch (err) {
      throw new SockitError('SOCKIT_ERR_FILE', `cannot write the capture file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'its folder does not exist' : (err as Error).message}`, { cause: err, exitCode: 2 });
    }
    return new CaptureWriter(path, fd, options);
  }

  /** Bytes handed to the file that it has not yet taken (what backpressure bounds). */
  get pendingBytes(): number {
    return this.records.length + this.out.writableLength;
  }

  /** What has been written and dropped so far. */
  get stats(): CaptureStats {
    return { path: this.path, ...this.counts };
  }

  /**
   * Records a session's events and bytes from now on (a listening session's `listening` event
   * first). Returns a function that stops recording it.
   */
  attach(session: Session, protocol: CaptureProtocol = captureProtocolOf(session)): () => void {
    const a: Attached = { session, protocol, conns: new Map(), listening: false, local: undefined, listener: (e) => this.onEvent(a, e) };
    this.attached.push(a);
    // a session already listening: its listening event, so accepted connections know our end
    const listening = session.listeningEvent;
    if (listening) this.onEvent(a, listening);
    session.on('event', a.listener);
    a.untap = session.tapWire((dir, id, peer, bytes, opcode) => this.onWire(a, dir, id, peer, bytes, opcode));
    return () => {
      session.off('event', a.listener);
      a.untap?.();
      if (this.blocking) session.setWireBlocked(false);
      const i = this.attached.indexOf(a);
      if (i >= 0) this.attached.splice(i, 1);
    };
  }

  /** Writes what waits, the `end` record, and closes the file; resolves with the totals. */
  close(): Promise<CaptureStats> {
    this.closing ??= new Promise((resolve) => {
      if (this.blocking) this.block(false);
      for (const a of this.attached) {
        a.session.off('event', a.listener);
        a.untap?.();
      }
      this.attached.length = 0;
      this.writeDrops();
      const end = { us: nowMicros(), event: 'end', records: this.counts.records + 1, dropped: this.counts.droppedRecords };
      this.records.line(`${JSON.stringify(end)}\n`);
      this.counts.records++;
      this.flush();
      const done = () => resolve(this.stats);
      if (this.failed) return done();
      this.file.once('close', done);
      this.out.end();
    });
    return this.closing;
  }

  /** Bytes that crossed the wire, as the session read or wrote them (before framing). */
  private onWire(a: Attached, dir: CaptureDirection, id: number, peer: string, payload: Buffer, opcode: string | undefined): void {
    if (this.failed || this.closing) return;
    const conn = a.conns.get(id) ?? this.open(a, id, peer, undefined, dir === 'in' ? 'accepted' : 'connected');
    if (this.congested) {
      this.drop(conn, dir, payload.length);
      return;
    }
    this.counts.bytes += payload.length;
    this.counts.records++;
    this.records.data(nowMicros(), conn, dir, payload, opcode || undefined);
    this.written();
  }

  private onEvent(a: Attached, e: SessionEvent): void {
    if (this.failed || this.closing) return;
    switch (e.event) {
      case 'connect':
        this.open(a, e.id, e.peer, e.local, a.listening ? 'accepted' : 'connected', e.handshake?.path);
        return;
      case 'close': {
        const conn = a.conns.get(e.id);
        if (conn === undefined) return;
        a.conns.delete(e.id);
        const kind = closeKind(e.reason, (e as { how?: string }).how, (e as { closedBy?: string }).closedBy);
        this.record({ us: nowMicros(), event: 'close', conn, reason: e.reason, ...kind });
        return;
      }
      case 'listening':
        a.listening = true;
        if (e.protocol === 'ws' || e.protocol === 'wss' || e.protocol === 'udp') a.protocol = e.protocol;
        a.local = `${wrap(e.address)}:${e.port}`;
        this.record({ us: nowMicros(), event: 'listening', session: e.session, protocol: e.protocol, address: e.address, port: e.port });
        return;
      case 'request':
        this.record({ us: nowMicros(), event: 'request', session: e.session, method: e.method, url: e.url, status: e.status, bytes: e.bytes, ms: e.ms, peer: e.peer });
        return;
      case 'error': {
        const conn = e.id === undefined ? undefined : a.conns.get(e.id);
        this.record({ us: nowMicros(), event: 'error', session: e.session, code: e.code, message: e.message, ...(conn === undefined ? {} : { conn }) });
        return;
      }
      default:
    }
  }

  /** Numbers a new connection and records it. */
  private open(a: Attached, id: number, peer: string, local: string | undefined, role: 'accepted' | 'connected', path?: string): number {
    const conn = this.nextConn++;
    if (a.conns.size >= MAX_CONNECTIONS) a.conns.delete(a.conns.keys().next().value as number);
    a.conns.set(id, conn);
    const at = local ?? a.local;
    this.record({
      us: nowMicros(), event: 'connect', session: a.session.name, conn, id, protocol: a.protocol, role, peer,
      ...(at ? { local: at } : {}), ...(path !== undefined ? { path } : {}),
    });
    return conn;
  }

  /** A record that is not data: kept even while the disk is behind, unless far behind. */
  private record(r: CaptureRecord): void {
    if (this.records.length + this.out.writableLength > 2 * this.maxPending) {
      this.drop(undefined, undefined, 0);
      return;
    }
    this.push(`${JSON.stringify(r)}\n`);
  }

  private push(line: string): void {
    this.counts.records++;
    this.records.line(line);
    this.written();
  }

  /** A full chunk goes to the file now; a partial one at the end of the turn. */
  private written(): void {
    if (this.records.length >= RECORD_CHUNK / 2) this.flush();
    else this.schedule();
  }

  private drop(conn: number | undefined, dir: CaptureDirection | undefined, bytes: number): void {
    const key = `${conn ?? ''}${dir ?? ''}`;
    let d = this.dropped.get(key);
    if (!d) this.dropped.set(key, (d = { conn, dir, records: 0, bytes: 0 }));
    d.records++;
    d.bytes += bytes;
    this.counts.droppedRecords++;
    this.counts.droppedBytes += bytes;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.records.length === 0 || this.failed) return;
    this.records.flush();
    // the stream buffers what the disk has not taken: past the high water the sessions pause reading, past the bound data records are dropped
    const pending = this.out.writableLength;
    if (pending > this.highWater && !this.blocking) this.block(true);
    if (pending > this.maxPending) this.congested = true;
  }

  private block(blocked: boolean): void {
    this.blocking = blocked;
    for (const a of this.attached) a.session.setWireBlocked(blocked);
  }

  private drained(): void {
    if (this.blocking) this.block(false);
    if (!this.congested) return;
    this.congested = false;
    this.writeDrops();
  }

  /** One `drop` record per connection and direction that lost records. */
  private writeDrops(): void {
    if (this.dropped.size === 0) return;
    const us = nowMicros();
    for (const d of this.dropped.values()) {
      const where = d.conn === undefined ? {} : { conn: d.conn, dir: d.dir };
      this.records.line(`${JSON.stringify({ us, event: 'drop', records: d.records, bytes: d.bytes, ...where })}\n`);
      this.counts.records++;
    }
    this.dropped.clear();
    this.schedule();
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.records.clear();
    if (this.blocking) this.block(false);
    this.options.onError?.(new SockitError('SOCKIT_ERR_FILE', `the capture file ${this.path} could not be written: ${err.message}; capturing stopped`, { cause: err }));
    // a stream that failed never emits close on its own
    this.file.destroy();
  }
}

/** Starts capturing one session into a file (gzip when it ends in `.gz`). */
export function captureSession(session: Session, path: string, options?: CaptureOptions): CaptureWriter {
  const writer = CaptureWriter.open(path, options);
  writer.attach(session);
  return writer;
}
