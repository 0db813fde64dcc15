// The WebSocket client session: handshake with headers, subprotocols, auth and proxy; messages, pings, and reconnecting with backoff.
import { isUtf8 } from 'node:buffer';
import type http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket, type ClientOptions } from 'ws';
import { ConnectError, SockitError, UsageError } from '../errors.js';
import { localOf, peerOf } from '../net/address.js';
import type { BehaviourOptions } from '../net/behaviour.js';
import type { WsHandshake } from '../net/events.js';
import { Session, type SessionEvent, type TextOptions } from '../net/session.js';
import { DEFAULT_MAX_PENDING_BYTES } from '../net/socket-conversation.js';
import { connectErrorFrom } from '../system-errors.js';
import { basicAuthorization, parseWsUrl, type WsTarget } from '../wire/ws-url.js';
import { isSendableCloseCode } from './close-codes.js';
import { Backoff, type ReconnectOptions } from '../net/backoff.js';

import { openTunnel, parseProxyUrl, type HttpProxy } from './http-connect.js';
import { WsConversation, type WsSettings } from './ws-conversation.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './ws-server.js';

/** How to reach a WebSocket server and what to do with its messages. */
export interface WsClientOptions extends Omit<BehaviourOptions, 'chat'>, TextOptions {
  /** `ws://host:port/path` or `wss://…`. */
  url: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Subprotocols to offer, preferred first. */
  subprotocols?: string[];
  /** The Origin header to send, as a browser would. */
  origin?: string;
  /** `user:password` for HTTP Basic authentication. */
  auth?: string;
  /** wss://: a CA to trust, or `rejectUnauthorized: false` to accept any certificate. */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** An HTTP proxy to tunnel through with CONNECT: `http://[user:pass@]host:port`. */
  proxy?: string;
  /** Send a ping this often; the pongs show the round trip. */
  pingIntervalMs?: number;
  /** Connect again when the connection ends or cannot be made (true: default pauses). */
  reconnect?: boolean | ReconnectOptions;
  /** The TCP connect and the opening handshake together must take no longer (default 10 s). */
  connectTimeoutMs?: number;
  /** Larger messages are refused with close code 1009 (default 16 MiB). */
  maxPayloadBytes?: number;
  /** Send binary frames by default (else text when the bytes are UTF-8). */
  binary?: boolean;
  idleTimeoutMs?: number;
  name?: string;
}

/** How one frame is sent. */
export interface WsSendOptions {
  /** Binary frame; omitted, the session's default (text when the bytes are UTF-8). */
  binary?: boolean;
  /** False: a fragment that more of the same message follows (send the rest with `fin` true). */
  fin?: boolean;
}

let clientCount = 0;

/** The connection of a client session (one at a time; numbered from 1 across reconnections). */
class WsClientConnection extends WsConversation {
  constructor(
    private readonly client: WsClient,
    settings: WsSettings,
    id: number,
    ws: WebSocket,
    socket: net.Socket,
  ) {
    super(settings, id, peerOf(socket), ws, socket);
  }

  protected closed(): void {
    this.client.connectionClosed(this);
  }
}

/** A WebSocket client. Create with {@link connectWs}. */
export class WsClient extends Session {
  readonly options: Readonly<WsClientOptions>;
  /** The server's address, checked. */
  readonly target: WsTarget;
  private readonly proxy: HttpProxy | undefined;
  private readonly headers: Record<string, string> | undefined;
  private readonly settings: WsSettings;
  private readonly reconnect: Backoff | undefined;
  private connection: WsClientConnection | undefined;
  private nextId = 1;
  private closing = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private pending: WebSocket | undefined;
  private firstOpen: { resolve: () => void; reject: (err: unknown) => void } | undefined;

  constructor(options: WsClientOptions) {
    super(options.name ?? `ws-client-${++clientCount}`);
    this.options = options;
    this.target = parseWsUrl(options.url, 'url');
    this.proxy = options.proxy ? parseProxyUrl(options.proxy, 'proxy') : undefined;
    this.headers = options.auth === undefined ? options.headers : { authorization: basicAuthorization(options.auth, 'auth'), ...options.headers };
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < 1) throw new UsageError(`maxPayloadBytes must be a whole number of bytes above 0, got '${maxPayloadBytes}'`);
    this.reconnect = options.reconnect ? new Backoff(options.reconnect) : undefined;
    this.settings = {
      ...this.readSettings(options, { kind: 'raw' }, maxPayloadBytes),
      maxPayloadBytes,
      wholeMessages: true,
      maxPendingBytes: DEFAULT_MAX_PENDING_BYTES,
      idleTimeoutMs: options.idleTimeoutMs,
      binaryOut: Boolean(options.binary),
      relay: { message: undefined, binary: false },
    };
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.connection !== undefined && this.connection.ws.readyState === 1;
  }

  /** The open connection's peer and local addresses, if one is open. */
  get endpoints(): { peer: string; local: string } | undefined {
    const c = this.connection;
    return c ? { peer: c.peer, local: localOf(c.socket) } : undefined;
  }

  /**
   * Connects. Resolves once the handshake is done; rejects with a ConnectError sentence (the
   * address, or the HTTP status that refused the upgrade). With `reconnect`, failures are
   * retried (shown as `retry` events) until one succeeds or the attempts run out.
   */
  connect(): Promise<this> {
    return new Promise<void>((resolve, reject) => {
      this.firstOpen = { resolve, reject };
      void this.attempt();
    }).then(() => this);
  }

  private async attempt(): Promise<void> {
    if (this.closing) return;
    try {
      await this.open();
      this.reconnect?.succeeded();
    } catch (err) {
      this.pending = undefined;
      if (this.closing) return;
      if (this.reconnect?.canRetry && (this.firstOpen === undefined || this.reconnect.retriesFirst)) {
        this.scheduleRetry((err as Error).message);
        return;
      }
      if (this.firstOpen) {
        this.firstOpen.reject(err);
        this.firstOpen = undefined;
      } else {
        const e = err instanceof SockitError ? err : new SockitError('SOCKIT_ERR_NETWORK', String((err as Error).message));
        this.emitEvent({ event: 'error', code: e.code, message: `gave up reconnecting: ${e.message}`, hint: e.hint });
      }
      this.finish();
    }
  }

  private scheduleRetry(reason: string): void {
    this.reconnect!.schedule(reason, (e) => this.emitEvent(e), () => void this.attempt());
  }

  /**
   * One connection attempt: TCP (through the proxy, if any), TLS, the opening handshake. The
   * connection is taken over in the `open` event itself: a message that came with the
   * handshake's response is read in the same tick, before any promise could settle.
   */
  private async open(): Promise<void> {
    const o = this.options;
    const t = this.target;
    const timeoutMs = o.connectTimeoutMs ?? 10_000;
    const tunnel = this.proxy ? await openTunnel(this.proxy, t.host, t.port, timeoutMs) : undefined;
    if (this.closing) {
      tunnel?.destroy();
      throw new ConnectError('SOCKIT_ERR_NETWORK', 'stopped before connecting');
    }
    let socket: net.Socket | undefined;
    const createConnection = (opts: net.NetConnectOpts & tls.ConnectionOptions): net.Socket => {
      if (t.secure) {
        socket = tls.connect({
          ...opts, path: undefined, socket: tunnel,
          servername: o.tls?.servername ?? (net.isIP(t.host) ? undefined : t.host),
          ca: o.tls?.ca, rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
        } as tls.ConnectionOptions);
      } else {
        socket = tunnel ?? net.connect({ ...(opts as net.TcpNetConnectOpts), path: undefined } as net.TcpNetConnectOpts);
      }
      return socket;
    };
    const options: ClientOptions = {
      headers: this.headers,
      origin: o.origin,
      maxPayload: this.settings.maxPayloadBytes,
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
      createConnection: createConnection as ClientOptions['createConnection'],
    };
    const ws = new WebSocket(t.url, o.subprotocols ?? [], options);
    this.pending = ws;
    return new Promise((resolve, reject) => {
      let response: http.IncomingMessage | undefined;
      let refused: SockitError | undefined;
      ws.once('upgrade', (res) => (response = res));
      ws.once('unexpected-response', (req, res) => {
        // read a little of why, then let go of the request
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => {
          if (body.length < 200) body += s;
        });
        const done = () => {
          const why = body.trim().replace(/\s+/g, ' ').slice(0, 200);
          refused = new ConnectError('SOCKIT_ERR_HANDSHAKE', `the server at ${t.url} refused the WebSocket upgrade: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd() + (why ? ` (${why})` : ''), {
            hint: res.statusCode === 401 ? 'the server wants credentials: --auth user:password or --header' : res.statusCode === 404 ? 'check the path in the address' : undefined,
          });
          req.destroy();
          reject(refused);
        };
        res.once('end', done);
        res.once('error', done);
        setTimeout(done, 1000).unref();
      });
      ws.once('open', () => {
        ws.removeAllListeners('error');
        this.attach(ws, socket!, response!);
        resolve();
      });
      ws.once('error', (err: NodeJS.ErrnoException) => {
        if (refused) return;
        if (/handshake has timed out/i.test(err.message)) {
          reject(new ConnectError('SOCKIT_ERR_TIMEOUT', `the WebSocket handshake with ${t.url} took longer than ${timeoutMs} ms`));
        } else if (err.code) {
          reject(connectErrorFrom(err, t.host, t.port));
        } else {
          reject(new ConnectError('SOCKIT_ERR_HANDSHAKE', `the WebSocket handshake with ${t.url} failed: ${err.message}`, { cause: err }));
        }
      });
    });
  }

  private attach(ws: WebSocket, socket: net.Socket, response: http.IncomingMessage): void {
    this.pending = undefined;
    socket.setNoDelay(true);
    const connection = new WsClientConnection(this, this.settings, this.nextId++, ws, socket);
    this.connection = connection;
    this.stats.connections++;
    this.stats.active = 1;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(response.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const handshake: WsHandshake = { path: this.target.path, headers };
    if (ws.protocol) handshake.subprotocol = ws.protocol;
    if (this.options.origin !== undefined) handshake.origin = this.options.origin;
    this.emitEvent({ event: 'connect', peer: connection.peer, id: connection.id, local: localOf(socket), handshake });
    connection.start();
    this.settings.behaviour?.welcome(connection);
    const every = this.options.pingIntervalMs;
    if (every) this.pingTimer = setInterval(() => connection.ping(), every);
    if (this.firstOpen) {
      this.firstOpen.resolve();
      this.firstOpen = undefined;
    }
    if (this.closing) connection.end('closed by us', 1000, '');
  }

  /** The connection closed: say why, then reconnect or end the session. */
  connectionClosed(connection: WsClientConnection): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    this.connection = undefined;
    this.stats.active = 0;
    this.emitEvent({
      event: 'close', peer: connection.peer, id: connection.id, reason: connection.closeReason ?? 'closed',
      bytesIn: connection.bytesIn, bytesOut: connection.bytesOut, ...(connection.closeFrame ? { closeFrame: connection.closeFrame } : {}),
    });
    if (!this.closing && this.reconnect) this.scheduleRetry(connection.closeReason ?? 'closed');
    else this.finish();
  }

  /**
   * Sends one frame. Resolves true once it is written to the socket (a loop that awaits it
   * keeps memory bounded), false when there is no open connection.
   */
  send(data: Buffer, options: WsSendOptions = {}): Promise<boolean> {
    const c = this.connection;
    if (!c || c.ws.readyState !== 1) return Promise.resolve(false);
    const binary = options.binary ?? (this.settings.binaryOut || !isUtf8(data));
    return new Promise((resolve) => {
      if (!c.sendFrame(data, binary, options.fin ?? true, (err) => resolve(!err))) resolve(false);
    });
  }

  /** Sends a ping now; its pong is shown with the round trip. False when not connected. */
  ping(payload?: Buffer): boolean {
    if (!this.connected) return false;
    this.connection!.ping(payload);
    return true;
  }

  /**
   * Closes with a close code (1000, or 3000–4999) and reason, gracefully (cut after 2 s), or at
   * once with `force`. No reconnection follows. Resolves when the session has ended.
   */
  close(code = 1000, reason = '', force = false): Promise<void> {
    if (!isSendableCloseCode(code)) throw new UsageError(`a close code must be 1000 or from 3000 to 4999, got '${code}'`);
    this.closing = true;
    this.reconnect?.cancel();
    if (this.firstOpen) {
      // stopped before the first connection: nothing to wait for
      this.firstOpen.resolve();
      this.firstOpen = undefined;
    }
    this.pending?.terminate();
    const c = this.connection;
    if (c) {
      if (force) c.destroy('closed by us');
      else {
        c.end('closed by us', code, reason);
        setTimeout(() => c.ws.terminate(), 2000).unref();
      }
    } else this.finish();
    return this.closed;
  }
}

/** Creates a WebSocket client session and connects it. */
export async function connectWs(options: WsClientOptions, onEvent?: (e: SessionEvent) => void): Promise<WsClient> {
  const client = new WsClient(options);
  if (onEvent) client.on('event', onEvent);
  return client.connect();
}
