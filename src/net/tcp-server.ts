// The TCP server session: many clients at once, lesson-style behaviours, backpressure per client.
import net from 'node:net';
import tls from 'node:tls';
import type { FrameSpec } from '../wire/framing.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/framing.js';
import { buildBlockList, type AccessLists } from './access.js';
import { localOf, peerOf } from './address.js';
import type { BehaviourOptions } from './behaviour.js';
import type { ConversationInfo } from './conversation.js';
import { ListeningSession } from './listen.js';
import type { SessionEvent, TextOptions } from './session.js';
import { adoptForSharedReads, DEFAULT_MAX_PENDING_BYTES, SocketConversation, type SocketSettings } from './socket-conversation.js';
import { ConnectionProgram } from './exec.js';

/** How a TCP server session behaves. Every field is optional but `port`. */
export interface TcpServerOptions extends AccessLists, BehaviourOptions, TextOptions {
  port: number;
  /** Omitted: every interface, IPv4 and IPv6. */
  host?: string;
  frame?: FrameSpec;
  maxFrameBytes?: number;
  maxConnections?: number;
  idleTimeoutMs?: number;
  /** A client whose unread output passes this is disconnected (default 16 MiB). */
  maxPendingBytes?: number;
  /** TLS key and certificate (PEM) to accept TLS instead of plain TCP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Run this command (by `sh -c`) for each client, like ncat -e: the client's bytes go to its
   * stdin, its stdout to the client; the program ending closes the connection. Its stderr is the
   * host's.
   */
  exec?: string;
  name?: string;
}

/** How {@link TcpServer.stream} sends. */
export interface StreamOptions {
  /** Half-close once everything went out (default false). */
  end?: boolean;
  /** Hears each chunk the system took, in bytes. */
  onWritten?: (bytes: number) => void;
}

/** What a server knows about one connected client. */
export type ClientInfo = ConversationInfo;

let serverCount = 0;

/** One accepted client. */
class ServerConnection extends SocketConversation {
  /** The client's program (`exec`), while it runs. */
  program: ConnectionProgram | undefined;
  /** Work that may still answer after the client half-closes (a program, a stream); our side ends when none is left. */
  private holds = 0;
  private peerEnded = false;

  constructor(
    private readonly server: TcpServer,
    settings: SocketSettings,
    id: number,
    socket: net.Socket,
  ) {
    super(settings, id, peerOf(socket), socket);
  }

  override read(chunk: Buffer): void {
    super.read(chunk);
    this.program?.input(chunk);
  }

  override mayBorrowReads(): boolean {
    // a program's stdin keeps what it is given until the program reads it
    return this.program === undefined && super.mayBorrowReads();
  }

  /** Keeps our side open after the client half-closes until the returned function is called. */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0 && this.peerEnded) this.finishSending();
    };
  }

  /** The client half-closed (like nc -N): the answers to what it sent still go out, then our side ends. */
  override handleEnd(): void {
    super.handleEnd();
    this.peerEnded = true;
    this.program?.endInput();
    if (this.holds === 0) this.finishSending();
  }

  private finishSending(): void {
    this.flushWrites();
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
  }

  handleClose(): void {
    this.program?.stop();
    this.server.forget(this);
  }
}

/** A listening TCP server. Create with {@link listenTcp}. */
export class TcpServer extends ListeningSession {
  readonly options: Readonly<TcpServerOptions>;
  private readonly clientsById = new Map<number, ServerConnection>();
  private nextId = 1;
  private readonly settings: SocketSettings;
  private readonly blockList: ReturnType<typeof buildBlockList>;
  private closing = false;

  constructor(options: TcpServerOptions) {
    super(options.name ?? `tcp-server-${++serverCount}`);
    this.options = options;
    this.blockList = buildBlockList(options);
    this.settings = {
      ...this.readSettings(options, options.frame ?? { kind: 'raw' }, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, () => this.clientsById.values()),
      maxPendingBytes: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
      idleTimeoutMs: options.idleTimeoutMs,
      batchWrites: true,
    };
  }

  /** Binds. Rejects with a BindError naming the address (and who holds the port). */
  async listen(): Promise<this> {
    const { host, port } = this.options;
    await this.listenOn('tcp', host, port, (h) => this.bind(h, port));
    return this;
  }

  private async bind(host: string, port: number): Promise<void> {
    const onConnection = (socket: net.Socket) => this.accept(socket);
    const server = this.options.tls
      ? tls.createServer({ key: this.options.tls.key, cert: this.options.tls.cert, allowHalfOpen: true }, onConnection)
      : net.createServer({ noDelay: true, allowHalfOpen: true, pauseOnConnect: true }, (socket) => onConnection(adoptForSharedReads(socket)));
    if (this.options.tls) {
      server.on('tlsClientError', (err, socket) => {
        // the socket is already torn down here, so its address may be gone
        const peer = socket.remoteAddress ? ` with ${peerOf(socket)}` : '';
        this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_TLS', message: `a TLS handshake${peer} failed: ${err.message}` });
      });
    }
    await this.addServer(server, host, port);
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const client = new ServerConnection(this, this.settings, this.nextId++, socket);
    this.admitPeer(this.clientsById, client, { local: localOf(socket) });
    const address = socket.remoteAddress ?? '';
    if (this.blockList && !this.blockList.allows(address)) {
      client.destroy(`refused: ${address} is not allowed by --allow/--deny`);
      return;
    }
    if (this.options.maxConnections !== undefined && this.stats.active > this.options.maxConnections) {
      client.destroy(`refused: already ${this.options.maxConnections} clients (--max-conns)`);
      return;
    }
    client.start();
    this.settings.behaviour!.welcome(client);
    if (this.options.exec !== undefined) this.runProgram(client, this.options.exec);
  }

  private runProgram(client: ServerConnection, command: string): void {
    const release = client.hold();
    client.program = new ConnectionProgram(command, client, {
      ended: (reason) => {
        client.program = undefined;
        release();
        if (!client.socket.destroyed) client.end(reason, 2000);
      },
      failed: (message) => this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_EXEC', message, peer: client.peer, id: client.id }),
    });
  }

  /** A client's socket closed: forget it, say why, and end the session if it was the last while closing. */
  forget(client: ServerConnection): void {
    const reason = client.closeReason ?? (this.closing ? 'server shutting down' : 'closed');
    this.releasePeer(this.clientsById, client, { reason, bytesIn: client.bytesIn, bytesOut: client.bytesOut, ...(client.closeHow ? { how: client.closeHow } : {}) }, this.closing);
  }

  /**
   * Sends bytes to one client (by id) or to all. Returns how many clients it was written to.
   * Bytes are sent as given: frame them first with `encodeFrame` where the protocol wants it.
   */
  send(data: Buffer, target: number | 'all' = 'all'): number {
    if (target === 'all') {
      for (const c of this.clientsById.values()) c.write(data);
      return this.clientsById.size;
    }
    const client = this.clientsById.get(target);
    if (!client) return 0;
    client.write(data);
    return 1;
  }

  /**
   * Streams `source` (a file, a program's output) to one client, reading on only as the client
   * takes it, so a client that does not read costs no memory. Resolves true once all went out
   * (and, with `end`, our side is half-closed), false when there is no such client or it left first.
   */
  async stream(id: number, source: AsyncIterable<Buffer>, options: StreamOptions = {}): Promise<boolean> {
    const client = this.clientsById.get(id);
    if (!client) return false;
    const release = client.hold();
    try {
      const complete = await client.pump(source, options.onWritten);
      client.flushWrites();
      if (complete && options.end && !client.socket.writableEnded) client.socket.end();
      return complete;
    } finally {
      release();
    }
  }

  /** True while a client has bytes the system has not taken yet (it reads slower than we send). */
  busy(id: number): boolean {
    const client = this.clientsById.get(id);
    if (client === undefined) return false;
    client.flushWrites();
    return client.socket.writableLength > 0;
  }

  /** Disconnects one client; returns false if there is no such client. */
  disconnect(id: number, reason = 'closed by server'): boolean {
    const client = this.clientsById.get(id);
    if (!client) return false;
    client.end(reason, 2000);
    return true;
  }

  /** Ends one client's connection at once with a TCP reset (RST); returns false if there is no such client. */
  reset(id: number, reason = 'reset by server'): boolean {
    const client = this.clientsById.get(id);
    if (!client) return false;
    client.reset(reason);
    return true;
  }

  /** The connected clients, oldest first. */
  clients(): ClientInfo[] {
    return [...this.clientsById.values()].map((c) => c.info());
  }

  /**
   * Stops accepting, lets queued output flush, closes every client (forcibly after `graceMs`),
   * emits `summary` and resolves when all is closed.
   */
  async close(graceMs = 2000): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const s of this.servers) s.close();
      this.endPeers(this.clientsById, graceMs, (c) => c.end(c.closeReason ?? 'server shutting down'), (c) => c.destroy(c.closeReason ?? 'server shutting down'));
    }
    return this.closed;
  }
}

/** Creates a TCP server session and binds it. */
export async function listenTcp(options: TcpServerOptions, onEvent?: (e: SessionEvent) => void): Promise<TcpServer> {
  const server = new TcpServer(options);
  if (onEvent) server.on('event', onEvent);
  return server.listen();
}
