// The static web server session: binds node:http (or https), applies connection limits, emits listening/request events.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { isNoIpv6, SockitError, UsageError } from '../errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { Session, type SessionEvent } from '../net/session.js';
import { bindFailure, listenServer } from '../net/listen.js';
import { isLoopbackHost, peerOf } from '../net/address.js';
import { StaticHandler, type ResponseLog, type StaticHandlerOptions } from './handler.js';
import { onAnswerOver } from './lifetime.js';

/** A static server: what to serve (see {@link StaticHandlerOptions}), where, and how long clients may dawdle. */
export interface StaticServerOptions extends StaticHandlerOptions {
  /** Port (default 8000, like `python3 -m http.server`; 0: any free port). */
  port?: number;
  /** Address (default: localhost only, 127.0.0.1 and ::1; `0.0.0.0` or `::` share on the network). */
  host?: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Time allowed to send the request headers (default 30 s): a slowloris client is cut off. */
  headersTimeoutMs?: number;
  /** Time allowed to send a whole request, body included (default 300 s; no limit with uploads on, where only stalls count). */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** A connection with no traffic either way for this long is closed (default 30 s). */
  idleTimeoutMs?: number;
  /**
   * Connections at once, over every address bound (default 1024). At the cap, the oldest
   * connection with no request in progress (idle, or still sending its headers) is closed to make
   * room; a new one is refused only when every connection is busy with a request.
   */
  maxConnections?: number;
  /** Requests per keep-alive connection (default 10,000). */
  maxRequestsPerSocket?: number;
  /** Largest request head (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Emit a `request` event for each answer (default true); off saves the per-request bookkeeping. */
  accessLog?: boolean;
  /** The session's name in events. */
  name?: string;
}

export { StaticHandler, type StaticHandlerOptions, type ResponseLog } from './handler.js';
export { folderLocation } from './replies.js';
export { parseCredentials, type BasicCredentials } from './auth.js';
export { decodeRequestPath, isInside, type DotfilePolicy, type RequestPath, type PathRefusal } from './resolve-path.js';
export { parseRange, type ByteRange, type RangeDecision } from './range.js';

let serverCount = 0;

/** What the server keeps about one connection. */
interface Connection {
  /** Bytes moved either way when last looked at, and when that changed (idle sweep). */
  seen: number;
  at: number;
  /** The latest answer; while it is unfinished the connection is busy and is not closed to make room. */
  answer: http.ServerResponse | undefined;
}

/** A static web server session. Create with {@link serveStatic}. */
export class StaticServer extends Session {
  readonly options: Readonly<StaticServerOptions>;
  readonly handler: StaticHandler;
  private readonly servers: http.Server[] = [];
  /** Each open connection, oldest first: the bytes it had moved, when that last changed, its latest answer. */
  private readonly sockets = new Map<net.Socket, Connection>();
  private readonly maxConnections: number;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly totals: ResponseLog = { bytes: 0, bytesIn: 0 };
  // what connections that have closed read from the wire: requests, headers and bodies
  private closedBytesRead = 0;
  private boundPort = 0;
  private boundAddresses: string[] = [];
  private closing = false;
  private readonly logRequests: boolean;

  constructor(options: StaticServerOptions) {
    super(options.name ?? `http-server-${++serverCount}`);
    for (const [name, v] of [
      ['headersTimeoutMs', options.headersTimeoutMs], ['requestTimeoutMs', options.requestTimeoutMs], ['keepAliveTimeoutMs', options.keepAliveTimeoutMs],
      ['idleTimeoutMs', options.idleTimeoutMs], ['maxConnections', options.maxConnections], ['maxRequestsPerSocket', options.maxRequestsPerSocket], ['maxHeaderBytes', options.maxHeaderBytes],
    ] as const) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new UsageError(`${name} must be a whole number above 0, got ${v}`);
    }
    const loopbackOnly = options.host === undefined || isLoopbackHost(options.host);
    this.options = options;
    this.logRequests = options.accessLog ?? true;
    this.maxConnections = options.maxConnections ?? 1024;
    this.handler = new StaticHandler({ ...options, allowedHosts: options.allowedHosts ?? (loopbackOnly ? [] : 'any') });
  }

  /** The port bound (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** `http` or `https`. */
  get scheme(): 'http' | 'https' {
    return this.options.tls ? 'https' : 'http';
  }

  /** Every URL the server can be reached at: each interface's address when bound to all of them. */
  urls(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string[] {
    return serverUrls(this.scheme, this.boundAddresses, this.boundPort, interfaces);
  }

  /** Binds (both 127.0.0.1 and ::1 by default). Rejects with a BindError naming the address, the program holding the port and a free one. */
  async listen(): Promise<this> {
    const requested = this.options.port ?? 8000;
    const host = this.options.host;
    const hosts = host === undefined || host.toLowerCase() === 'localhost' ? ['127.0.0.1', '::1'] : [host];
    for (let attempt = 0; ; attempt++) {
      try {
        await this.bind(hosts[0]!, requested);
      } catch (err) {
        throw await this.bindError(err, hosts[0]!, requested);
      }
      this.boundPort = (this.servers[0]!.address() as net.AddressInfo).port;
      this.boundAddresses = [(this.servers[0]!.address() as net.AddressInfo).address];
      let retry = false;
      for (const extra of hosts.slice(1)) {
        try {
          await this.bind(extra, this.boundPort);
          this.boundAddresses.push(extra);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // no IPv6 loopback here: IPv4 alone will do
          if (isNoIpv6(err)) continue;
          // the system's pick for 127.0.0.1 is taken on ::1: pick again
          if (code === 'EADDRINUSE' && requested === 0 && attempt < 5) {
            retry = true;
            break;
          }
          await this.stopServers();
          throw await this.bindError(err, extra, this.boundPort);
        }
      }
      if (!retry) break;
      await this.stopServers();
    }
    const addresses = this.boundAddresses.length === 1 && this.boundAddresses[0] === '::' ? ['0.0.0.0', '::'] : [...this.boundAddresses];
    this.announceListening('http', this.boundAddresses[0]!, this.boundPort, addresses);
    return this;
  }

  private bindError(err: unknown, host: string, port: number): Promise<SockitError> {
    return bindFailure(err, host, port);
  }

  private async bind(host: string, port: number): Promise<void> {
    const o = this.options;
    const headersTimeout = o.headersTimeoutMs ?? 30_000;
    // an upload of gigabytes may take longer than any fixed limit: with uploads on, only stalls
    // (the idle sweep) and slow headers end a request
    const requestTimeout = o.requestTimeoutMs ?? (o.upload ? 0 : 300_000);
    const serverOptions: http.ServerOptions = {
      maxHeaderSize: o.maxHeaderBytes ?? 16 * 1024,
      headersTimeout,
      requestTimeout: requestTimeout === 0 ? 0 : Math.max(requestTimeout, headersTimeout),
      // Node checks the two timeouts above only this often (30 s by default)
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      noDelay: true,
    };
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res);
    const server = o.tls ? https.createServer({ ...serverOptions, key: o.tls.key, cert: o.tls.cert }, onRequest) : http.createServer(serverOptions, onRequest);
    server.keepAliveTimeout = o.keepAliveTimeoutMs ?? 5_000;
    server.maxRequestsPerSocket = o.maxRequestsPerSocket ?? 10_000;
    // idle connections are swept below: Node's per-socket timer does not fire once headersTimeout
    // checks are on, and re-arming it on every read and write costs time on the hot path
    server.timeout = 0;
    server.on('connection', (socket: net.Socket) => this.onConnection(socket));
    // `Expect: 100-continue` is answered by the route: only an accepted upload is told to go on,
    // anything else gets its final status before the client sends a byte of the body
    server.on('checkContinue', onRequest);
    if (o.tls) {
      server.on('tlsClientError', (err: Error, socket: net.Socket) => {
        if (this.observed) this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_TLS', message: `TLS handshake with ${peerOf(socket)} failed: ${err.message}` });
      });
    }
    await listenServer(server, { host, port, ipv6Only: false, backlog: 4096 }, (e) =>
      this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_NETWORK', message: e.message }),
    );
    this.servers.push(server);
  }

  private onConnection(socket: net.Socket): void {
    // one budget for every listener (127.0.0.1 and ::1 alike)
    if (this.sockets.size >= this.maxConnections && !this.makeRoom()) {
      socket.destroy();
      return;
    }
    this.stats.connections++;
    this.stats.active++;
    this.sockets.set(socket, { seen: 0, at: Date.now(), answer: undefined });
    this.sweeper ??= this.startSweeper();
    socket.once('close', () => {
      this.stats.active--;
      this.closedBytesRead += socket.bytesRead;
      this.sockets.delete(socket);
      if (this.closing && this.sockets.size === 0) this.finish();
    });
  }

  /**
   * Closes the oldest connection that has no request in progress: one that sits idle between
   * requests, or has not finished sending its headers (slowloris). Returns false when every
   * connection is busy answering.
   */
  private makeRoom(): boolean {
    for (const [socket, c] of this.sockets) {
      if (c.answer && !c.answer.writableFinished) continue;
      // out of the count at once: its 'close' comes later
      this.sockets.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  }

  /**
   * Closes connections that moved no byte either way for idleTimeoutMs: a client that connects and
   * says nothing, or stops reading what it is sent, cannot hold a connection for ever.
   */
  private startSweeper(): NodeJS.Timeout {
    const idle = this.options.idleTimeoutMs ?? 30_000;
    const timer = setInterval(() => {
      const now = Date.now();
      for (const [socket, a] of this.sockets) {
        const seen = socket.bytesRead + socket.bytesWritten;
        if (seen !== a.seen) {
          a.seen = seen;
          a.at = now;
        } else if (now - a.at >= idle) {
          socket.destroy();
        }
      }
    }, Math.max(25, Math.min(1000, Math.floor(idle / 4))));
    timer.unref();
    return timer;
  }

  /** Bytes read from clients so far (request lines, headers and bodies, as they crossed the wire), open connections included. */
  get bytesReceived(): number {
    let n = this.closedBytesRead;
    for (const socket of this.sockets.keys()) n += socket.bytesRead;
    return n;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.stats.messagesIn++;
    // over TLS the request's socket wraps the connection the listener counted
    const c = this.sockets.get(req.socket) ?? this.sockets.get((req.socket as net.Socket & { _parent?: net.Socket })._parent!);
    if (c) c.answer = res;
    if (!this.logRequests || !this.observed) {
      // nobody logs: skip the per-request bookkeeping, keep the totals
      this.handler.handle(req, res, this.totals);
      return;
    }
    const start = performance.now();
    const log: ResponseLog = { bytes: 0, bytesIn: 0 };
    const peer = peerOf(req.socket);
    // every request gets its line, also one queued behind a pipelined answer when the client left
    onAnswerOver(res, () => {
      if (!res.writableFinished) log.note ??= 'connection closed early';
      this.totals.bytes += log.bytes;
      this.totals.bytesIn += log.bytesIn;
      this.emitEvent({
        event: 'request', ts: Date.now(), session: this.name,
        method: req.method ?? '', url: req.url ?? '', status: res.statusCode, bytes: log.bytes,
        ms: Math.round((performance.now() - start) * 10) / 10, peer,
        ...(log.note ? { note: log.note } : {}),
      });
    });
    this.handler.handle(req, res, log);
  }

  private stopServers(): Promise<void> {
    const all = this.servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    return Promise.all(all).then(() => undefined);
  }

  /** Stops accepting, lets answers in progress finish (cut after `graceMs`), emits `summary` and resolves when all is closed. */
  async close(graceMs = 2000): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      const servers = [...this.servers];
      void this.stopServers();
      for (const s of servers) s.closeIdleConnections();
      if (this.sockets.size === 0) this.finish();
      const timer = setTimeout(() => {
        for (const s of servers) s.closeAllConnections();
        for (const socket of this.sockets.keys()) socket.destroy();
      }, graceMs);
      timer.unref();
      void this.closed.then(() => clearTimeout(timer));
    }
    return this.closed;
  }

  protected override finish(): void {
    if (this.ended) return;
    if (this.sweeper) clearInterval(this.sweeper);
    this.stats.bytesOut = this.totals.bytes;
    this.stats.bytesIn = this.bytesReceived;
    this.stats.messagesOut = this.stats.messagesIn;
    this.handler.close();
    super.finish();
  }
}

/**
 * The URLs a server bound to `addresses` answers at. A wildcard address stands for every
 * interface's address of its family (`::` for both); IPv6 link-local ones are left out, as they
 * need a zone to be usable.
 */
export function serverUrls(scheme: string, addresses: readonly string[], port: number, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string[] {
  const hosts: string[] = [];
  for (const a of addresses) {
    if (a === '0.0.0.0' || a === '::') {
      for (const list of Object.values(interfaces)) {
        for (const i of list ?? []) {
          if (i.family === 'IPv4' || (a === '::' && i.family === 'IPv6' && !/^fe80:/i.test(i.address))) hosts.push(i.address);
        }
      }
    } else hosts.push(a);
  }
  const unique = [...new Set(hosts)];
  // loopback first: the address people type on this machine
  unique.sort((x, y) => Number(!isLoopbackHost(x)) - Number(!isLoopbackHost(y)));
  return unique.map((h) => `${scheme}://${formatEndpoint(h, port)}/`);
}

/** Creates a static server session and binds it. */
export async function serveStatic(options: StaticServerOptions, onEvent?: (e: SessionEvent) => void): Promise<StaticServer> {
  const server = new StaticServer(options);
  if (onEvent) server.on('event', onEvent);
  return server.listen();
}
