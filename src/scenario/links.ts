// The connections a scenario plays on, over sockit's own sessions: TCP, UDP and WebSocket, as a client or accepted by a listener.
import { TcpClient } from '../net/tcp-client.js';
import { TcpServer } from '../net/tcp-server.js';
import { UdpSocket } from '../net/udp-socket.js';
import type { Session, SessionEvent } from '../net/session.js';
import { WsClient } from '../ws/ws-client.js';
import { WsServer } from '../ws/ws-server.js';
import type { ScenarioProtocol } from './scenario-format.js';

/**
 * One connection: what arrived and was not yet taken by an `expect`, whether it closed, and how
 * to send, close and reset. Datagram and WebSocket links keep messages apart (`whole`).
 */
/** Wakes whoever waits for the next change (an arrival, a close); each waits at most as long as it said. */
class Signal {
  private waiters: (() => void)[] = [];

  /** Resolves at the next {@link notify}, or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.waiters.push(wake);
    });
  }

  notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export class Link {
  /** Bytes of a stream not yet taken; for message links, the messages not yet taken. */
  private stream = Buffer.alloc(0);
  private readonly messages: Buffer[] = [];
  closed = false;
  closeReason: string | undefined;
  private readonly arrivals = new Signal();

  constructor(
    readonly protocol: ScenarioProtocol,
    /** The other end, `host:port`. */
    readonly peer: string,
    private readonly ops: { send(b: Buffer): Promise<void>; close(): Promise<void>; reset(): Promise<void> },
  ) {}

  /** True when messages arrive whole (UDP datagrams, WebSocket messages). */
  get whole(): boolean {
    return this.protocol !== 'tcp';
  }

  /** What an `expect` looks at: the stream so far, or the next message. */
  get pending(): Buffer {
    return this.whole ? this.messages[0] ?? Buffer.alloc(0) : this.stream;
  }

  /** True when something waits to be taken. */
  get hasPending(): boolean {
    return this.whole ? this.messages.length > 0 : this.stream.length > 0;
  }

  /** Takes `n` bytes of the stream, or the next message whole. */
  take(n: number): void {
    if (this.whole) this.messages.shift();
    else this.stream = this.stream.subarray(n);
  }

  /** Bytes (or a message) arrived. */
  arrived(bytes: Buffer): void {
    if (this.whole) this.messages.push(Buffer.from(bytes));
    else this.stream = this.stream.length ? Buffer.concat([this.stream, bytes]) : Buffer.from(bytes);
    this.wake();
  }

  /** The connection ended. */
  ended(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.wake();
  }

  /** Resolves at the next arrival or close, or after `ms`. */
  changed(ms: number): Promise<void> {
    return this.arrivals.next(ms);
  }

  send(bytes: Buffer): Promise<void> {
    return this.ops.send(bytes);
  }

  close(): Promise<void> {
    return this.ops.close();
  }

  reset(): Promise<void> {
    return this.ops.reset();
  }

  private wake(): void {
    this.arrivals.notify();
  }
}

/** Routes a session's events to its links: data to the link by id, close ends it. */
function route(session: Session, links: Map<number, Link>, onNew?: (id: number, peer: string) => Link | undefined): void {
  session.on('event', (e: SessionEvent) => {
    if (e.event === 'connect' && onNew && !links.has(e.id)) {
      const l = onNew(e.id, e.peer);
      if (l) links.set(e.id, l);
    } else if (e.event === 'data') {
      let l = links.get(e.id);
      // a datagram from a new sender is a new "connection"
      if (!l && onNew) {
        l = onNew(e.id, e.peer);
        if (l) links.set(e.id, l);
      }
      l?.arrived(e.payload);
    } else if (e.event === 'close') {
      links.get(e.id)?.ended(e.reason);
    }
  });
}

/** Where a client link goes. */
export interface LinkTarget {
  protocol: ScenarioProtocol;
  host: string;
  port: number;
  /** WebSocket: the whole URL. */
  url?: string;
}

/** Opens a client connection; the session behind it ends with the link. */
export async function openLink(t: LinkTarget, sessions: Session[]): Promise<Link> {
  const links = new Map<number, Link>();
  if (t.protocol === 'tcp') {
    const c = new TcpClient({ host: t.host, port: t.port });
    sessions.push(c);
    const link = new Link('tcp', `${t.host}:${t.port}`, { send: (b) => c.send(b), close: () => c.close(), reset: () => c.reset() });
    links.set(1, link);
    route(c, links);
    await c.connect();
    return link;
  }
  if (t.protocol === 'udp') {
    const u = new UdpSocket({ remoteHost: t.host, remotePort: t.port });
    sessions.push(u);
    const link = new Link('udp', `${t.host}:${t.port}`, { send: (b) => u.send(b), close: () => u.close(), reset: () => u.close() });
    u.on('event', (e) => e.event === 'data' && link.arrived(e.payload));
    await u.open();
    return link;
  }
  const w = new WsClient({ url: t.url ?? `ws://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}/` });
  sessions.push(w);
  const link = new Link('ws', t.url ?? `${t.host}:${t.port}`, {
    send: async (b) => void (await w.send(b)),
    close: () => w.close(),
    reset: () => w.close(1000, '', true),
  });
  links.set(1, link);
  w.on('event', (e) => {
    if (e.event === 'data') link.arrived(e.payload);
    else if (e.event === 'close') link.ended(e.reason);
  });
  await w.connect();
  return link;
}

/** A listener: its session, its port, and the connections it accepted that no step has taken yet. */
export class Listener {
  private readonly queue: Link[] = [];
  readonly arrivals = new Signal();

  private constructor(
    readonly protocol: ScenarioProtocol,
    readonly session: TcpServer | UdpSocket | WsServer,
  ) {}

  /** The bound port. */
  get port(): number {
    return this.session.port;
  }

  /** Starts listening. */
  static async open(protocol: ScenarioProtocol, port: number, host: string | undefined, path: string | undefined, sessions: Session[]): Promise<Listener> {
    const session = protocol === 'tcp' ? new TcpServer({ port, host }) : protocol === 'udp' ? new UdpSocket({ port, host }) : new WsServer({ port, host, path });
    sessions.push(session);
    const l = new Listener(protocol, session);
    const links = new Map<number, Link>();
    route(session, links, (id, peer) => {
      const link = new Link(protocol, peer, l.ops(id));
      l.queue.push(link);
      l.arrivals.notify();
      return link;
    });
    if (session instanceof UdpSocket) await session.open();
    else await session.listen();
    return l;
  }

  /** The next accepted connection, waiting up to `ms` for one; undefined when none came. */
  async accept(ms: number): Promise<Link | undefined> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await this.arrivals.next(left);
    }
    return this.queue.shift();
  }

  private ops(id: number): { send(b: Buffer): Promise<void>; close(): Promise<void>; reset(): Promise<void> } {
    const s = this.session;
    if (s instanceof TcpServer) return { send: async (b) => void s.send(b, id), close: async () => void s.disconnect(id), reset: async () => void s.reset(id) };
    if (s instanceof UdpSocket) return { send: async (b) => void s.sendToPeer(b, id), close: async () => {}, reset: async () => {} };
    return { send: async (b) => void s.send(b, id), close: async () => void s.disconnect(id), reset: async () => void s.disconnect(id, 'reset', 1000) };
  }
}

/** Ends a session a run left open, without waiting out a peer that keeps its end open. */
export function endSession(s: Session): Promise<void> {
  if (s instanceof TcpClient) return s.close(true);
  if (s instanceof TcpServer) return s.close(200);
  if (s instanceof WsClient) return s.close(1000, '', true);
  return (s as TcpServer | UdpSocket | WsServer).close();
}
