// The sessions a browser page drives: created from specs with the core's validators, shared by every open page.
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { SockitError, UsageError } from '../errors.js';
import { decodeText, encodeText, resolveEncoding } from '../wire/codec.js';
import type { Session, SessionEvent } from '../net/session.js';
import { encodeFrame, parseFrame, type FrameSpec } from '../wire/framing.js';
import { parseHex } from '../wire/hex.js';
import { parseEndpoint, parseHost, parsePort } from '../wire/endpoint.js';
import { compileTemplate, unescapeText } from '../wire/template.js';
import { TcpServer } from '../net/tcp-server.js';
import { TcpClient } from '../net/tcp-client.js';
import { UdpSocket } from '../net/udp-socket.js';
import { StaticServer } from '../http/static-server.js';
import type { Counters, Payload, SessionInfo, SessionKind, SessionSpec, Target, WireClient, WireError } from './protocol.js';

/** An error meant for the page: a sentence, its code, and the form field it is about. */
export class HubError extends Error {
  readonly wire: WireError;
  constructor(wire: WireError) {
    super(wire.message);
    this.name = 'HubError';
    this.wire = wire;
  }
}

/** Turns anything thrown into the wire form, naming a field where the error is about one. */
export function toWireError(err: unknown, field?: string): WireError {
  if (err instanceof HubError) return err.wire;
  if (err instanceof SockitError) {
    const wire: WireError = { code: err.code, message: err.message };
    if (err.hint) wire.hint = err.hint;
    const f = field ?? fieldOf(err);
    if (f) wire.field = f;
    return wire;
  }
  return { code: 'SOCKIT_ERR_INTERNAL', message: (err as Error)?.message ?? String(err), ...(field ? { field } : {}) };
}

function fieldOf(err: SockitError): string | undefined {
  switch (err.code) {
    case 'SOCKIT_ERR_ADDR_IN_USE':
    case 'SOCKIT_ERR_ACCESS':
      return 'port';
    case 'SOCKIT_ERR_ADDR_NOT_AVAILABLE':
    case 'SOCKIT_ERR_HOST_NOT_FOUND':
      return 'host';
    default:
      return undefined;
  }
}

/** Runs a validator; a usage error it throws is reported against `field`. */
function check<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new HubError(toWireError(err, field));
  }
}

/** What the hub needs from each kind of session. */
interface Driver {
  readonly session: Session;
  readonly closed: Promise<void>;
  start(): Promise<void>;
  send(target: Target, bytes: Buffer): Promise<number>;
  close(): Promise<void>;
  disconnect?(client: number): boolean;
  clients?(): WireClient[];
  /** Where it stands once started: addresses, peer, local. */
  describe(): Partial<SessionInfo>;
  /** Counters, where the session's own are only complete at its end. */
  counters?(): Counters;
}

interface Managed {
  info: SessionInfo;
  driver: Driver | undefined;
  frame: FrameSpec;
  cyclic: { timer: NodeJS.Timeout; busy: boolean } | undefined;
  /** Bumped on restart so events of a previous run are not mistaken for the current one. */
  run: number;
}

/** Limits the hub applies to what pages ask. */
export interface HubOptions {
  /** Smallest interval of a cyclic send (default 10 ms). */
  minIntervalMs?: number;
  /** Clients listed per server in stats (default 200; the total is always given). */
  maxListedClients?: number;
}

const MAX_LISTED_CLIENTS = 200;

/**
 * Owns the sessions pages create. Emits `event` (session id, core event), `info` (SessionInfo)
 * and `removed` (session id). All socket work is the core sessions'; the hub validates, starts,
 * routes sends and keeps cyclic timers.
 */
export class SessionHub extends EventEmitter {
  private readonly sessions = new Map<string, Managed>();
  private nextId = 1;
  private readonly minIntervalMs: number;
  private readonly maxListedClients: number;
  private closing = false;

  constructor(options: HubOptions = {}) {
    super();
    this.minIntervalMs = options.minIntervalMs ?? 10;
    this.maxListedClients = options.maxListedClients ?? MAX_LISTED_CLIENTS;
  }

  /** The kinds of session this hub can create. */
  kinds(): SessionKind[] {
    return ['tcp-server', 'tcp-client', 'udp', 'http'];
  }

  /** Every session, oldest first. */
  list(): SessionInfo[] {
    return [...this.sessions.values()].map((m) => m.info);
  }

  /** Validates a spec, starts the session and resolves with its info; rejects with a HubError. */
  async create(spec: SessionSpec): Promise<SessionInfo> {
    if (this.closing) throw new HubError({ code: 'SOCKIT_ERR_NETWORK', message: 'sockit is shutting down' });
    const normal = normaliseSpec(spec);
    const id = `s${this.nextId++}`;
    const frame = 'frame' in normal ? parseFrame(normal.frame, 'frame') : { kind: 'raw' as const };
    const m: Managed = {
      info: { id, kind: normal.kind, spec: normal, state: 'starting', encoding: 'encoding' in normal ? normal.encoding : 'utf8', createdAt: Date.now() },
      driver: undefined,
      frame,
      cyclic: undefined,
      run: 0,
    };
    await this.start(m);
    this.sessions.set(id, m);
    this.emit('info', m.info);
    return m.info;
  }

  private async start(m: Managed): Promise<void> {
    const run = ++m.run;
    const driver = createDriver(m.info.spec, m.frame, m.info.id);
    driver.session.on('event', (e: SessionEvent) => {
      if (m.run !== run) return;
      this.emit('event', m.info.id, e, m.info.encoding);
      this.track(m, e);
    });
    try {
      await driver.start();
    } catch (err) {
      throw new HubError(toWireError(err));
    }
    m.driver = driver;
    m.info = { ...m.info, ...driver.describe(), state: m.info.kind === 'tcp-client' ? 'connected' : 'listening', error: undefined, reason: undefined };
    void driver.closed.then(() => {
      if (m.run !== run) return;
      this.stopCyclic(m, false);
      if (m.info.state !== 'closed') {
        m.info = { ...m.info, state: 'closed' };
        if (this.sessions.has(m.info.id)) this.emit('info', m.info);
      }
    });
  }

  private track(m: Managed, e: SessionEvent): void {
    if (e.event === 'error' && e.id === undefined) {
      m.info = { ...m.info, error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } };
      this.emit('info', m.info);
    } else if (e.event === 'close' && m.info.kind === 'tcp-client') {
      const reset = /reset/.test(e.reason);
      m.info = { ...m.info, state: 'closed', reason: e.reason, ...(reset ? { error: { code: 'SOCKIT_ERR_RESET', message: `the connection to ${e.peer} was reset by the peer` } } : {}) };
      this.stopCyclic(m, false);
      this.emit('info', m.info);
    }
  }

  private get(id: string): Managed {
    const m = this.sessions.get(id);
    if (!m) throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: `there is no session ${id}` });
    return m;
  }

  private live(id: string): Managed & { driver: Driver } {
    const m = this.get(id);
    if (!m.driver || m.info.state === 'closed') throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: 'this session is closed; start it again first' });
    return m as Managed & { driver: Driver };
  }

  /** Stops a session; it stays listed, closed. */
  async close(id: string): Promise<SessionInfo> {
    const m = this.get(id);
    this.stopCyclic(m, false);
    if (m.driver && m.info.state !== 'closed') {
      m.info = { ...m.info, reason: m.info.reason ?? 'closed from the page' };
      await m.driver.close();
    }
    if (m.info.state !== 'closed') m.info = { ...m.info, state: 'closed' };
    this.emit('info', m.info);
    return m.info;
  }

  /** Starts a closed session again with the same spec and id. */
  async restart(id: string): Promise<SessionInfo> {
    const m = this.get(id);
    if (m.info.state !== 'closed') await this.close(id);
    try {
      await this.start(m);
    } catch (err) {
      m.info = { ...m.info, state: 'closed', error: toWireError(err) };
      this.emit('info', m.info);
      throw err;
    }
    this.emit('info', m.info);
    return m.info;
  }

  /** Stops a session and forgets it. */
  async remove(id: string): Promise<void> {
    const m = this.get(id);
    this.sessions.delete(id);
    this.stopCyclic(m, false);
    m.run++;
    if (m.driver && m.info.state !== 'closed') await m.driver.close();
    this.emit('removed', id);
  }

  /** Encodes a payload for a session and sends it; with `repeatMs`, keeps sending until stopped. */
  async send(id: string, target: Target, payload: Payload, repeatMs?: number): Promise<number> {
    const m = this.live(id);
    const bytes = check('message', () => encodePayload(payload, m.info.encoding, m.frame));
    if (m.info.kind === 'udp' && typeof target === 'string' && target !== 'all' && target !== '') check('target', () => parseEndpoint(target, 'target'));
    if (repeatMs === undefined) return this.deliver(m, target, bytes);
    if (!Number.isInteger(repeatMs) || repeatMs < this.minIntervalMs || repeatMs > 86_400_000) {
      throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: `the interval must be a whole number of milliseconds from ${this.minIntervalMs} to 86400000, got '${repeatMs}'`, field: 'interval' });
    }
    this.stopCyclic(m, false);
    const delivered = await this.deliver(m, target, bytes);
    const state = { timer: setInterval(() => tick(), repeatMs), busy: false };
    state.timer.unref();
    m.cyclic = state;
    m.info = { ...m.info, cyclic: { intervalMs: repeatMs, target, sent: 1 } };
    const tick = () => {
      // a slow peer makes sends wait: skip a tick rather than queue sends without bound
      if (state.busy || m.cyclic !== state || !m.driver) return;
      state.busy = true;
      m.driver.send(target, bytes).then(
        () => {
          state.busy = false;
          if (m.info.cyclic && m.cyclic === state) m.info.cyclic.sent++;
        },
        (err) => {
          state.busy = false;
          this.emit('event', m.info.id, { event: 'error', ts: Date.now(), session: m.info.id, ...toWireError(err) }, m.info.encoding);
          this.stopCyclic(m, true);
        },
      );
    };
    this.emit('info', m.info);
    return delivered;
  }

  private async deliver(m: Managed & { driver: Driver }, target: Target, bytes: Buffer): Promise<number> {
    try {
      return await m.driver.send(target, bytes);
    } catch (err) {
      throw new HubError(toWireError(err, err instanceof UsageError ? 'target' : undefined));
    }
  }

  /** Stops a session's cyclic send. */
  stopCyclicSend(id: string): SessionInfo {
    const m = this.get(id);
    this.stopCyclic(m, true);
    return m.info;
  }

  private stopCyclic(m: Managed, announce: boolean): void {
    if (!m.cyclic) return;
    clearInterval(m.cyclic.timer);
    m.cyclic = undefined;
    const { cyclic: _gone, ...rest } = m.info;
    m.info = rest;
    if (announce) this.emit('info', m.info);
  }

  /** Disconnects one client of a server session. */
  disconnect(id: string, client: number): boolean {
    const m = this.live(id);
    if (!m.driver.disconnect) throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: 'this session has no clients to disconnect' });
    return m.driver.disconnect(client);
  }

  /** Decodes complete messages with an encoding (for pages whose browser does not know it). */
  decode(encoding: string, items: Buffer[]): string[] {
    const enc = check('encoding', () => resolveEncoding(encoding, 'encoding'));
    return items.map((b) => decodeText(b, enc));
  }

  /** Counters of every session, and the clients of servers. */
  stats(): Record<string, { counters: Counters; clients?: WireClient[]; clientsTotal?: number; cyclicSent?: number }> {
    const out: Record<string, { counters: Counters; clients?: WireClient[]; clientsTotal?: number; cyclicSent?: number }> = {};
    for (const m of this.sessions.values()) {
      if (!m.driver) continue;
      const entry: { counters: Counters; clients?: WireClient[]; clientsTotal?: number; cyclicSent?: number } = {
        counters: m.driver.counters ? m.driver.counters() : { ...m.driver.session.stats },
      };
      if (m.driver.clients && m.info.state !== 'closed') {
        const all = m.driver.clients();
        entry.clientsTotal = all.length;
        entry.clients = all.length > this.maxListedClients ? all.slice(-this.maxListedClients) : all;
      }
      if (m.info.cyclic) entry.cyclicSent = m.info.cyclic.sent;
      out[m.info.id] = entry;
    }
    return out;
  }

  /** Closes every session. */
  async closeAll(): Promise<void> {
    this.closing = true;
    const all = [...this.sessions.values()];
    for (const m of all) this.stopCyclic(m, false);
    await Promise.all(all.map((m) => (m.driver && m.info.state !== 'closed' ? m.driver.close() : undefined)));
  }
}

/** Checks every field of a spec with the core's validators; the error names the field. */
export function normaliseSpec(spec: SessionSpec): SessionSpec {
  if (!spec || typeof spec !== 'object') throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: 'missing session settings' });
  const text = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: `${field} must be text`, field });
    return v;
  };
  const optionalHost = (v: unknown) => {
    const h = text(v, 'host');
    return h === undefined ? undefined : check('host', () => parseHost(h, 'host'));
  };
  const encoding = check('encoding', () => resolveEncoding(String((spec as { encoding?: string }).encoding ?? 'utf8'), 'encoding'));
  const template = (v: unknown, field: string) => {
    const t = text(v, field);
    if (t !== undefined) check(field, () => compileTemplate(t, encoding, field));
    return t;
  };
  switch (spec.kind) {
    case 'tcp-server': {
      const frame = text(spec.frame, 'frame') ?? 'raw';
      check('frame', () => parseFrame(frame, 'frame'));
      const out: SessionSpec = { kind: 'tcp-server', port: check('port', () => parsePort(spec.port, 'port')), encoding, frame };
      const host = optionalHost(spec.host);
      if (host !== undefined) out.host = host;
      const welcome = template(spec.welcome, 'welcome');
      if (welcome !== undefined) out.welcome = welcome;
      const reply = template(spec.reply, 'reply');
      if (reply !== undefined) out.reply = reply;
      const quit = text(spec.quit, 'quit');
      if (quit !== undefined) out.quit = quit;
      if (spec.echo) out.echo = true;
      if (spec.closeAfterReply) out.closeAfterReply = true;
      if (spec.chat) out.chat = true;
      return out;
    }
    case 'tcp-client': {
      const frame = text(spec.frame, 'frame') ?? 'raw';
      check('frame', () => parseFrame(frame, 'frame'));
      const host = text(spec.host, 'host');
      if (host === undefined) throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: 'host: give the server\'s name or address', field: 'host' });
      return { kind: 'tcp-client', host: check('host', () => parseHost(host, 'host')), port: check('port', () => parsePort(spec.port, 'port', { allowZero: false })), encoding, frame };
    }
    case 'udp': {
      const out: SessionSpec = { kind: 'udp', port: check('port', () => parsePort(spec.port, 'port')), encoding };
      const host = optionalHost(spec.host);
      if (host !== undefined) out.host = host;
      const remote = text(spec.remote, 'remote');
      if (remote !== undefined) {
        const r = check('remote', () => parseEndpoint(remote, 'remote'));
        if (r.port === 0) throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: 'remote port must be from 1 to 65535', field: 'remote' });
        out.remote = remote.trim();
      }
      const reply = template(spec.reply, 'reply');
      if (reply !== undefined) out.reply = reply;
      if (spec.echo) out.echo = true;
      return out;
    }
    case 'http': {
      const root = text(spec.root, 'root');
      if (root === undefined) throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: 'give the folder to serve', field: 'root' });
      const abs = resolvePath(root);
      let isDir = false;
      try {
        isDir = statSync(abs).isDirectory();
      } catch {
        throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: `there is no folder ${abs}`, field: 'root' });
      }
      if (!isDir) throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: `${abs} is a file, not a folder`, field: 'root' });
      const out: SessionSpec = { kind: 'http', root: abs, port: check('port', () => parsePort(spec.port, 'port')) };
      const host = optionalHost(spec.host);
      if (host !== undefined) out.host = host;
      if (spec.listing === false) out.listing = false;
      return out;
    }
    default:
      throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: `this sockit cannot create '${(spec as { kind?: string }).kind}' sessions`, field: 'kind' });
  }
}

const EOL: Record<string, string> = { none: '', lf: '\n', crlf: '\r\n' };

/** The bytes a payload stands for, in a session's encoding and framing. */
export function encodePayload(payload: Payload, encoding: string, frame: FrameSpec): Buffer {
  if (!payload || typeof payload !== 'object') throw new UsageError('message: nothing to send');
  if (payload.kind === 'base64') return Buffer.from(String(payload.data ?? ''), 'base64');
  const eol = EOL[payload.eol ?? 'none'];
  if (eol === undefined) throw new UsageError(`line ending must be none, lf or crlf, got '${payload.eol}'`);
  let body: Buffer;
  if (payload.kind === 'hex') body = parseHex(String(payload.hex ?? ''), 'hex');
  else if (payload.kind === 'text') {
    const t = String(payload.text ?? '');
    body = payload.escapes ? unescapeText(t, encoding, 'message') : encodeText(t, encoding);
  } else throw new UsageError(`message: unknown payload kind '${(payload as { kind?: string }).kind}'`);
  if (eol) body = Buffer.concat([body, encodeText(eol, encoding)]);
  // a length-prefixed protocol needs its prefix; delimiters and lines are the line-ending option's business
  return frame.kind === 'len16' || frame.kind === 'len32' ? encodeFrame(frame, body) : body;
}

function createDriver(spec: SessionSpec, frame: FrameSpec, name: string): Driver {
  switch (spec.kind) {
    case 'tcp-server':
      return tcpServerDriver(spec, frame, name);
    case 'tcp-client':
      return tcpClientDriver(spec, frame, name);
    case 'udp':
      return udpDriver(spec, name);
    case 'http':
      return httpDriver(spec, name);
    default:
      throw new HubError({ code: 'SOCKIT_ERR_USAGE', message: `cannot create '${(spec as { kind?: string }).kind}' sessions`, field: 'kind' });
  }
}

function tcpServerDriver(spec: Extract<SessionSpec, { kind: 'tcp-server' }>, frame: FrameSpec, name: string): Driver {
  const server = new TcpServer({
    name, port: spec.port, host: spec.host, encoding: spec.encoding, frame,
    welcome: spec.welcome, reply: spec.reply, echo: spec.echo, closeAfterReply: spec.closeAfterReply, quit: spec.quit, chat: spec.chat,
  });
  let addresses: string[] = [];
  server.on('event', (e: SessionEvent) => {
    if (e.event === 'listening') addresses = e.addresses;
  });
  return {
    session: server,
    closed: server.closed,
    start: async () => {
      await server.listen();
    },
    send: async (target, bytes) => {
      if (target !== 'all' && typeof target !== 'number') throw new UsageError(`target must be 'all' or a client number, got '${target}'`);
      const count = server.send(bytes, target);
      if (count === 0) throw new UsageError(target === 'all' ? 'no client is connected; nothing was sent' : `client #${target} is not connected; nothing was sent`);
      return count;
    },
    close: () => server.close(),
    disconnect: (id) => server.disconnect(id, 'disconnected from the page'),
    clients: () => server.clients(),
    describe: () => ({ addresses, port: server.port }),
  };
}

function tcpClientDriver(spec: Extract<SessionSpec, { kind: 'tcp-client' }>, frame: FrameSpec, name: string): Driver {
  const client = new TcpClient({ name, host: spec.host, port: spec.port, encoding: spec.encoding, frame, connectTimeoutMs: 10_000 });
  let peer = '';
  let local = '';
  client.on('event', (e: SessionEvent) => {
    if (e.event === 'connect') {
      peer = e.peer;
      local = e.local;
    }
  });
  return {
    session: client,
    closed: client.closed,
    start: async () => {
      await client.connect();
    },
    send: async (_target, bytes) => {
      await client.send(bytes);
      return 1;
    },
    close: () => client.close(),
    describe: () => ({ peer, local }),
  };
}

function udpDriver(spec: Extract<SessionSpec, { kind: 'udp' }>, name: string): Driver {
  const remote = spec.remote ? parseEndpoint(spec.remote, 'remote') : undefined;
  const socket = new UdpSocket({
    name, port: spec.port, host: spec.host, encoding: spec.encoding, reply: spec.reply, echo: spec.echo,
    // not connected: a debugging socket hears every sender, not just the remote it sends to
    ...(remote ? { remoteHost: remote.host, remotePort: remote.port, connect: false } : {}),
  });
  let addresses: string[] = [];
  socket.on('event', (e: SessionEvent) => {
    if (e.event === 'listening') addresses = e.addresses;
  });
  return {
    session: socket,
    closed: socket.closed,
    start: async () => {
      await socket.open();
      if (addresses.length === 0) addresses = [socket.address];
    },
    send: async (target, bytes) => {
      if (target === 'all' || typeof target === 'number') {
        const count = socket.sendToPeer(bytes, target);
        if (count === 0) throw new UsageError(target === 'all' ? 'no peer yet: give an address and port to send to' : `peer #${target} is not known`);
        return count;
      }
      if (target === '') {
        // '' is the remote the socket was opened with
        await socket.send(bytes);
        return 1;
      }
      const to = parseEndpoint(target, 'target');
      await socket.send(bytes, { address: to.host, port: to.port });
      return 1;
    },
    close: () => socket.close(),
    clients: () => socket.peers().map(({ id, peer, lastSeen, bytesIn, bytesOut, messagesIn, messagesOut }) => ({ id, peer, since: lastSeen, bytesIn, bytesOut, messagesIn, messagesOut })),
    describe: () => ({ addresses, port: socket.port, ...(socket.remotePeer ? { peer: socket.remotePeer } : {}), local: socket.address }),
  };
}

function httpDriver(spec: Extract<SessionSpec, { kind: 'http' }>, name: string): Driver {
  const server = new StaticServer({ name, root: spec.root, port: spec.port, host: spec.host, listing: spec.listing });
  let bytesOut = 0;
  let answered = 0;
  let addresses: string[] = [];
  server.on('event', (e: SessionEvent) => {
    if (e.event === 'listening') addresses = e.addresses;
    else if (e.event === 'request') {
      bytesOut += e.bytes;
      answered++;
    }
  });
  return {
    session: server,
    closed: server.closed,
    start: async () => {
      await server.listen();
    },
    send: async () => {
      throw new UsageError('a static web server has nothing to send: open its address in a browser');
    },
    close: () => server.close(),
    describe: () => ({ addresses, port: server.port }),
    counters: () => ({ ...server.stats, bytesOut, messagesOut: answered }),
  };
}
