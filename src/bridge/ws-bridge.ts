// The WebSocket bridge: pages drive the session hub with typed requests and receive its events, batched and bounded per page.
import type { RawData, WebSocket } from 'ws';
import { randomBytes } from 'node:crypto';
import { listEncodings } from '../wire/codec.js';
import { encodeEventBatchParts } from '../wire/event-batch.js';
import type { SessionEvent } from '../net/session.js';
import { PageQueue, DEFAULT_QUEUE_LIMITS, type QueueLimits } from './page-queue.js';
import { SessionHub, type HubOptions } from './session-hub.js';
import { batchSize, toBatchRecord, toWireEvent, type QueuedEvent } from './page-events.js';
import { describeValue, toWireError, usage } from './hub-error.js';
import { checkPageMessage } from './page-message.js';
import {
  PROTOCOL_VERSION,
  type BridgeLimits,
  type PageMessage,
  type PageRequest,
  type ServerMessage,
  type ServerResult,
  type SessionInfo,
  type SessionSpec,
  type WorkspaceDoc,
  type WorkspaceState,
} from './protocol.js';

/** What the bridge needs to open and save a workspace file; the workspace module provides it. */
export interface WorkspaceStore {
  /** The file's path, told to pages. */
  readonly file: string;
  /** Reads and checks the file. */
  open(): Promise<WorkspaceState>;
  /** Checks and writes a document; refused when the file changed on disk since `version`, unless `force`. */
  save(doc: WorkspaceDoc, version: string, force: boolean): Promise<WorkspaceState>;
  /** The checked spec of the session `name`, as the file says now. */
  spec(name: string): Promise<SessionSpec>;
}

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
  /** The workspace pages open, edit and save, if there is one. */
  workspace?: WorkspaceStore;
}

interface Page {
  ws: WebSocket;
  queue: PageQueue<QueuedEvent>;
  ready: boolean;
  /** The page takes event batches as binary messages. */
  binary: boolean;
  timer: NodeJS.Timeout | undefined;
  /** A flush is due at the end of this turn: a full batch waits. */
  soon: boolean;
  onFault: ((err: unknown) => void) | undefined;
}

const MAX_DECODE_ITEMS = 2000;

/** Connects pages to one {@link SessionHub}. Sessions outlive pages: a reloaded page finds them again. */
export class WsBridge {
  readonly hub: SessionHub;
  private readonly pages = new Set<Page>();
  private readonly opts: Required<Omit<BridgeOptions, 'queue' | 'hub' | 'workspace'>> & { queue: QueueLimits };
  private readonly workspace: WorkspaceStore | undefined;
  private readonly statsTimer: NodeJS.Timeout;
  private closed = false;
  /** Memory for binary batches, used again once written. */
  private readonly buffers = new BatchBuffers();
  /** Tells pages apart what they remember of this run from what they remember of an earlier one. */
  private readonly instance = randomBytes(9).toString('base64url');

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
    this.workspace = options.workspace;
    this.hub = new SessionHub({ ...options.hub, recent: { maxPayloadBytes: this.opts.maxPayloadBytes, ...options.hub?.recent } });
    this.hub.on('event', (session: string, e: SessionEvent, encoding: string, streamed: boolean) => this.fanOut(session, e, encoding, streamed));
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

  /**
   * Serves one page over an open WebSocket until it closes. Nothing a page sends can throw out
   * of the socket's listener: an unexpected error is given to `onFault` and closes that page's
   * socket (1011); the other pages and the sessions go on.
   */
  attach(ws: WebSocket, onFault?: (err: unknown) => void): void {
    if (this.closed) {
      ws.close(1001, 'shutting down');
      return;
    }
    const page: Page = { ws, queue: new PageQueue(this.opts.queue), ready: false, binary: false, timer: undefined, soon: false, onFault };
    this.pages.add(page);
    ws.on('message', (raw, isBinary) => {
      try {
        this.onRaw(page, raw, isBinary);
      } catch (err) {
        this.fault(page, err);
      }
    });
    ws.on('close', () => {
      this.pages.delete(page);
      if (page.timer) clearTimeout(page.timer);
    });
    ws.on('error', () => {
      // 'close' follows; nothing to add
    });
  }

  private onRaw(page: Page, raw: RawData, isBinary: boolean): void {
    if (isBinary) return this.refuse(page, 'binary messages are not part of the protocol');
    let value: unknown;
    try {
      value = JSON.parse(raw.toString());
    } catch {
      return this.refuse(page, 'a message was not JSON');
    }
    const checked = checkPageMessage(value);
    if (checked.ok) return this.onMessage(page, checked.message);
    if ('refuse' in checked) return this.refuse(page, checked.refuse);
    if (!page.ready) return this.refuse(page, 'the page must say hello first');
    this.send(page, { type: 'result', req: checked.req, ok: false, error: checked.error });
  }

  /** Something no page message should cause: reported, and only this page's socket closes. */
  private fault(page: Page, err: unknown): void {
    try {
      page.onFault?.(err);
    } catch {
      // a faulty reporter must not take the page's listener down with it
    }
    try {
      this.send(page, { type: 'bye', reason: 'sockit met an unexpected error; reload the page' });
    } catch {
      // the socket may be what failed
    }
    try {
      page.ws.close(1011, 'unexpected error');
    } catch {
      page.ws.terminate();
    }
  }

  private refuse(page: Page, reason: string): void {
    this.send(page, { type: 'bye', reason });
    page.ws.close(1008, truncateUtf8(reason, 120));
  }

  private onMessage(page: Page, msg: PageMessage): void {
    if (!page.ready) {
      if (msg.type !== 'hello') return this.refuse(page, 'the page must say hello first');
      // ready and the history taken in one turn: every later event reaches the page live, once
      page.ready = true;
      page.binary = msg.binary === true;
      const sessions = this.hub.list();
      this.send(page, {
        type: 'hello', version: PROTOCOL_VERSION, app: this.opts.app, instance: this.instance, kinds: this.hub.kinds(),
        encodings: listEncodings(), limits: this.limits, sessions, ...(this.workspace ? { workspace: this.workspace.file } : {}),
      });
      for (const info of sessions) this.sendHistory(page, info);
      this.send(page, { type: 'stats', ts: Date.now(), sessions: this.hub.stats() });
      return;
    }
    if (msg.type === 'ack') {
      // an ack sends at once only what waited for it; otherwise the timer gathers a fuller batch,
      // since flushing on every ack sends many small frames, each costing more than its events
      const waited = page.queue.waitingForAcks;
      page.queue.ack(msg.seq);
      if (waited) this.flush(page);
      return;
    }
    if (msg.type === 'hello') return;
    const req = msg;
    this.handle(req)
      .then(
        (result) => this.send(page, { type: 'result', req: req.req, ok: true, ...result }),
        (err) => this.send(page, { type: 'result', req: req.req, ok: false, error: toWireError(err) }),
      )
      .catch((err) => this.fault(page, err));
  }

  private sendHistory(page: Page, info: SessionInfo): void {
    const recent = this.hub.recent(info.id);
    if (!recent) return;
    const events = recent.recentEvents().map((e) => toWireEvent(info.id, e, info.encoding, this.opts.maxPayloadBytes));
    this.send(page, { type: 'history', session: info.id, events, omitted: recent.omitted, samples: recent.recentSamples() });
  }

  private async handle(msg: PageRequest): Promise<Omit<Extract<ServerResult, { ok: true }>, 'type' | 'req' | 'ok'>> {
    const hub = this.hub;
    switch (msg.type) {
      case 'create':
        return { session: await hub.create(msg.spec, undefined, { askFirst: msg.confirm !== true }) };
      case 'close':
        return { session: await hub.close(msg.session) };
      case 'restart':
        return { session: await hub.restart(msg.session) };
      case 'remove':
        await hub.remove(msg.session);
        return {};
      case 'send':
        return { delivered: await hub.send(msg.session, msg.target, msg.payload, msg.repeatMs ?? undefined) };
      case 'stop-cyclic':
        return { session: hub.stopCyclicSend(msg.session) };
      case 'set-rules':
        return { session: hub.setRules(msg.session, msg.rules) };
      case 'reset-counters':
        hub.resetCounters(msg.session);
        // every page shows the counters from zero now, not at the next tick
        this.sendStats();
        return {};
      case 'disconnect':
        if (!hub.disconnect(msg.session, msg.client, msg.reset === true)) {
          throw usage(`client #${msg.client} is not connected`);
        }
        return {};
      case 'faults':
        return { session: hub.setFaults(msg.session, msg.faults) };
      case 'capture-start':
        return { session: await hub.startCapture(msg.session) };
      case 'capture-stop':
        return { session: await hub.stopCapture(msg.session) };
      case 'workspace-open':
        return { workspace: await this.workspaceStore().open() };
      case 'workspace-save':
        return { workspace: await this.workspaceStore().save(msg.doc, msg.version, msg.force === true) };
      case 'workspace-start':
        return { session: await hub.create(await this.workspaceStore().spec(msg.name), msg.name, { askFirst: msg.confirm !== true }) };
      case 'decode': {
        const items = msg.items.slice(0, MAX_DECODE_ITEMS);
        return { texts: hub.decode(msg.encoding, items.map((b) => Buffer.from(b, 'base64'))) };
      }
      default:
        throw usage(`unknown request ${describeValue((msg as { type: unknown }).type)}`);
    }
  }

  private workspaceStore(): WorkspaceStore {
    if (!this.workspace) throw usage('this sockit has no workspace: start it in a folder with sockit.json, or with --workspace <file>');
    return this.workspace;
  }

  private fanOut(session: string, e: SessionEvent, encoding: string, streamed: boolean): void {
    if (this.pages.size === 0) return;
    const essential = e.event !== 'data' && e.event !== 'send' && e.event !== 'control';
    const max = this.opts.maxPayloadBytes;
    // JSON carries bytes in base64 and their text; a binary batch the bytes alone, most of the time
    const jsonSize = essential ? 200 : Math.min(e.bytes, max) * 2.4 + 130;
    let queued: QueuedEvent | undefined;
    for (const page of this.pages) {
      if (!page.ready) continue;
      const size = page.binary ? batchSize(e, encoding, max) : jsonSize;
      if (page.queue.admit(session, essential, size)) page.queue.push((queued ??= { session, e, encoding, streamed }), size);
      this.schedule(page);
    }
  }

  /**
   * Flushes after `flushMs`, which gathers a fuller batch from a quiet session; a busy one's full
   * batch of short messages goes once this turn's reads are handled: so many events waiting the
   * whole interval outlive the collector's young generation, and copying them into the old one costs
   * more than sending them. Long messages are still gathered: a stream faster than the page takes
   * fills the queue within the interval, and the page is then sent a sample of it.
   */
  private schedule(page: Page): void {
    if (!page.soon && page.queue.holdsFullBatch && !page.queue.waitingForAcks) {
      page.soon = true;
      setImmediate(() => {
        page.soon = false;
        this.flush(page);
      });
    }
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
      const max = this.opts.maxPayloadBytes;
      if (page.binary) {
        let memory: Buffer | undefined;
        const parts = encodeEventBatchParts(batch.seq, batch.dropped, batch.events.map((q) => toBatchRecord(q, max)), (size) => (memory = this.buffers.take(size)));
        // one WebSocket message, its fragments written as they are: long messages' bytes are not copied
        const last = parts.length - 1;
        for (let i = 0; i < last; i++) page.ws.send(parts[i]!, { binary: true, fin: false });
        page.ws.send(parts[last]!, { binary: true, fin: true }, () => this.buffers.give(memory!));
      } else {
        const events = batch.events.map((q) => ('e' in q ? toWireEvent(q.session, q.e, q.encoding, max) : q));
        this.send(page, { type: 'events', seq: batch.seq, events, dropped: batch.dropped });
      }
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
    // sampled whether or not a page looks: a page that opens later draws the last minutes
    const ts = Date.now();
    this.hub.sample(ts);
    if (this.pages.size === 0) return;
    const msg: ServerMessage = { type: 'stats', ts, sessions: this.hub.stats() };
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

// A WebSocket close reason may hold at most 123 bytes of UTF-8.
function truncateUtf8(text: string, maxBytes: number): string {
  let out = text.slice(0, maxBytes);
  while (Buffer.byteLength(out) > maxBytes) out = out.slice(0, -1);
  return out;
}

/**
 * Memory for binary batches, reused once a batch is written to its socket: a fresh large buffer
 * costs the first touch of each of its pages, which made writing a batch slower than the copy into it.
 */
class BatchBuffers {
  private readonly free: Buffer[] = [];

  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.max(size, BATCH_BUFFER_BYTES));
  }

  give(buffer: Buffer): void {
    if (this.free.length < MAX_FREE_BUFFERS && buffer.length <= 4 * BATCH_BUFFER_BYTES) this.free.push(buffer);
  }
}

const BATCH_BUFFER_BYTES = 1024 * 1024;
const MAX_FREE_BUFFERS = 4;
