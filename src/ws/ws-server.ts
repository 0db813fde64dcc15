// The WebSocket server session: the TCP server's behaviours over WebSocket messages, with the handshake checked and shown.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { UsageError } from '../errors.js';
import { buildBlockList, type AccessLists } from '../net/access.js';
import { localOf, peerOf } from '../net/address.js';
import type { BehaviourOptions } from '../net/behaviour.js';
import type { ConversationInfo } from '../net/conversation.js';
import type { WsHandshake } from '../net/events.js';
import { ListeningSession } from '../net/listen.js';
import type { SessionEvent, TextOptions } from '../net/session.js';
import { DEFAULT_MAX_PENDING_BYTES } from '../net/socket-conversation.js';
import { WsConversation, type WsSettings } from './ws-conversation.js';
import { isSendableCloseCode } from './close-codes.js';
import { answerRefusal, handshakeOf, upgradeRequest } from './upgrade.js';

/** The largest message accepted unless told otherwise: 16 MiB, the TCP sessions' frame limit. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** How a WebSocket server session behaves. Every field is optional but `port`. */
export interface WsServerOptions extends AccessLists, BehaviourOptions, TextOptions {
  port: number;
  /** Omitted: every interface, IPv4 and IPv6. */
  host?: string;
  /** Only this path (and any query) is upgraded; others get 404. Omitted: any path. */
  path?: string;
  /** Subprotocols this server speaks, preferred first. Omitted: the client's first offer is taken. */
  subprotocols?: string[];
  /** Origins allowed to connect (`https://example.com`); a request without one of them gets 403. Omitted: any. */
  origins?: string[];
  /** Larger messages are refused with close code 1009 (default 16 MiB). */
  maxPayloadBytes?: number;
  maxConnections?: number;
  idleTimeoutMs?: number;
  /** A client whose unsent output passes this is disconnected (default 16 MiB). */
  maxPendingBytes?: number;
  /** Send binary frames where a frame does not answer a message (default: text when the bytes are UTF-8). */
  binary?: boolean;
  /** TLS key and certificate (PEM): wss:// instead of ws://. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  name?: string;
}

/** What a WebSocket server knows about one connected client. */
export interface WsClientInfo extends ConversationInfo {
  path: string;
  subprotocol?: string;
}

let serverCount = 0;

/** One accepted WebSocket client. */
class WsServerConnection extends WsConversation {
  constructor(
    private readonly server: WsServer,
    settings: WsSettings,
    id: number,
    ws: WebSocket,
    socket: net.Socket,
    readonly handshake: WsHandshake,
  ) {
    super(settings, id, peerOf(socket), ws, socket);
  }

  protected closed(): void {
    this.server.forget(this);
  }
}

/** `https://Example.com/` as `https://example.com`, for comparing origins. */
function normaliseOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** A listening WebSocket server. Create with {@link listenWs}. */
export class WsServer extends ListeningSession<http.Server | https.Server> {
  readonly options: Readonly<WsServerOptions>;
  private readonly wss: WebSocketServer;
  private readonly clientsById = new Map<number, WsServerConnection>();
  private nextId = 1;
  private readonly settings: WsSettings;
  private readonly blockList: ReturnType<typeof buildBlockList>;
  private readonly origins: Set<string> | undefined;
  private closing = false;

  constructor(options: WsServerOptions) {
    super(options.name ?? `ws-server-${++serverCount}`);
    this.options = options;
    if (options.path !== undefined && !options.path.startsWith('/')) throw new UsageError(`path must begin with /, got '${options.path}'`);
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < 1) throw new UsageError(`maxPayloadBytes must be a whole number of bytes above 0, got '${maxPayloadBytes}'`);
    this.blockList = buildBlockList(options);
    this.origins = options.origins?.length ? new Set(options.origins.map(normaliseOrigin)) : undefined;
    this.settings = {
      ...this.readSettings(options, { kind: 'raw' }, maxPayloadBytes, () => this.clientsById.values()),
      maxPayloadBytes,
      wholeMessages: true,
      maxPendingBytes: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
      idleTimeoutMs: options.idleTimeoutMs,
      binaryOut: Boolean(options.binary),
      relay: { message: undefined, binary: false },
    };
    const wanted = options.subprotocols;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: maxPayloadBytes,
      perMessageDeflate: false,
      handleProtocols: wanted?.length ? (offered) => wanted.find((p) => offered.has(p)) ?? false : undefined,
    });
    // a malformed upgrade (no key, wrong version): shown like any refused request
    this.wss.on('wsClientError', (err: Error, socket: Duplex, req: http.IncomingMessage) => this.refuse(req, socket as net.Socket, 400, err.message));
  }

  /** Binds. Rejects with a BindError naming the address (and who holds the port). */
  async listen(): Promise<this> {
    const { host, port } = this.options;
    await this.listenOn(this.options.tls ? 'wss' : 'ws', host, port, (h) => this.bind(h, port));
    return this;
  }

  private async bind(host: string, port: number): Promise<void> {
    const t = this.options.tls;
    const server = t ? https.createServer({ key: t.key, cert: t.cert }) : http.createServer();
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.plainRequest(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.upgrade(req, socket, head));
    if (t) {
      server.on('tlsClientError', (err: Error, socket: net.Socket) => {
        const peer = socket.remoteAddress ? ` with ${peerOf(socket)}` : '';
        this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_TLS', message: `a TLS handshake${peer} failed: ${err.message}` });
      });
    }
    await this.addServer(server, host, port);
  }

  /** A request that did not ask to upgrade: say what this is, with 426 Upgrade Required. */
  private plainRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const body = 'This is a WebSocket server: connect with a WebSocket client (Upgrade: websocket).\n';
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Upgrade: 'websocket', Connection: 'Upgrade, close' });
    res.end(body);
    this.showRequest(req, req.socket, 426, 'not a WebSocket upgrade request');
  }

  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    if (this.closing) return this.refuse(req, socket, 503, 'the server is shutting down');
    const address = socket.remoteAddress ?? '';
    if (this.blockList && !this.blockList.allows(address)) return this.refuse(req, socket, 403, `${address} is not allowed by --allow/--deny`);
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    if (this.options.path !== undefined && path !== this.options.path) return this.refuse(req, socket, 404, `no WebSocket at ${path} (this server serves ${this.options.path})`);
    const origin = req.headers.origin;
    if (this.origins && !(origin !== undefined && this.origins.has(normaliseOrigin(origin)))) {
      return this.refuse(req, socket, 403, origin === undefined ? 'the request has no Origin, and only listed origins may connect' : `origin ${origin} is not allowed`);
    }
    const max = this.options.maxConnections;
    if (max !== undefined && this.stats.active >= max) return this.refuse(req, socket, 503, `already ${max} clients (--max-conns)`);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, socket));
  }

  /** Answers a refused upgrade with an HTTP status and shows it as a request. */
  private refuse(req: http.IncomingMessage, socket: net.Socket, status: number, why: string): void {
    answerRefusal(socket, status, why);
    this.showRequest(req, socket, status, `refused: ${why}`);
  }

  private showRequest(req: http.IncomingMessage, socket: net.Socket, status: number, note: string): void {
    if (this.observed) this.emitEvent(upgradeRequest(req, socket, status, note));
  }

  private accept(ws: WebSocket, req: http.IncomingMessage, socket: net.Socket): void {
    const handshake = handshakeOf(req, ws.protocol);
    socket.setNoDelay(true);
    const client = new WsServerConnection(this, this.settings, this.nextId++, ws, socket, handshake);
    this.admitPeer(this.clientsById, client, { local: localOf(socket), handshake });
    client.start();
    this.settings.behaviour!.welcome(client);
  }

  /** A client's connection closed: forget it, say why, and end the session if it was the last while closing. */
  forget(client: WsServerConnection): void {
    const reason = client.closeReason ?? (this.closing ? 'server shutting down' : 'closed');
    const closeFrame = client.closeFrame ? { closeFrame: client.closeFrame } : {};
    this.releasePeer(this.clientsById, client, { reason, bytesIn: client.bytesIn, bytesOut: client.bytesOut, ...closeFrame }, this.closing);
  }

  /**
   * Sends one message to one client (by id) or to all; returns how many it was sent to.
   * `binary` chooses the frame type; omitted, text when the bytes are UTF-8 and the session does not send binary.
   */
  send(data: Buffer, target: number | 'all' = 'all', binary?: boolean): number {
    const write = (c: WsServerConnection) => (binary === undefined ? c.write(data) : c.sendFrame(data, binary));
    if (target === 'all') {
      for (const c of this.clientsById.values()) write(c);
      return this.clientsById.size;
    }
    const client = this.clientsById.get(target);
    if (!client) return 0;
    write(client);
    return 1;
  }

  /** Pings one client or all; their pongs are shown with the round trip. Returns how many were pinged. */
  ping(target: number | 'all' = 'all'): number {
    const targets = target === 'all' ? [...this.clientsById.values()] : [this.clientsById.get(target)].filter((c) => c !== undefined);
    for (const c of targets) c.ping();
    return targets.length;
  }

  /** Closes one client with a close code (1000, or 3000–4999) and reason; returns false if there is no such client. */
  disconnect(id: number, reason = 'closed by server', code = 1000): boolean {
    if (!isSendableCloseCode(code)) throw new UsageError(`a close code must be 1000 or from 3000 to 4999, got '${code}'`);
    const client = this.clientsById.get(id);
    if (!client) return false;
    client.end(reason, code, reason.slice(0, 120));
    setTimeout(() => client.ws.terminate(), 2000).unref();
    return true;
  }

  /** The connected clients, oldest first. */
  clients(): WsClientInfo[] {
    return [...this.clientsById.values()].map((c) => ({ ...c.info(), path: c.handshake.path, ...(c.handshake.subprotocol ? { subprotocol: c.handshake.subprotocol } : {}) }));
  }

  /**
   * Stops accepting, closes every client with 1001 (going away), forcibly after `graceMs`,
   * emits `summary` and resolves when all is closed.
   */
  async close(graceMs = 2000): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.settings.behaviour?.close();
      for (const s of this.servers) {
        s.close();
        s.closeIdleConnections();
      }
      this.endPeers(this.clientsById, graceMs, (c) => c.end('server shutting down', 1001, 'server shutting down'), (c) => c.ws.terminate());
    }
    return this.closed;
  }
}

/** Creates a WebSocket server session and binds it. */
export async function listenWs(options: WsServerOptions, onEvent?: (e: SessionEvent) => void): Promise<WsServer> {
  const server = new WsServer(options);
  if (onEvent) server.on('event', onEvent);
  return server.listen();
}
