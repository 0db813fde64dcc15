// The TCP server session: many clients at once, lesson-style behaviours, backpressure per client.
import net from 'node:net';
import tls from 'node:tls';
import { FrameTooLargeError, type SockitError } from '../errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { createDecoder, type StreamDecoder } from '../wire/codec.js';
import { Session, type SessionEvent } from './session.js';
import { createFrameDecoder, encodeFrame, DEFAULT_MAX_FRAME_BYTES, type FrameDecoder, type FrameSpec } from '../wire/framing.js';
import { compileTemplate, type Template } from '../wire/template.js';
import { bindFailure, listenServer } from './listen.js';
import { peerOf } from './address.js';
import { buildBlockList, type AccessLists } from './access.js';

/** How a TCP server session behaves. Every field is optional but `port`. */
export interface TcpServerOptions extends AccessLists {
  port: number;
  /** Omitted: every interface, IPv4 and IPv6. */
  host?: string;
  encoding?: string;
  frame?: FrameSpec;
  maxFrameBytes?: number;
  /** Sent to each new client (a template: `{peer}` and escapes). */
  welcome?: string;
  /** Answer to each message (a template: `{data}`, `{peer}`, `{n}`). */
  reply?: string;
  /** Answer each message with its exact bytes. */
  echo?: boolean;
  /** Close a connection after the first reply. */
  closeAfterReply?: boolean;
  /** Close a connection whose message is exactly this word. */
  quit?: string;
  /** Relay each client's messages to every other client. */
  chat?: boolean;
  maxConnections?: number;
  idleTimeoutMs?: number;
  /** A client whose unread output passes this is disconnected (default 16 MiB). */
  maxPendingBytes?: number;
  /** Decode messages into `text` (default true); off saves work when only hex is shown. */
  decode?: boolean;
  /** TLS key and certificate (PEM) to accept TLS instead of plain TCP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  name?: string;
}

/** What a server knows about one connected client. */
export interface ClientInfo {
  id: number;
  peer: string;
  since: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

interface Client extends ClientInfo {
  server: TcpServer;
  socket: net.Socket;
  frames: FrameDecoder;
  /** Created on the first message that is decoded. */
  text: StreamDecoder | undefined;
  closeReason: string | undefined;
  paused: boolean;
}

const DEFAULT_MAX_PENDING = 16 * 1024 * 1024;
let serverCount = 0;

const CLIENT = Symbol('sockit.client');
type ClientSocket = net.Socket & { [CLIENT]: Client };

/** A listening TCP server. Create with {@link listenTcp}. */
export class TcpServer extends Session {
  readonly options: Readonly<TcpServerOptions>;
  /** Resolves once the server and every client are closed. */
  readonly closed: Promise<void>;
  private readonly servers: net.Server[] = [];
  private readonly clientsById = new Map<number, Client>();
  private nextId = 1;
  private readonly frame: FrameSpec;
  private readonly replyTemplate: Template | undefined;
  private readonly welcomeTemplate: Template | undefined;
  private readonly blockList: ReturnType<typeof buildBlockList>;
  /** `--reply` with `{data}` or `--quit` read the text of every message. */
  private readonly textForLogic: boolean;
  /** Observers get `text` in data events (`decode`, default true). */
  private readonly decodeShown: boolean;
  private readonly encoding: string;
  private readonly raw: boolean;
  private readonly maxPending: number;
  private closing = false;
  private resolveClosed!: () => void;
  private boundPort = 0;

  constructor(options: TcpServerOptions) {
    super(options.name ?? `tcp-server-${++serverCount}`);
    this.options = options;
    this.frame = options.frame ?? { kind: 'raw' };
    const encoding = options.encoding ?? 'utf8';
    this.replyTemplate = options.reply !== undefined ? compileTemplate(options.reply, encoding, '--reply') : undefined;
    this.welcomeTemplate = options.welcome !== undefined ? compileTemplate(options.welcome, encoding, '--welcome') : undefined;
    this.blockList = buildBlockList(options);
    this.textForLogic = (this.replyTemplate !== undefined && !this.replyTemplate.isConstant) || options.quit !== undefined;
    this.decodeShown = options.decode !== false;
    this.encoding = encoding;
    this.raw = this.frame.kind === 'raw';
    this.maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Binds. Rejects with a BindError naming the address (and who holds the port). */
  async listen(): Promise<this> {
    const { host, port } = this.options;
    const hosts = host === undefined ? ['::'] : [host];
    try {
      await this.bind(hosts[0]!, port);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // no IPv6 on this machine: fall back to IPv4 only
      if (host === undefined && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) {
        try {
          await this.bind('0.0.0.0', port);
        } catch (e2) {
          throw await this.bindError(e2, '0.0.0.0', port);
        }
      } else {
        throw await this.bindError(err, host ?? '0.0.0.0', port);
      }
    }
    const addr = this.servers[0]!.address() as net.AddressInfo;
    this.boundPort = addr.port;
    const addresses = host === undefined && addr.address === '::' ? ['0.0.0.0', '::'] : [addr.address];
    this.emitEvent({ event: 'listening', ts: Date.now(), session: this.name, protocol: 'tcp', address: addr.address, port: addr.port, addresses });
    return this;
  }

  private bindError(err: unknown, host: string, port: number): Promise<SockitError> {
    return bindFailure(err, host, port, { probeHost: this.options.host });
  }

  private async bind(host: string, port: number): Promise<void> {
    const onConnection = (socket: net.Socket) => this.accept(socket);
    const server = this.options.tls
      ? tls.createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, onConnection)
      : net.createServer({ noDelay: true }, onConnection);
    if (this.options.tls) {
      server.on('tlsClientError', (err, socket) => {
        // the socket is already torn down here, so its address may be gone
        const peer = socket.remoteAddress ? ` with ${peerOf(socket)}` : '';
        this.emitEvent({ event: 'error', ts: Date.now(), session: this.name, code: 'SOCKIT_ERR_TLS', message: `a TLS handshake${peer} failed: ${err.message}` });
      });
    }
    await listenServer(server, { host, port, ipv6Only: false, backlog: 4096 }, (e) =>
      this.emitEvent({ event: 'error', ts: Date.now(), session: this.name, code: 'SOCKIT_ERR_NETWORK', message: e.message }),
    );
    this.servers.push(server);
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const id = this.nextId++;
    const peer = peerOf(socket);
    const client: Client = {
      id, peer, since: Date.now(), bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0,
      server: this, socket,
      frames: createFrameDecoder(this.frame, this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
      text: undefined,
      closeReason: undefined,
      paused: false,
    };
    (socket as ClientSocket)[CLIENT] = client;
    this.stats.connections++;
    this.stats.active++;
    this.clientsById.set(id, client);
    if (this.observed) {
      this.emitEvent({ event: 'connect', ts: Date.now(), session: this.name, peer, id, local: formatEndpoint(socket.localAddress ?? '', socket.localPort ?? 0) });
    }
    socket.on('error', TcpServer.onSocketError);
    socket.on('close', TcpServer.onSocketClose);
    socket.on('end', TcpServer.onSocketEnd);

    const address = socket.remoteAddress ?? '';
    if (this.blockList && !this.blockList.allows(address)) {
      client.closeReason = `refused: ${address} is not allowed by --allow/--deny`;
      socket.destroy();
      return;
    }
    if (this.options.maxConnections !== undefined && this.stats.active > this.options.maxConnections) {
      client.closeReason = `refused: already ${this.options.maxConnections} clients (--max-conns)`;
      socket.destroy();
      return;
    }
    if (this.options.idleTimeoutMs) {
      socket.setTimeout(this.options.idleTimeoutMs);
      socket.on('timeout', TcpServer.onSocketTimeout);
    }
    socket.on('data', TcpServer.onSocketData);
    if (this.welcomeTemplate) this.write(client, this.welcomeTemplate.render({ data: '', peer, n: 0 }));
  }

  // Listeners shared by every socket (the client rides on the socket), not closures per
  // connection: an idle client then costs its socket and one small record.
  private static onSocketData(this: ClientSocket, chunk: Buffer): void {
    const client = this[CLIENT];
    client.server.onData(client, chunk);
  }

  private static onSocketError(this: ClientSocket, err: NodeJS.ErrnoException): void {
    this[CLIENT].closeReason ??= err.code === 'ECONNRESET' ? 'reset by peer' : err.code === 'EPIPE' ? 'peer went away' : `error: ${err.message}`;
  }

  private static onSocketClose(this: ClientSocket): void {
    const client = this[CLIENT];
    client.server.onClose(client);
  }

  private static onSocketEnd(this: ClientSocket): void {
    const client = this[CLIENT];
    const server = client.server;
    client.closeReason ??= 'closed by peer';
    // an unterminated last line is still a message; a partial length-prefixed frame is not
    const rest = client.frames.flush();
    if (rest && (server.frame.kind === 'line' || server.frame.kind === 'delimiter')) server.onMessage(client, rest);
  }

  private static onSocketTimeout(this: ClientSocket): void {
    const client = this[CLIENT];
    client.closeReason = `idle for ${client.server.options.idleTimeoutMs! / 1000} s`;
    this.destroy();
  }

  private onData(client: Client, chunk: Buffer): void {
    client.bytesIn += chunk.length;
    this.stats.bytesIn += chunk.length;
    // raw framing: one read is one message; no decoder call, no array per chunk
    if (this.raw) {
      this.onMessage(client, chunk);
      return;
    }
    let messages: Buffer[];
    try {
      messages = client.frames.push(chunk);
    } catch (err) {
      if (err instanceof FrameTooLargeError) {
        this.emitEvent({ event: 'error', ts: Date.now(), session: this.name, code: err.code, message: `${client.peer}: ${err.message}`, hint: err.hint, peer: client.peer, id: client.id });
        client.closeReason = 'frame too large';
        client.socket.destroy();
        return;
      }
      throw err;
    }
    for (const message of messages) {
      if (client.socket.destroyed) return;
      this.onMessage(client, message);
    }
  }

  private onMessage(client: Client, message: Buffer): void {
    const n = ++client.messagesIn;
    this.stats.messagesIn++;
    const shown = this.messagesObserved;
    let text: string | undefined;
    // decode only when the text is shown or --reply/--quit read it
    if (this.textForLogic || (shown && this.decodeShown)) text = (client.text ??= createDecoder(this.encoding)).write(message);
    else if (client.text) client.text = undefined; // decoding again later must not glue on bytes held from before
    if (shown) {
      this.emitEvent({ event: 'data', ts: Date.now(), session: this.name, peer: client.peer, id: client.id, n, bytes: message.length, payload: message, text });
    }
    const o = this.options;
    if (o.quit !== undefined && text !== undefined && text.replace(/\r?\n$/, '') === o.quit) {
      client.closeReason = `quit word '${o.quit}'`;
      client.socket.end();
      return;
    }
    let replied = false;
    // the message as it goes back out: echo and chat share one framed copy
    const relayed = o.echo || o.chat ? (this.raw ? message : encodeFrame(this.frame, message, true)) : message;
    if (o.echo) {
      this.write(client, relayed);
      replied = true;
    }
    if (this.replyTemplate) {
      this.write(client, encodeFrame(this.frame, this.replyTemplate.render({ data: text ?? '', peer: client.peer, n })));
      replied = true;
    }
    if (o.chat) {
      for (const other of this.clientsById.values()) if (other !== client) this.write(other, relayed);
    }
    if (replied && o.closeAfterReply) {
      client.closeReason = 'closed after reply (--close)';
      client.socket.end();
    }
  }

  /** Writes to one client, respecting backpressure: an echo pauses its reader; a reader that never drains is cut. */
  private write(client: Client, bytes: Buffer): void {
    const socket = client.socket;
    if (socket.destroyed || !socket.writable) return;
    const limit = this.maxPending;
    if (socket.writableLength + bytes.length > limit) {
      client.closeReason = `slow reader: more than ${limit} bytes were waiting to be read`;
      this.emitEvent({ event: 'error', ts: Date.now(), session: this.name, code: 'SOCKIT_ERR_SLOW_READER', message: `${client.peer} does not read what it is sent; disconnected`, peer: client.peer, id: client.id });
      socket.destroy();
      return;
    }
    client.bytesOut += bytes.length;
    client.messagesOut++;
    this.stats.bytesOut += bytes.length;
    this.stats.messagesOut++;
    if (this.messagesObserved) this.emitEvent({ event: 'send', ts: Date.now(), session: this.name, peer: client.peer, id: client.id, bytes: bytes.length, payload: bytes });
    if (!socket.write(bytes) && !client.paused) {
      // stop reading from this client until it takes what it is sent (echo floods stay bounded)
      client.paused = true;
      socket.pause();
      socket.once('drain', () => {
        client.paused = false;
        if (!socket.destroyed) socket.resume();
      });
    }
  }

  private onClose(client: Client): void {
    if (!this.clientsById.delete(client.id)) return;
    this.stats.active--;
    const rest = client.text?.end();
    void rest;
    this.emitEvent({
      event: 'close', ts: Date.now(), session: this.name, peer: client.peer, id: client.id,
      reason: client.closeReason ?? (this.closing ? 'server shutting down' : 'closed'), bytesIn: client.bytesIn, bytesOut: client.bytesOut,
    });
    if (this.closing && this.clientsById.size === 0) this.finish();
  }

  /**
   * Sends bytes to one client (by id) or to all. Returns how many clients it was written to.
   * Bytes are sent as given: frame them first with {@link encodeFrame} where the protocol wants it.
   */
  send(data: Buffer, target: number | 'all' = 'all'): number {
    if (target === 'all') {
      let count = 0;
      for (const c of this.clientsById.values()) {
        this.write(c, data);
        count++;
      }
      return count;
    }
    const client = this.clientsById.get(target);
    if (!client) return 0;
    this.write(client, data);
    return 1;
  }

  /** Disconnects one client; returns false if there is no such client. */
  disconnect(id: number, reason = 'closed by server'): boolean {
    const client = this.clientsById.get(id);
    if (!client) return false;
    client.closeReason = reason;
    client.socket.end();
    setTimeout(() => client.socket.destroy(), 2000).unref();
    return true;
  }

  /** The connected clients, oldest first. */
  clients(): ClientInfo[] {
    return [...this.clientsById.values()].map(({ id, peer, since, bytesIn, bytesOut, messagesIn, messagesOut }) => ({ id, peer, since, bytesIn, bytesOut, messagesIn, messagesOut }));
  }

  /**
   * Stops accepting, lets queued output flush, closes every client (forcibly after `graceMs`),
   * emits `summary` and resolves when all is closed.
   */
  async close(graceMs = 2000): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const s of this.servers) s.close();
      if (this.clientsById.size === 0) this.finish();
      for (const c of this.clientsById.values()) {
        c.closeReason ??= 'server shutting down';
        c.socket.end();
      }
      const timer = setTimeout(() => {
        for (const c of this.clientsById.values()) c.socket.destroy();
      }, graceMs);
      timer.unref();
      void this.closed.then(() => clearTimeout(timer));
    }
    return this.closed;
  }

  private finished = false;
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.emitEvent(this.summary());
    this.resolveClosed();
  }
}

/** Creates a TCP server session and binds it. */
export async function listenTcp(options: TcpServerOptions, onEvent?: (e: SessionEvent) => void): Promise<TcpServer> {
  const server = new TcpServer(options);
  if (onEvent) server.on('event', onEvent);
  return server.listen();
}
