// The browser assistant's HTTP server: serves the bundled page and its WebSocket, behind a token, Host and Origin checks and a CSP.
import http from 'node:http';
import net from 'node:net';
import { createReadStream, readFileSync, existsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { formatEndpoint } from '../wire/endpoint.js';
import { Session, type SessionEvent } from '../net/session.js';
import { bindFailure, listenServer } from '../net/listen.js';
import { WsBridge, type BridgeOptions } from './ws-bridge.js';
import { isLoopbackHost, peerOf } from '../net/address.js';
import { escapeControl } from '../wire/escape.js';
import { toWireError } from './hub-error.js';
import type { CaptureDownload } from './protocol-capture.js';
import { checkHost, checkOrigin, contentSecurityPolicy, createToken, tokenMatches } from './guard.js';

/** Where the assistant listens and what it serves. */
export interface UiServerOptions {
  /** Default 127.0.0.1: only this machine. Anything else is a deliberate choice the CLI warns about. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default: a fresh random token. */
  token?: string;
  /** The bundled page (default: dist/ui next to this module). */
  uiDir?: string;
  bridge?: BridgeOptions;
  name?: string;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const ASSETS: Record<string, string> = {
  '/app.js': 'text/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
  '/app.js.map': 'application/json; charset=utf-8',
  '/app.css.map': 'application/json; charset=utf-8',
};

const ICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%232f6fed'/%3E%3Cpath d='M9 12h10l-3-3M23 20H13l3 3' stroke='white' stroke-width='2.6' fill='none' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E";

/** The page's HTML; the token rides along in asset URLs so they pass the same check. */
function indexHtml(token: string, built: boolean): string {
  const t = encodeURIComponent(token);
  const body = built
    ? `<div id="app"></div><script type="module" src="/app.js?token=${t}"></script>`
    : '<p>The page is not built yet: run <code>npm run build</code> and reload.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>sockit</title>
<link rel="icon" href="${ICON}">
${built ? `<link rel="stylesheet" href="/app.css?token=${t}">` : ''}
</head>
<body>${body}</body>
</html>
`;
}

// a session's capture, downloaded: /capture/s1.ndjson or /capture/s1.pcap
const CAPTURE_PATH = /^\/capture\/([A-Za-z0-9_-]{1,64})\.(ndjson|pcap)$/;

let uiCount = 0;

/**
 * The assistant's server. Emits `listening` (protocol `ui`), `connect`/`close` for each page,
 * and an `error` for each refused request, so the CLI can show who knocked.
 */
export class UiServer extends Session {
  readonly token: string;
  readonly bridge: WsBridge;
  private readonly options: UiServerOptions;
  private readonly host: string;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly assets = new Map<string, Asset>();
  private readonly sockets = new Set<net.Socket>();
  private built = false;
  private boundPort = 0;
  private nextPage = 1;
  private closing = false;

  constructor(options: UiServerOptions = {}) {
    super(options.name ?? `ui-${++uiCount}`);
    this.options = options;
    this.host = options.host ?? '127.0.0.1';
    this.token = options.token ?? createToken();
    this.bridge = new WsBridge(options.bridge);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.bridge.limits.maxPageMessageBytes, perMessageDeflate: false });
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as net.Socket, head));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** True when the server is reachable from this machine only. */
  get loopbackOnly(): boolean {
    return isLoopbackHost(this.host);
  }

  /** The port actually bound. */
  get port(): number {
    return this.boundPort;
  }

  /** The address to open, token included. */
  get url(): string {
    const h = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    return `http://${formatEndpoint(h, this.boundPort)}/?token=${encodeURIComponent(this.token)}`;
  }

  /** Loads the bundle and binds. Rejects with a BindError naming the address. */
  async listen(): Promise<this> {
    this.loadAssets();
    const port = this.options.port ?? 0;
    try {
      await listenServer(this.server, { host: this.host, port }, (e) =>
        this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_NETWORK', message: e.message }),
      );
    } catch (err) {
      throw await bindFailure(err, this.host, port);
    }
    const addr = this.server.address() as net.AddressInfo;
    this.boundPort = addr.port;
    this.announceListening('ui', addr.address, addr.port, [addr.address]);
    return this;
  }

  private loadAssets(): void {
    const dir = this.options.uiDir ?? fileURLToPath(new URL('../ui/', import.meta.url));
    for (const [path, type] of Object.entries(ASSETS)) {
      const file = join(dir, path.slice(1));
      if (!existsSync(file)) continue;
      const body = readFileSync(file);
      this.assets.set(path, { body, type, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
    }
    this.built = this.assets.has('/app.js');
  }

  private refuse(req: http.IncomingMessage, reason: string): void {
    this.emitEvent({
      event: 'error', code: 'SOCKIT_ERR_FORBIDDEN',
      // the method and URL are the client's text, escaped so they cannot drive a terminal (the reasons escape theirs)
      message: `refused ${escapeControl(`${req.method} ${(req.url ?? '').replace(/token=[^&]*/, 'token=…')}`)} from ${peerOf(req.socket)}: ${reason}`,
    });
  }

  private headers(req: http.IncomingMessage, type: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      'Content-Type': type,
      'Content-Security-Policy': contentSecurityPolicy(req.headers.host),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      ...extra,
    };
  }

  private deny(req: http.IncomingMessage, res: http.ServerResponse, status: number, reason: string): void {
    this.refuse(req, reason);
    const body = `sockit: ${reason}\n`;
    res.writeHead(status, this.headers(req, 'text/plain; charset=utf-8', { 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(body)) }));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const hostProblem = checkHost(req.headers.host, { allowIpLiterals: !this.loopbackOnly });
    if (hostProblem) return this.deny(req, res, 403, hostProblem);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.deny(req, res, 405, `${req.method} is not served here`);
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const capture = CAPTURE_PATH.exec(url.pathname);
    if (url.pathname !== '/' && url.pathname !== '/ws' && !capture && !Object.hasOwn(ASSETS, url.pathname)) return this.deny(req, res, 404, `${url.pathname} is not here`);
    if (!tokenMatches(url.searchParams.get('token'), this.token)) {
      return this.deny(req, res, 403, 'the address needs the token sockit printed (…/?token=…)');
    }
    if (url.pathname === '/ws') return this.deny(req, res, 426, 'this address takes WebSocket connections only');
    if (capture) return void this.sendCapture(req, res, capture[1]!, capture[2] as CaptureDownload);
    if (url.pathname === '/') {
      const body = Buffer.from(indexHtml(this.token, this.built));
      res.writeHead(200, this.headers(req, 'text/html; charset=utf-8', { 'Cache-Control': 'no-store', 'Content-Length': String(body.length) }));
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const asset = this.assets.get(url.pathname);
    if (!asset) return this.deny(req, res, 404, `${url.pathname} is not built`);
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, this.headers(req, asset.type, { ETag: asset.etag }));
      res.end();
      return;
    }
    res.writeHead(200, this.headers(req, asset.type, { 'Cache-Control': 'no-cache', ETag: asset.etag, 'Content-Length': String(asset.body.length) }));
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  /** A session's capture as a download: the NDJSON file, or a pcap exported from it now (in this process). */
  private async sendCapture(req: http.IncomingMessage, res: http.ServerResponse, session: string, form: CaptureDownload): Promise<void> {
    let path: string;
    let size: number;
    try {
      path = await this.bridge.hub.captures.file(session, form);
      size = statSync(path).size;
    } catch (err) {
      return this.deny(req, res, 404, toWireError(err).message);
    }
    const name = `sockit-${session}-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}.${form}`;
    res.writeHead(200, this.headers(req, form === 'pcap' ? 'application/vnd.tcpdump.pcap' : 'application/x-ndjson', {
      'Cache-Control': 'no-store', 'Content-Length': String(size), 'Content-Disposition': `attachment; filename="${name}"`,
    }));
    if (req.method === 'HEAD') return void res.end();
    createReadStream(path).on('error', () => res.destroy()).pipe(res);
  }

  private onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const problem =
      checkHost(req.headers.host, { allowIpLiterals: !this.loopbackOnly }) ??
      (url.pathname !== '/ws' ? `${url.pathname} takes no WebSocket connections` : undefined) ??
      (tokenMatches(url.searchParams.get('token'), this.token) ? undefined : 'the WebSocket needs the page\'s token') ??
      checkOrigin(req.headers.origin, req.headers.host) ??
      (this.closing ? 'sockit is shutting down' : undefined);
    if (problem) {
      this.refuse(req, problem);
      const body = `sockit: ${problem}\n`;
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const id = this.nextPage++;
      const peer = peerOf(req.socket);
      this.stats.connections++;
      this.stats.active++;
      this.emitEvent({ event: 'connect', peer, id, local: formatEndpoint(socket.localAddress ?? '', socket.localPort ?? 0) });
      ws.on('close', () => {
        this.stats.active--;
        this.emitEvent({ event: 'close', peer, id, reason: 'page closed', bytesIn: 0, bytesOut: 0 });
      });
      this.bridge.attach(ws, (err) => {
        const why = err instanceof Error ? `${err.name}: ${err.message}` : 'a value was thrown';
        this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_INTERNAL', message: `page #${id} (${peer}) met an unexpected error and was disconnected: ${why}`, peer, id });
      });
    });
  }

  /** Closes every page and session, then the server. */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      await this.bridge.close();
      this.wss.close();
      this.server.close(() => this.finish());
      // let goodbyes flush, then cut keep-alive connections that would hold the server open
      setTimeout(() => {
        for (const s of this.sockets) s.destroy();
      }, 200).unref();
    }
    return this.closed;
  }
}

/** Creates the assistant's server and binds it. */
export async function startUi(options: UiServerOptions = {}, onEvent?: (e: SessionEvent) => void): Promise<UiServer> {
  const server = new UiServer(options);
  if (onEvent) server.on('event', onEvent);
  return server.listen();
}
