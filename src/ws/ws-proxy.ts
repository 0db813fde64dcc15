// The WebSocket relay session: each client's upgrade is repeated to the target (same path, subprotocols and headers), then every message is relayed and shown as a frame, not as bytes.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { UsageError, type SockitError } from '../errors.js';
import { buildBlockList, type AccessLists } from '../net/access.js';
import { localOf, peerOf } from '../net/address.js';
import type { ReadSettings } from '../net/conversation.js';
import { ListeningSession } from '../net/listen.js';
import type { TargetTlsOptions } from '../net/proxy.js';
import type { RelayInfo } from '../net/relay.js';
import type { RelayEndpoints } from '../net/relay-session.js';
import type { SessionEvent } from '../net/session.js';
import { describeTlsPeer } from '../net/tls-info.js';
import { connectErrorFrom } from '../system-errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './ws-server.js';
import { WsRelay, type WsRelayHost } from './ws-relay.js';
import { answerRefusal, handshakeOf, upgradeRequest } from './upgrade.js';

/** How a WebSocket relay listens, where it relays and what it shows; each client's path and query are asked of the target unchanged. */
export interface WsProxyOptions extends AccessLists, RelayEndpoints {
  /** Larger messages, either way, end that connection with 1009 (default 16 MiB). */
  maxPayloadBytes?: number;
  maxConnections?: number;
  /** Close a relayed connection silent for this long. */
  idleTimeoutMs?: number;
  /** Give up on a target whose handshake does not finish within this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Accept wss:// from clients with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Speak wss:// to the target. */
  targetTls?: TargetTlsOptions;
  name?: string;
}

// headers the relay's own handshake with the target sets itself
const OWN_HEADERS = new Set(['host', 'connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'content-length', 'transfer-encoding']);
const CHOSEN = Symbol('sockit.ws-proxy.subprotocol');
type PendingRequest = http.IncomingMessage & { [CHOSEN]?: string };

let proxyCount = 0;

/** A listening WebSocket relay. Create with {@link startWsProxy}. */
export class WsProxy extends ListeningSession<http.Server | https.Server> implements WsRelayHost {
  readonly options: Readonly<WsProxyOptions>;
  readonly readers: { readonly up: ReadSettings; readonly down: ReadSettings };
  private readonly wss: WebSocketServer;
  private readonly relays = new Map<number, WsRelay>();
  private readonly pending = new Set<WebSocket>();
  private readonly blockList: ReturnType<typeof buildBlockList>;
  private readonly maxPayloadBytes: number;
  private nextId = 1;
  private closing = false;

  constructor(options: WsProxyOptions) {
    super(options.name ?? `ws-proxy-${++proxyCount}`);
    if (!options.targetHost) throw new UsageError('the proxy needs a target host');
    if (!Number.isInteger(options.targetPort) || options.targetPort < 1 || options.targetPort > 65535) {
      throw new UsageError(`the target port must be a whole number from 1 to 65535, got '${options.targetPort}'`);
    }
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(this.maxPayloadBytes) || this.maxPayloadBytes < 1) throw new UsageError(`maxPayloadBytes must be a whole number of bytes above 0, got '${this.maxPayloadBytes}'`);
    this.options = options;
    this.readers = this.relayReaders(options, { up: { kind: 'raw' }, down: { kind: 'raw' } }, this.maxPayloadBytes, true);
    this.blockList = buildBlockList(options);
    this.wss = new WebSocketServer({
      noServer: true, clientTracking: false, maxPayload: this.maxPayloadBytes, perMessageDeflate: false, autoPong: false,
      // the client gets the subprotocol the target chose
      handleProtocols: (offered, req) => {
        const chosen = (req as PendingRequest)[CHOSEN];
        return chosen !== undefined && offered.has(chosen) ? chosen : false;
      },
    });
    this.wss.on('wsClientError', (err: Error, socket: Duplex, req: http.IncomingMessage) => this.refuse(req, socket as net.Socket, 400, err.message));
  }

  /** Where clients are relayed to, as a URL without a path. */
  get target(): string {
    return `${this.options.targetTls ? 'wss' : 'ws'}://${formatEndpoint(this.options.targetHost, this.options.targetPort)}`;
  }

  /** Binds. Rejects with a BindError naming the address (and who holds the port). */
  async listen(): Promise<this> {
    const { host, port } = this.options;
    await this.listenOn('proxy', host, port, (h) => this.bind(h, port));
    return this;
  }

  private async bind(host: string, port: number): Promise<void> {
    const t = this.options.tls;
    const server = t ? https.createServer({ key: t.key, cert: t.cert }) : http.createServer();
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const body = 'This is a WebSocket relay: connect with a WebSocket client (Upgrade: websocket).\n';
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Upgrade: 'websocket', Connection: 'Upgrade, close' });
      res.end(body);
      this.showRequest(req, req.socket, 426, 'not a WebSocket upgrade request');
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.upgrade(req, socket, head));
    await this.addServer(server, host, port);
  }

  /** A client asks to upgrade: the same upgrade is asked of the target first, and the client gets its answer. */
  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    if (this.closing) return this.refuse(req, socket, 503, 'the proxy is shutting down');
    socket.on('error', () => {});
    const address = socket.remoteAddress ?? '';
    if (this.blockList && !this.blockList.allows(address)) return this.refuse(req, socket, 403, `${address} is not allowed by --allow/--deny`);
    const max = this.options.maxConnections;
    if (max !== undefined && this.relays.size + this.pending.size >= max) return this.refuse(req, socket, 503, `already ${max} clients (--max-conns)`);
    const o = this.options;
    const url = `${this.target}${req.url ?? '/'}`;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !OWN_HEADERS.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const started = performance.now();
    const t = o.targetTls;
    const target = new WebSocket(url, offered, {
      headers, perMessageDeflate: false, autoPong: false, maxPayload: this.maxPayloadBytes, handshakeTimeout: o.connectTimeoutMs ?? 10_000,
      ...(t ? { rejectUnauthorized: t.rejectUnauthorized ?? true, ca: t.ca, servername: t.servername ?? (net.isIP(o.targetHost) ? undefined : o.targetHost) } : {}),
    });
    this.pending.add(target);
    let targetSocket: net.Socket | undefined;
    let settled = false;
    const give = (status: number, why: string, err?: SockitError) => {
      if (settled) return;
      settled = true;
      this.pending.delete(target);
      if (err) this.emitEvent({ event: 'error', code: err.code, message: `${peerOf(socket)}: ${err.message}`, hint: err.hint });
      this.refuse(req, socket, status, why);
    };
    target.once('upgrade', (res: http.IncomingMessage) => (targetSocket = res.socket as net.Socket));
    target.once('unexpected-response', (treq: http.ClientRequest, res: http.IncomingMessage) => {
      // the target's refusal is the client's answer
      give(res.statusCode ?? 502, `the target ${url} answered HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
      res.resume();
      treq.destroy();
    });
    target.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      const e = /handshake has timed out/i.test(err.message)
        ? connectErrorFrom(Object.assign(new Error('timeout'), { code: 'SOCKIT_TIMEOUT' }), o.targetHost, o.targetPort)
        : connectErrorFrom(err, o.targetHost, o.targetPort);
      give(e.code === 'SOCKIT_ERR_TIMEOUT' ? 504 : 502, `the target ${url} could not be reached: ${e.message}`, e);
    });
    target.once('open', () => {
      if (settled) return;
      settled = true;
      this.pending.delete(target);
      if (target.protocol) (req as PendingRequest)[CHOSEN] = target.protocol;
      if (this.closing || socket.destroyed) {
        target.terminate();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (client) => this.accept(req, { ws: client, socket }, { ws: target, socket: targetSocket! }, url, performance.now() - started));
    });
  }

  private accept(req: http.IncomingMessage, client: { ws: WebSocket; socket: net.Socket }, target: { ws: WebSocket; socket: net.Socket }, url: string, connectMs: number): void {
    client.socket.setNoDelay(true);
    target.socket.setNoDelay(true);
    const relay = new WsRelay(this, this.nextId++, peerOf(client.socket), client, target, url);
    this.admitPeer(this.relays, relay, { local: localOf(client.socket), handshake: handshakeOf(req, client.ws.protocol) });
    if (this.observed) {
      const tlsInfo = target.socket instanceof tls.TLSSocket ? describeTlsPeer(target.socket) : undefined;
      this.emitEvent({ event: 'target', peer: relay.peer, id: relay.id, target: url, local: localOf(target.socket), connectMs: Math.round(connectMs * 10) / 10, ...(tlsInfo ? { tls: tlsInfo } : {}) });
    }
    relay.start(this.options.idleTimeoutMs);
  }

  /** Answers a refused upgrade with an HTTP status and shows it as a request. */
  private refuse(req: http.IncomingMessage, socket: net.Socket, status: number, why: string): void {
    answerRefusal(socket, status, why);
    this.showRequest(req, socket, status, `refused: ${why}`);
  }

  private showRequest(req: http.IncomingMessage, socket: net.Socket, status: number, note: string): void {
    if (this.observed) this.emitEvent(upgradeRequest(req, socket, status, note));
  }

  /** Both ends of a relay are closed: forget it, say why, and end the session if it was the last while closing. */
  relayClosed(relay: WsRelay): void {
    const { reason, closedBy, how, closeFrame } = relay.closing();
    const { bytesIn, bytesOut } = relay.info();
    const close = { reason, bytesIn, bytesOut, ...(closeFrame ? { closeFrame } : {}), ...(closedBy ? { closedBy, how } : {}) };
    this.releasePeer(this.relays, relay, close, this.closing);
  }

  /** The relayed connections, oldest first. */
  connections(): RelayInfo[] {
    return [...this.relays.values()].map((r) => r.info());
  }

  /** Closes one connection (close frames both ways, or cut with `reset`); false if there is no such connection. */
  disconnect(id: number, reason = 'closed by the proxy', reset = false): boolean {
    const relay = this.relays.get(id);
    if (!relay) return false;
    relay.close(reason, 'fin', reset);
    return true;
  }

  /** Stops accepting, closes every connection with 1001 (going away), forcibly after `graceMs`, and resolves when all is closed. */
  async close(graceMs = 2000): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const s of this.servers) {
        s.close();
        s.closeIdleConnections();
      }
      for (const p of this.pending) p.terminate();
      this.endPeers(this.relays, graceMs, (r) => r.close('proxy shutting down'), (r) => r.close('proxy shutting down', 'fin', true));
    }
    return this.closed;
  }
}

/** Creates a WebSocket relay session and binds it. */
export async function startWsProxy(options: WsProxyOptions, onEvent?: (e: SessionEvent) => void): Promise<WsProxy> {
  const proxy = new WsProxy(options);
  if (onEvent) proxy.on('event', onEvent);
  return proxy.listen();
}
