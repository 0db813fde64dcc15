// The page's end of the bridge: one WebSocket, typed requests with answers, acks for event batches, reconnection.
import { PROTOCOL_VERSION, type PageMessage, type PageRequest, type ServerEvents, type ServerMessage, type ServerResult } from '../bridge/protocol.js';
import { decodeEventBatch } from '../wire/event-batch.js';

/** Where the connection stands, for the status line. */
export type LinkState = 'connecting' | 'open' | 'lost' | 'refused';

/** What the page does with the server's messages. */
export interface LinkHandlers {
  message(msg: Exclude<ServerMessage, ServerResult>): void;
  state(state: LinkState, detail?: string): void;
}

type Pending = { resolve: (r: ServerResult) => void };

/** A request without its number: {@link Link.request} assigns one. */
export type RequestBody = PageRequest extends infer R ? (R extends { req: number } ? Omit<R, 'req'> : never) : never;

/** The WebSocket to the bridge. Reconnects after a loss; a refusal (version, token) is final. */
export class Link {
  private ws: WebSocket | undefined;
  private nextReq = 1;
  private readonly pending = new Map<number, Pending>();
  private retryMs = 500;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly handlers: LinkHandlers,
  ) {}

  /** Opens the socket (again). */
  connect(): void {
    if (this.stopped) return;
    this.handlers.state('connecting');
    const ws = new WebSocket(this.url);
    // event batches come as binary messages: the bytes themselves, decoded here
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.retryMs = 500;
      this.raw({ type: 'hello', version: PROTOCOL_VERSION, binary: true });
    };
    ws.onmessage = (ev) => {
      let msg: ServerMessage;
      try {
        msg = ev.data instanceof ArrayBuffer ? batchMessage(ev.data) : (JSON.parse(String(ev.data)) as ServerMessage);
      } catch {
        return;
      }
      if (msg.type === 'result') {
        const p = this.pending.get(msg.req);
        this.pending.delete(msg.req);
        p?.resolve(msg);
        return;
      }
      if (msg.type === 'hello') {
        if (msg.version !== PROTOCOL_VERSION) {
          this.stopped = true;
          this.handlers.state('refused', `the server speaks protocol version ${msg.version}, this page ${PROTOCOL_VERSION}: reload the page`);
          ws.close();
          return;
        }
        this.handlers.state('open');
      }
      if (msg.type === 'bye' && /protocol version|hello/.test(msg.reason)) this.stopped = true;
      this.handlers.message(msg);
      // acknowledged once handled: the server sends only a few batches ahead of this
      if (msg.type === 'events') this.raw({ type: 'ack', seq: msg.seq });
    };
    ws.onclose = () => {
      for (const p of this.pending.values()) p.resolve({ type: 'result', req: 0, ok: false, error: { code: 'SOCKIT_ERR_NETWORK', message: 'the connection to sockit was lost' } });
      this.pending.clear();
      if (this.stopped) return;
      if (opened) {
        this.handlers.state('lost', 'the connection to sockit was lost; reconnecting…');
        this.retry();
        return;
      }
      // a browser does not tell why a WebSocket was refused: ask the page's own address
      void this.probe().then((status) => {
        if (this.stopped) return;
        if (status === 403) {
          // the token in this address is no longer valid: sockit was started again, with a new one
          this.stopped = true;
          this.handlers.state('refused', 'sockit was restarted, so this page\'s address is no longer valid: open the address it printed when it started (…/?token=…).');
          return;
        }
        this.handlers.state('lost', status === undefined ? 'cannot reach sockit: is `sockit ui` still running? retrying…' : 'sockit refused the connection; retrying…');
        this.retry();
      });
    };
  }

  private retry(): void {
    setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5000);
  }

  /** The HTTP status of the page's own address now, or undefined when nothing answers. */
  private async probe(): Promise<number | undefined> {
    try {
      const r = await fetch(location.href, { method: 'HEAD', cache: 'no-store' });
      return r.status;
    } catch {
      return undefined;
    }
  }

  private raw(msg: PageMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Sends a request; resolves with the server's answer (a failed result when the link is down). */
  request(body: RequestBody): Promise<ServerResult> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      if (!this.raw({ ...body, req } as PageMessage)) {
        resolve({ type: 'result', req, ok: false, error: { code: 'SOCKIT_ERR_NETWORK', message: 'not connected to sockit right now' } });
        return;
      }
      this.pending.set(req, { resolve });
    });
  }
}

/** A binary event batch as the events message it stands for. */
function batchMessage(data: ArrayBuffer): ServerEvents {
  const batch = decodeEventBatch(new Uint8Array(data));
  return { type: 'events', seq: batch.seq, dropped: batch.dropped, events: batch.events as ServerEvents['events'] };
}
