// The TCP client session: connect, send, receive framed and decoded messages, half-close.
import net from 'node:net';
import tls from 'node:tls';
import { FrameTooLargeError } from '../errors.js';
import { connectErrorFrom } from './system-errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { createDecoder, type StreamDecoder } from '../wire/codec.js';
import { Session, type SessionEvent } from './session.js';
import { createFrameDecoder, DEFAULT_MAX_FRAME_BYTES, type FrameDecoder, type FrameSpec } from '../wire/framing.js';
import { peerOf } from './address.js';

/** How to reach the server and read its messages. */
export interface TcpClientOptions {
  host: string;
  port: number;
  encoding?: string;
  frame?: FrameSpec;
  maxFrameBytes?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Decode messages into `text` (default true). */
  decode?: boolean;
  /** Connect with TLS; `rejectUnauthorized: false` accepts self-signed certificates. */
  tls?: { rejectUnauthorized?: boolean; servername?: string; ca?: string | Buffer };
  name?: string;
}

let clientCount = 0;

/** A connected TCP client. Create with {@link connectTcp}. */
export class TcpClient extends Session {
  readonly options: Readonly<TcpClientOptions>;
  /** Resolves when the connection is fully closed. */
  readonly closed: Promise<void>;
  private socket: net.Socket | undefined;
  private frames: FrameDecoder;
  /** Created on the first message that is shown decoded. */
  private text: StreamDecoder | undefined;
  private readonly decodeShown: boolean;
  private readonly rawFraming: boolean;
  private closeReason: string | undefined;
  private peer = '';
  private resolveClosed!: () => void;
  private paused = false;

  constructor(options: TcpClientOptions) {
    super(options.name ?? `tcp-client-${++clientCount}`);
    this.options = options;
    this.frames = createFrameDecoder(options.frame ?? { kind: 'raw' }, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.decodeShown = options.decode !== false;
    this.rawFraming = (options.frame ?? { kind: 'raw' }).kind === 'raw';
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** The underlying socket, for callers that stream into it (files, stdin). */
  get raw(): net.Socket {
    if (!this.socket) throw new Error('not connected');
    return this.socket;
  }

  /** Connects; rejects with a ConnectError sentence naming host and port. */
  connect(): Promise<this> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const socket = this.options.tls
        ? tls.connect({ host, port, servername: this.options.tls.servername ?? (net.isIP(host) ? undefined : host), rejectUnauthorized: this.options.tls.rejectUnauthorized ?? true, ca: this.options.tls.ca })
        : net.connect({ host, port, allowHalfOpen: true, noDelay: true });
      this.socket = socket;
      let settled = false;
      const timer = this.options.connectTimeoutMs
        ? setTimeout(() => {
            if (settled) return;
            settled = true;
            socket.destroy();
            reject(connectErrorFrom(Object.assign(new Error('timeout'), { code: 'SOCKIT_TIMEOUT' }), host, port));
          }, this.options.connectTimeoutMs)
        : undefined;
      const onError = (err: Error) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        reject(connectErrorFrom(err, host, port));
      };
      socket.once('error', onError);
      socket.once(this.options.tls ? 'secureConnect' : 'connect', () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        socket.off('error', onError);
        this.attach(socket);
        resolve(this);
      });
    });
  }

  private attach(socket: net.Socket): void {
    this.peer = peerOf(socket);
    this.stats.connections = 1;
    this.stats.active = 1;
    this.emitEvent({ event: 'connect', ts: Date.now(), session: this.name, peer: this.peer, id: 1, local: formatEndpoint(socket.localAddress ?? '', socket.localPort ?? 0) });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.closeReason ??= err.code === 'ECONNRESET' ? 'reset by peer' : `error: ${err.message}`;
    });
    socket.on('end', () => {
      this.closeReason ??= 'closed by peer';
      const rest = this.frames.flush();
      const kind = this.options.frame?.kind;
      if (rest && (kind === 'line' || kind === 'delimiter')) this.onMessage(rest);
      // the server finished; finish our side too once our own output is flushed
      if (!socket.writableEnded) socket.end();
    });
    socket.on('close', () => {
      this.stats.active = 0;
      this.emitEvent({ event: 'close', ts: Date.now(), session: this.name, peer: this.peer, id: 1, reason: this.closeReason ?? 'closed', bytesIn: this.stats.bytesIn, bytesOut: this.stats.bytesOut });
      this.emitEvent(this.summary());
      this.resolveClosed();
    });
    if (this.options.idleTimeoutMs) {
      socket.setTimeout(this.options.idleTimeoutMs, () => {
        this.closeReason = `idle for ${this.options.idleTimeoutMs! / 1000} s`;
        socket.destroy();
      });
    }
    socket.on('data', (chunk: Buffer) => {
      this.stats.bytesIn += chunk.length;
      // raw framing: one read is one message, no array per chunk
      if (this.rawFraming) {
        this.onMessage(chunk);
        return;
      }
      let messages: Buffer[];
      try {
        messages = this.frames.push(chunk);
      } catch (err) {
        if (!(err instanceof FrameTooLargeError)) throw err;
        this.emitEvent({ event: 'error', ts: Date.now(), session: this.name, code: err.code, message: err.message, hint: err.hint, peer: this.peer, id: 1 });
        this.closeReason = 'frame too large';
        socket.destroy();
        return;
      }
      for (const m of messages) this.onMessage(m);
    });
  }

  private onMessage(message: Buffer): void {
    this.stats.messagesIn++;
    if (!this.messagesObserved) {
      // nothing is shown, so nothing is decoded; a later decoder starts clean
      this.text = undefined;
      return;
    }
    const text = this.decodeShown ? (this.text ??= createDecoder(this.options.encoding ?? 'utf8')).write(message) : undefined;
    this.emitEvent({ event: 'data', ts: Date.now(), session: this.name, peer: this.peer, id: 1, n: this.stats.messagesIn, bytes: message.length, payload: message, text });
  }

  /** Sends bytes as given. Resolves once the socket has taken them (backpressure for loops). */
  send(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed || socket.writableEnded) return Promise.resolve();
    this.stats.bytesOut += data.length;
    this.stats.messagesOut++;
    if (this.messagesObserved) this.emitEvent({ event: 'send', ts: Date.now(), session: this.name, peer: this.peer, id: 1, bytes: data.length, payload: data });
    if (socket.write(data)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /** Counts bytes that were streamed into {@link raw} directly (files). */
  countSent(bytes: number): void {
    this.stats.bytesOut += bytes;
  }

  /** Half-closes: no more sending, but what the server sends still arrives. */
  end(): void {
    if (this.socket && !this.socket.writableEnded) this.socket.end();
  }

  /** Closes the connection (gracefully, or at once with `force`). */
  close(force = false): Promise<void> {
    if (this.socket && !this.socket.destroyed) {
      this.closeReason ??= 'closed by us';
      if (force) this.socket.destroy();
      else {
        this.socket.end();
        setTimeout(() => this.socket?.destroy(), 2000).unref();
      }
    }
    return this.closed;
  }

  /** Stops reading (the kernel then pushes back on the server) or resumes. */
  setPaused(paused: boolean): void {
    if (paused === this.paused || !this.socket) return;
    this.paused = paused;
    if (paused) this.socket.pause();
    else this.socket.resume();
  }
}

/** Creates a TCP client session and connects it. */
export async function connectTcp(options: TcpClientOptions, onEvent?: (e: SessionEvent) => void): Promise<TcpClient> {
  const client = new TcpClient(options);
  if (onEvent) client.on('event', onEvent);
  return client.connect();
}
