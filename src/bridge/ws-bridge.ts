// The WebSocket bridge: pages drive the session hub with typed requests and receive its events, batched and bounded per page.
import type { WebSocket } from 'ws';
import { decodeText, listEncodings } from '../wire/codec.js';
import { canonicalEncoding } from '../wire/encoding-name.js';
import type { SessionEvent } from '../net/session.js';
import { PageQueue, DEFAULT_QUEUE_LIMITS, type QueueLimits } from './page-queue.js';
import { SessionHub, type HubOptions } from './session-hub.js';
import { toWireError, usage } from './hub-error.js';
import {
  PROTOCOL_VERSION,
  type BridgeLimits,
  type PageMessage,
  type PageRequest,
  type ServerMessage,
  type ServerResult,
  type SessionInfo,
  type WireEvent,
} from './protocol.js';

/** How the bridge batches and bounds what it sends. */
export interface BridgeOptions {
  /** Bytes of each message's payload carried to the page (default 64 KiB; `bytes` stays exact). */
  maxPayloadBytes?: number;
  /** The largest message a page may send (default 1 MiB); enforce it on the WebSocket server too. */
  maxPageMessageBytes?: number;
  /** How long events gather before a batch goes (default 25 ms). */
  flushMs?: number;
  /** How often counters go to pages (default 500 ms). */
  statsMs?: number;
  /** A page socket with more than this unsent is not sent more (default 4 MiB). */
  highWaterBytes?: number;
  queue?: Partial<QueueLimits>;
  hub?: HubOptions;
  /** Name and version shown by the page. */
  app?: { name: string; version: string };
}

interface Page {
  ws: WebSocket;
  queue: PageQueue;
  ready: boolean;
  timer: NodeJS.Timeout | undefined;
}

const MAX_DECODE_ITEMS = 2000;

/** Connects pages to one {@link SessionHub}. Sessions outlive pages: a reloaded page finds them again. */
export class WsBridge {
  readonly hub: SessionHub;
  private readonly pages = new Set<Page>();
  private readonly opts: Required<Omit<BridgeOptions, 'queue' | 'hub'>> & { queue: QueueLimits };
  private readonly statsTimer: NodeJS.Timeout;
  private closed = false;

  constructor(options: BridgeOptions = {}) {
    this.opts = {
      maxPayloadBytes: options.maxPayloadBytes ?? 64 * 1024,
      maxPageMessageBytes: options.maxPageMessageBytes ?? 1024 * 1024,
      flushMs: options.flushMs ?? 25,
      statsMs: options.statsMs ?? 500,
      highWaterBytes: options.highWaterBytes ?? 4 * 1024 * 1024,
      app: options.app ?? { name: 'sockit', version: '' },
      queue: { ...DEFAULT_QUEUE_LIMITS, ...options.queue },
    };
    this.hub = new SessionHub(options.hub);
    this.hub.on('event', (session: string, e: SessionEvent, encoding: string) => this.fanOut(session, e, encoding));
    this.hub.on('info', (info: SessionInfo) => this.broadcast({ type: 'session', info }));
    this.hub.on('removed', (session: string) => this.broadcast({ type: 'removed', session }));
    this.statsTimer = setInterval(() => this.sendStats(), this.opts.statsMs);
    this.statsTimer.unref();
  }

  /** The limits pages are told about. */
  get limits(): BridgeLimits {
    return { maxPayloadBytes: this.opts.maxPayloadBytes, maxPageMessageBytes: this.opts.maxPageMessageBytes, minIntervalMs: 10 };
  }

  /** Pages connected now. */
  get pageCount(): number {
    return this.pages.size;
  }

  /** How many events were dropped for slow pages, per connected page. */
  droppedPerPage(): number[] {
    return [...this.pages].map((p) => p.queue.dropped);
  }

  /** Serves one page over an open WebSocket until it closes. */
  attach(ws: WebSocket): void {
    if (this.closed) {
      ws.close(1001, 'shutting down');
      return;
    }
    const page: Page = { ws, queue: new PageQueue(this.opts.queue), ready: false, timer: undefined };
    this.pages.add(page);
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return this.refuse(page, 'binary messages are not part of the protocol');
      let msg: PageMessage;
      try {
        msg = JSON.parse(raw.toString()) as PageMessage;
      } catch {
        return this.refuse(page, 'a message was not JSON');
      }
      this.onMessage(page, msg);
    });
    ws.on('close', () => {
      this.pages.delete(page);
      if (page.timer) clearTimeout(page.timer);
    });
    ws.on('error', () => {
      // 'close' follows; nothing to add
    });
  }

  private refuse(page: Page, reason: string): void {
    this.send(page, { type: 'bye', reason });
    page.ws.close(1008, reason.slice(0, 120));
  }

  private onMessage(page: Page, msg: PageMessage): void {
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return this.refuse(page, 'a message had no type');
    if (!page.ready) {
      if (msg.type !== 'hello') return this.refuse(page, 'the page must say hello first');
      if (msg.version !== PROTOCOL_VERSION) {
        return this.refuse(page, `this page speaks protocol version ${msg.version}, the server ${PROTOCOL_VERSION}: reload the page`);
      }
      page.ready = true;
      this.send(page, {
        type: 'hello', version: PROTOCOL_VERSION, app: this.opts.app, kinds: this.hub.kinds(),
        encodings: listEncodings(), limits: this.limits, sessions: this.hub.list(),
      });
      this.send(page, { type: 'stats', ts: Date.now(), sessions: this.hub.stats() });
      return;
    }
    if (msg.type === 'ack') {
      page.queue.ack(msg.seq);
      this.flush(page);
      return;
    }
    if (msg.type === 'hello') return;
    if (typeof (msg as PageRequest).req !== 'number') return this.refuse(page, `'${msg.type}' needs a request number`);
    const req = msg as PageRequest;
    this.handle(req).then(
      (result) => this.send(page, { type: 'result', req: req.req, ok: true, ...result }),
      (err) => this.send(page, { type: 'result', req: req.req, ok: false, error: toWireError(err) }),
    );
  }

  private async handle(msg: PageRequest): Promise<Omit<Extract<ServerResult, { ok: true }>, 'type' | 'req' | 'ok'>> {
    const hub = this.hub;
    switch (msg.type) {
      case 'create':
        return { session: await hub.create(msg.spec) };
      case 'close':
        return { session: await hub.close(String(msg.session)) };
      case 'restart':
        return { session: await hub.restart(String(msg.session)) };
      case 'remove':
        await hub.remove(String(msg.session));
        return {};
      case 'send':
        return { delivered: await hub.send(String(msg.session), msg.target, msg.payload, msg.repeatMs) };
      case 'stop-cyclic':
        return { session: hub.stopCyclicSend(String(msg.session)) };
      case 'disconnect':
        if (!hub.disconnect(String(msg.session), Number(msg.client))) {
          throw usage(`client #${msg.client} is not connected`);
        }
        return {};
      case 'decode': {
        const items = Array.isArray(msg.items) ? msg.items.slice(0, MAX_DECODE_ITEMS) : [];
        return { texts: hub.decode(String(msg.encoding), items.map((b) => Buffer.from(String(b), 'base64'))) };
      }
      default:
        throw usage(`unknown request '${(msg as { type: string }).type}'`);
    }
  }

  private fanOut(session: string, e: SessionEvent, encoding: string): void {
    if (this.pages.size === 0) return;
    const essential = e.event !== 'data' && e.event !== 'send';
    const size = essential ? 200 : Math.min(e.bytes, this.opts.maxPayloadBytes) * 2.4 + 130;
    let wire: WireEvent | undefined;
    const make = () => (wire ??= toWireEvent(session, e, encoding, this.opts.maxPayloadBytes));
    for (const page of this.pages) {
      if (!page.ready) continue;
      page.queue.offer(session, essential, size, make);
      this.schedule(page);
    }
  }

  private schedule(page: Page): void {
    if (page.timer) return;
    page.timer = setTimeout(() => {
      page.timer = undefined;
      this.flush(page);
    }, this.opts.flushMs);
  }

  private flush(page: Page): void {
    while (page.ws.readyState === page.ws.OPEN) {
      if (page.ws.bufferedAmount > this.opts.highWaterBytes) {
        // the socket itself is backed up: look again shortly
        this.schedule(page);
        return;
      }
      const batch = page.queue.take();
      if (!batch) return; // empty, or waiting for acks: the next ack flushes again
      this.send(page, batch);
    }
  }

  private send(page: Page, msg: ServerMessage): void {
    if (page.ws.readyState !== page.ws.OPEN) return;
    page.ws.send(JSON.stringify(msg));
  }

  private broadcast(msg: ServerMessage): void {
    const text = JSON.stringify(msg);
    for (const page of this.pages) if (page.ready && page.ws.readyState === page.ws.OPEN) page.ws.send(text);
  }

  private sendStats(): void {
    if (this.pages.size === 0) return;
    const msg: ServerMessage = { type: 'stats', ts: Date.now(), sessions: this.hub.stats() };
    const text = JSON.stringify(msg);
    for (const page of this.pages) {
      // stats are replaced every second: a backed-up page skips one rather than queueing it
      if (page.ready && page.ws.readyState === page.ws.OPEN && page.ws.bufferedAmount <= this.opts.highWaterBytes) page.ws.send(text);
    }
  }

  /** Says goodbye to every page and closes every session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    for (const page of this.pages) {
      this.send(page, { type: 'bye', reason: 'sockit was stopped' });
      page.ws.close(1001, 'shutting down');
    }
    await this.hub.closeAll();
  }
}

/** A core event in its wire form: payloads as base64 (cut to `maxPayloadBytes`), sent bytes decoded too. */
export function toWireEvent(session: string, e: SessionEvent, encoding: string, maxPayloadBytes: number): WireEvent {
  const ts = e.ts;
  switch (e.event) {
    case 'data':
    case 'send': {
      const truncated = e.payload.length > maxPayloadBytes;
      const shown = truncated ? e.payload.subarray(0, maxPayloadBytes) : e.payload;
      let text = e.text;
      if (text === undefined || (truncated && text.length > maxPayloadBytes)) text = decodeText(shown, encoding);
      // UTF-8 text that encodes back to exactly these bytes carries them already
      const implied = !truncated && canonicalEncoding(encoding) === 'utf8' && Buffer.byteLength(text) === shown.length && Buffer.from(text, 'utf8').equals(shown);
      const base = { ts, session, id: e.id, peer: e.peer, bytes: e.bytes, ...(implied ? {} : { data: shown.toString('base64') }), text, ...(truncated ? { truncated: true } : {}) };
      return e.event === 'data' ? { event: 'data', n: e.n, ...base } : { event: 'send', ...base };
    }
    case 'listening':
      return { event: 'listening', ts, session, protocol: e.protocol, address: e.address, port: e.port, addresses: e.addresses };
    case 'connect':
      return { event: 'connect', ts, session, id: e.id, peer: e.peer, local: e.local };
    case 'close':
      return { event: 'close', ts, session, id: e.id, peer: e.peer, reason: e.reason, bytesIn: e.bytesIn, bytesOut: e.bytesOut };
    case 'error': {
      const out: WireEvent = { event: 'error', ts, session, code: e.code, message: e.message };
      if (e.hint) out.hint = e.hint;
      if (e.peer !== undefined) out.peer = e.peer;
      if (e.id !== undefined) out.id = e.id;
      return out;
    }
    case 'summary':
      return { event: 'summary', ts, session, connections: e.connections, bytesIn: e.bytesIn, bytesOut: e.bytesOut, messagesIn: e.messagesIn, messagesOut: e.messagesOut, durationMs: e.durationMs };
    case 'request':
      return { event: 'request', ts, session, method: e.method, url: e.url, status: e.status, bytes: e.bytes, ms: e.ms, peer: e.peer, ...(e.note ? { note: e.note } : {}) };
  }
}
