// The UDP relay session: one upstream socket per client address, forgotten after an idle time, in a bounded table; datagrams lost, duplicated, reordered and delayed on purpose.
import dgram from 'node:dgram';
import { isNoIpv6, UsageError } from '../errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { buildBlockList, type AccessLists } from './access.js';
import { unmapAddress } from './address.js';
import type { ReadSettings } from './conversation.js';
import { DirectionReader } from './direction-reader.js';
import { DatagramShaper, type DatagramFaultCounts } from './faults.js';
import { bindFailure } from './listen.js';
import type { RelayInfo } from './relay.js';
import { RelaySession, type RelayEndpoints, type RelayFaultOptions } from './relay-session.js';
import { resolveHost } from './resolve.js';
import type { SessionEvent } from './session.js';
import { udpErrorFrom } from './udp-datagram.js';

/** How a UDP relay listens, where it relays, and what it shows. */
export interface UdpProxyOptions extends AccessLists, RelayEndpoints, RelayFaultOptions {
  /** A client silent this long is forgotten and its upstream socket closed (default 60 s). */
  idleTimeoutMs?: number;
  /** At most this many clients at once; the longest silent is forgotten for a new one (default 1024). */
  maxClients?: number;
  name?: string;
}

/** A client of a UDP relay: its counters, and what the faults did to its datagrams. */
export interface UdpRelayInfo extends RelayInfo {
  faultCounts: { up: DatagramFaultCounts; down: DatagramFaultCounts };
}

const DEFAULT_IDLE_MS = 60_000;
const DEFAULT_MAX_CLIENTS = 1024;
/** Datagrams kept for a new client while its upstream socket connects (a local step: a few at most). */
const MAX_EARLY = 64;
let udpProxyCount = 0;

/** One client address and the upstream socket that speaks for it to the target. */
class Mapping {
  readonly since = Date.now();
  readonly up: DirectionReader;
  readonly down: DirectionReader;
  readonly upShaper: DatagramShaper;
  readonly downShaper: DatagramShaper;
  readonly upstream: dgram.Socket;
  readonly timer: NodeJS.Timeout;
  refusedTold = false;
  /** Datagrams that came before the upstream socket was connected (a few, bounded). */
  private early: Buffer[] | undefined = [];

  constructor(
    private readonly relay: UdpProxy,
    readonly id: number,
    readonly key: string,
    readonly address: string,
    readonly port: number,
    readers: { up: ReadSettings; down: ReadSettings },
  ) {
    const peer = formatEndpoint(unmapAddress(address), port);
    this.up = new DirectionReader(readers.up, id, peer);
    this.down = new DirectionReader(readers.down, id, peer);
    this.upstream = dgram.createSocket(relay.targetFamily === 6 ? 'udp6' : 'udp4');
    this.upShaper = new DatagramShaper(() => relay.faults('up'), (d) => this.toTarget(d), relay.random);
    this.downShaper = new DatagramShaper(() => relay.faults('down'), (d) => {
      // the client's side of the relay, as a capture records it: what it was sent, after the faults
      relay.wireTap?.('out', id, this.peer, d);
      relay.sendToClient(d, port, address);
    }, relay.random);
    this.upstream.on('message', (msg) => {
      this.timer.refresh();
      this.down.read(msg);
      this.downShaper.push(msg);
    });
    this.upstream.on('error', (err) => relay.upstreamError(this, err));
    this.timer = setTimeout(() => relay.forget(this, `idle for ${relay.idleTimeoutMs / 1000} s`), relay.idleTimeoutMs);
    this.timer.unref();
  }

  get peer(): string {
    return this.up.peer;
  }

  private toTarget(d: Buffer): void {
    if (this.early === undefined) this.upstream.send(d);
    else if (this.early.length < MAX_EARLY) this.early.push(d);
  }

  /** The upstream socket is connected: what waited goes out. */
  connected(): void {
    const early = this.early ?? [];
    this.early = undefined;
    for (const d of early) this.upstream.send(d);
  }

  /** A datagram from the client, toward the target. */
  fromClient(msg: Buffer): void {
    this.timer.refresh();
    this.up.read(msg);
    this.upShaper.push(msg);
  }

  close(): void {
    clearTimeout(this.timer);
    this.upShaper.stop();
    this.downShaper.stop();
    this.upstream.close();
  }

  info(): UdpRelayInfo {
    return {
      id: this.id, peer: this.peer, since: this.since, target: this.relay.target,
      bytesIn: this.up.bytesIn, bytesOut: this.down.bytesIn, messagesIn: this.up.messagesIn, messagesOut: this.down.messagesIn,
      faultCounts: { up: { ...this.upShaper.counts }, down: { ...this.downShaper.counts } },
    };
  }
}

/** A listening UDP relay. Create with {@link startUdpProxy}. */
export class UdpProxy extends RelaySession {
  readonly options: Readonly<UdpProxyOptions>;
  readonly idleTimeoutMs: number;
  /** 4 or 6: the family of the target's address (upstream sockets are of that family). */
  targetFamily: 4 | 6 = 4;
  private targetAddress = '';
  private socket: dgram.Socket | undefined;
  private readonly readers: { up: ReadSettings; down: ReadSettings };
  // insertion order is recency: a datagram moves its client to the end, so the first is the longest silent
  private readonly mappings = new Map<string, Mapping>();
  private readonly byId = new Map<number, Mapping>();
  private readonly blockList: ReturnType<typeof buildBlockList>;
  private readonly maxClients: number;
  private nextId = 1;
  private closing = false;

  constructor(options: UdpProxyOptions) {
    super(options.name ?? `udp-proxy-${++udpProxyCount}`, options);
    if (!options.targetHost) throw new UsageError('the proxy needs a target host');
    if (!Number.isInteger(options.targetPort) || options.targetPort < 1 || options.targetPort > 65535) {
      throw new UsageError(`the target port must be a whole number from 1 to 65535, got '${options.targetPort}'`);
    }
    this.options = options;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
    this.maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    if (!Number.isInteger(this.maxClients) || this.maxClients < 1) throw new UsageError(`maxClients must be a whole number of 1 or more, got '${options.maxClients}'`);
    this.readers = this.relayReaders(options, { up: { kind: 'raw' }, down: { kind: 'raw' } }, Number.MAX_SAFE_INTEGER, true);
    this.blockList = buildBlockList(options);
  }

  /** Where datagrams are relayed to, as `host:port` (the resolved address once started). */
  get target(): string {
    return formatEndpoint(this.targetAddress || this.options.targetHost, this.options.targetPort);
  }

  /** Resolves the target and binds. Rejects with a Connect or BindError sentence. */
  async listen(): Promise<this> {
    const o = this.options;
    const resolved = await resolveHost(o.targetHost, o.targetPort);
    this.targetFamily = resolved.family;
    this.targetAddress = resolved.address;
    const host = o.host ?? '::';
    try {
      await this.bind(host);
    } catch (err) {
      if (o.host !== undefined || !isNoIpv6(err)) throw await bindFailure(err, o.host ?? '::', o.port, { protocol: 'udp' });
      try {
        await this.bind('0.0.0.0');
      } catch (e2) {
        throw await bindFailure(e2, '0.0.0.0', o.port, { protocol: 'udp' });
      }
    }
    const socket = this.socket!;
    socket.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
    socket.on('error', (err) => this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_NETWORK', message: `UDP socket error: ${err.message}` }));
    const addr = socket.address();
    this.boundPort = addr.port;
    this.announceListening('udp-proxy', addr.address, addr.port, o.host === undefined && addr.address === '::' ? ['0.0.0.0', '::'] : [addr.address]);
    this.announceFaults(true);
    return this;
  }

  private bind(address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', ipv6Only: false });
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind({ port: this.options.port, address, exclusive: true }, () => {
        socket.removeAllListeners('error');
        this.socket = socket;
        resolve();
      });
    });
  }

  private fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closing) return;
    const key = `${rinfo.address}|${rinfo.port}`;
    let m = this.mappings.get(key);
    if (m) {
      // most recent last: the table forgets the longest silent first
      this.mappings.delete(key);
      this.mappings.set(key, m);
    } else {
      if (this.blockList && !this.blockList.allows(rinfo.address)) return;
      if (this.mappings.size >= this.maxClients) {
        this.forget(this.mappings.values().next().value as Mapping, `forgotten for a new client: the table holds at most ${this.maxClients}`);
      }
      m = this.open(key, rinfo);
    }
    m.fromClient(msg);
  }

  private open(key: string, rinfo: dgram.RemoteInfo): Mapping {
    const m = new Mapping(this, this.nextId++, key, rinfo.address, rinfo.port, this.readers);
    this.mappings.set(key, m);
    this.byId.set(m.id, m);
    this.stats.connections++;
    this.stats.active = this.mappings.size;
    const local = this.socket!.address();
    if (this.observed) this.emitEvent({ event: 'connect', peer: m.peer, id: m.id, local: formatEndpoint(unmapAddress(local.address), local.port) });
    m.upstream.connect(this.options.targetPort, this.targetAddress, () => {
      m.connected();
      if (!this.observed) return;
      const u = m.upstream.address();
      this.emitEvent({ event: 'target', peer: m.peer, id: m.id, target: this.target, local: formatEndpoint(u.address, u.port), connectMs: 0 });
    });
    return m;
  }

  /** Sends a datagram from the target back to its client, through the listening socket. */
  sendToClient(datagram: Buffer, port: number, address: string): void {
    this.socket?.send(datagram, port, address);
  }

  /** The target answered "port unreachable" (or something failed): said once per client. */
  upstreamError(m: Mapping, err: NodeJS.ErrnoException): void {
    if (err.code === 'ECONNREFUSED') {
      if (m.refusedTold) return;
      m.refusedTold = true;
    }
    const e = udpErrorFrom(err, this.options.targetHost, this.options.targetPort);
    this.emitEvent({ event: 'error', code: e.code, message: `#${m.id} ${m.peer}: ${e.message}`, hint: e.hint, peer: m.peer, id: m.id });
  }

  /** Forgets a client: its upstream socket closes and its close event says why. */
  forget(m: Mapping, reason: string): void {
    if (this.mappings.get(m.key) !== m) return;
    this.mappings.delete(m.key);
    this.byId.delete(m.id);
    m.close();
    this.stats.active = this.mappings.size;
    const info = m.info();
    this.emitEvent({ event: 'close', peer: m.peer, id: m.id, reason, bytesIn: info.bytesIn, bytesOut: info.bytesOut, closedBy: 'proxy', how: 'timeout' });
  }

  protected refault(): void {
    // datagram shapers read the faults for each datagram: nothing to tell them
  }

  connections(): UdpRelayInfo[] {
    return [...this.byId.values()].map((m) => m.info());
  }

  disconnect(id: number, reason = 'forgotten by the proxy'): boolean {
    const m = this.byId.get(id);
    if (!m) return false;
    this.forget(m, reason);
    return true;
  }

  /** Forgets every client, closes the socket, emits `summary`. */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const m of [...this.mappings.values()]) this.forget(m, 'proxy shutting down');
      const socket = this.socket;
      if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
      this.finish();
    }
    return this.closed;
  }
}

/** Creates a UDP relay session and binds it. */
export async function startUdpProxy(options: UdpProxyOptions, onEvent?: (e: SessionEvent) => void): Promise<UdpProxy> {
  const proxy = new UdpProxy(options);
  if (onEvent) proxy.on('event', onEvent);
  return proxy.listen();
}
