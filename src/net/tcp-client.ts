// The TCP client session: connect, send, receive framed and decoded messages, half-close.
import net from 'node:net';
import tls from 'node:tls';
import { DEFAULT_MAX_FRAME_BYTES, type FrameSpec } from '../wire/framing.js';
import { localOf, peerOf } from './address.js';
import type { BehaviourOptions } from './behaviour.js';
import { Session, type SessionEvent, type TextOptions } from './session.js';
import { DEFAULT_MAX_PENDING_BYTES, drainedOrGone, SocketConversation, type SocketSettings } from './socket-conversation.js';
import { Backoff, type ReconnectOptions } from './backoff.js';
import type { SockitError } from '../errors.js';
import { connectErrorFrom } from '../system-errors.js';
import { describeTlsPeer } from './tls-info.js';

/** How to reach the server, read its messages and (optionally) answer them. */
export interface TcpClientOptions extends Omit<BehaviourOptions, 'chat'>, TextOptions {
  host: string;
  port: number;
  frame?: FrameSpec;
  maxFrameBytes?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /**
   * When the server half-closes, keep our side open for sending until {@link TcpClient.end}
   * (as `nc -N` sends the rest of stdin). By default our side ends too.
   */
  allowHalfOpen?: boolean;
  /** Connect with TLS; `rejectUnauthorized: false` accepts self-signed certificates. */
  tls?: { rejectUnauthorized?: boolean; servername?: string; ca?: string | Buffer };
  /**
   * Connect again when the connection ends or cannot be made (true: default pauses), each try a
   * `retry` event; {@link TcpClient.close} or {@link TcpClient.end} stops it.
   */
  reconnect?: boolean | ReconnectOptions;
  name?: string;
}

let clientCount = 0;

/** The one connection of a client session. */
class ClientConnection extends SocketConversation {
  constructor(
    private readonly client: TcpClient,
    settings: SocketSettings,
    id: number,
    socket: net.Socket,
    private readonly halfOpen: boolean,
  ) {
    super(settings, id, peerOf(socket), socket);
  }

  override handleEnd(): void {
    super.handleEnd();
    // the server finished; finish our side too once our own output is flushed, unless told to keep sending
    if (!this.halfOpen && !this.socket.writableEnded) this.socket.end();
  }

  handleClose(): void {
    this.client.connectionClosed(this);
  }
}

/** A connected TCP client. Create with {@link connectTcp}. */
export class TcpClient extends Session {
  readonly options: Readonly<TcpClientOptions>;
  private connection: ClientConnection | undefined;
  private readonly settings: SocketSettings;
  private paused = false;
  private readonly reconnect: Backoff | undefined;
  private nextId = 1;
  /** Closed or ended by us: no reconnection follows. */
  private closing = false;

  constructor(options: TcpClientOptions) {
    super(options.name ?? `tcp-client-${++clientCount}`);
    this.options = options;
    this.reconnect = options.reconnect ? new Backoff(options.reconnect) : undefined;
    this.settings = {
      ...this.readSettings(options, options.frame ?? { kind: 'raw' }, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
      maxPendingBytes: DEFAULT_MAX_PENDING_BYTES,
      idleTimeoutMs: options.idleTimeoutMs,
    };
  }

  /** The underlying socket, for callers that stream into it (files, stdin). */
  get raw(): net.Socket {
    if (!this.connection) throw new Error('not connected');
    return this.connection.socket;
  }

  /**
   * Connects; rejects with a ConnectError sentence naming host and port. With `reconnect`,
   * failures are retried (`retry` events) until one succeeds or the attempts run out.
   */
  async connect(): Promise<this> {
    for (;;) {
      try {
        await this.open();
        this.reconnect?.succeeded();
        return this;
      } catch (err) {
        if (this.closing) return this;
        if (!this.reconnect?.canRetry || !this.reconnect.retriesFirst) throw err;
        await new Promise<void>((resolve) => this.reconnect!.schedule((err as Error).message, (e) => this.emitEvent(e), resolve));
        if (this.closing) return this;
      }
    }
  }

  /** A later attempt (after a connection ended): the session ends when the attempts run out. */
  private retry(reason: string): void {
    this.reconnect!.schedule(reason, (e) => this.emitEvent(e), () => {
      this.open().then(
        () => this.reconnect!.succeeded(),
        (err: SockitError) => {
          if (this.closing) return;
          if (this.reconnect!.canRetry) return this.retry(err.message);
          this.emitEvent({ event: 'error', code: err.code, message: `gave up reconnecting: ${err.message}`, hint: err.hint });
          this.finish();
        },
      );
    });
  }

  private open(): Promise<void> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const t = this.options.tls;
      const socket = t
        ? tls.connect({ host, port, servername: t.servername ?? (net.isIP(host) ? undefined : host), rejectUnauthorized: t.rejectUnauthorized ?? true, ca: t.ca })
        : net.connect({ host, port, allowHalfOpen: true, noDelay: true });
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
      socket.once(t ? 'secureConnect' : 'connect', () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        socket.off('error', onError);
        if (this.closing) {
          socket.destroy();
          return reject(connectErrorFrom(Object.assign(new Error('stopped'), { code: 'SOCKIT_STOPPED' }), host, port));
        }
        this.attach(socket);
        resolve();
      });
    });
  }

  private attach(socket: net.Socket): void {
    const connection = new ClientConnection(this, this.settings, this.nextId++, socket, this.options.allowHalfOpen === true);
    this.connection = connection;
    this.stats.connections++;
    this.stats.active = 1;
    const peerTls = socket instanceof tls.TLSSocket ? describeTlsPeer(socket) : undefined;
    this.emitEvent({ event: 'connect', peer: connection.peer, id: connection.id, local: localOf(socket), ...(peerTls ? { tls: peerTls } : {}) });
    connection.start();
    this.settings.behaviour?.welcome(connection);
  }

  /** The connection closed: say why, then reconnect or end the session. */
  connectionClosed(connection: ClientConnection): void {
    this.stats.active = 0;
    const reason = connection.closeReason ?? 'closed';
    this.emitEvent({ event: 'close', peer: connection.peer, id: connection.id, reason, bytesIn: connection.bytesIn, bytesOut: connection.bytesOut, ...(connection.closeHow ? { how: connection.closeHow } : {}) });
    if (this.reconnect && !this.closing && this.reconnect.canRetry) this.retry(reason);
    else this.finish();
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.stats.active === 1;
  }

  /** Sends bytes as given. Resolves once the socket has taken them (backpressure for loops). */
  send(data: Buffer): Promise<void> {
    const c = this.connection;
    const socket = c?.socket;
    if (!c || !socket || socket.destroyed || socket.writableEnded) return Promise.resolve();
    c.countWritten(data);
    if (socket.write(data)) return Promise.resolve();
    return drainedOrGone(socket);
  }

  /**
   * Streams `source` (a file) to the server, reading on only as the socket takes it; `onWritten`
   * hears each chunk the system took. Resolves true once all went out, false when the connection
   * ended first (or there is none).
   */
  pump(source: AsyncIterable<Buffer>, onWritten?: (bytes: number) => void): Promise<boolean> {
    const c = this.connection;
    return c && !c.socket.destroyed ? c.pump(source, onWritten) : Promise.resolve(false);
  }

  /** Half-closes: no more sending, but what the server sends still arrives; no reconnection follows. */
  end(): void {
    this.closing = true;
    this.reconnect?.cancel();
    const socket = this.connection?.socket;
    if (socket && !socket.writableEnded) socket.end();
    else if (!this.connected) this.finish();
  }

  /** Closes the connection (gracefully, or at once with `force`); no reconnection follows. */
  close(force = false): Promise<void> {
    this.closing = true;
    this.reconnect?.cancel();
    const c = this.connection;
    if (!this.connected) this.finish();
    else if (c && !c.socket.destroyed) {
      const reason = c.closeReason ?? 'closed by us';
      if (force) c.destroy(reason);
      else c.end(reason, 2000);
    }
    return this.closed;
  }

  /** Ends the connection at once with a TCP reset (RST). Resolves when the session has ended. */
  reset(reason = 'reset by us'): Promise<void> {
    const c = this.connection;
    if (c && !c.socket.destroyed) c.reset(reason);
    return this.closed;
  }

  /** Stops reading (the kernel then pushes back on the server) or resumes. */
  setPaused(paused: boolean): void {
    const socket = this.connection?.socket;
    if (paused === this.paused || !socket) return;
    this.paused = paused;
    if (paused) socket.pause();
    else socket.resume();
  }
}

/** Creates a TCP client session and connects it. */
export async function connectTcp(options: TcpClientOptions, onEvent?: (e: SessionEvent) => void): Promise<TcpClient> {
  const client = new TcpClient(options);
  if (onEvent) client.on('event', onEvent);
  return client.connect();
}
