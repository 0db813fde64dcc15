// The UDP session: a listener that answers each datagram's sender, or a socket aimed at one peer; broadcast and multicast.
import dgram from 'node:dgram';
import net from 'node:net';
import { fieldError, isNoIpv6, SockitError, UsageError } from '../errors.js';
import { bindErrorFrom } from '../system-errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { Session, shownText, type SessionEvent, type TextOptions } from './session.js';
import { buildBlockList, type AccessLists } from './access.js';
import { unmapAddress } from './address.js';
import type { BehaviourOptions } from './behaviour.js';
import { Conversation, type ReadSettings } from './conversation.js';
import { bindFailure, servedAddresses } from './listen.js';
import { resolveHost } from './resolve.js';
import { checkDatagramSize, isMulticast, udpErrorFrom } from './udp-datagram.js';

export { MAX_DATAGRAM_IPV4, MAX_DATAGRAM_IPV6, checkDatagramSize, maxDatagramBytes, udpErrorFrom } from './udp-datagram.js';

/** How a UDP session binds, where it sends, and how it answers (rules first, then `reply` or `echo`). */
export interface UdpSocketOptions extends AccessLists, Pick<BehaviourOptions, 'rules' | 'rulesFile'>, TextOptions {
  /** Local port (0 or omitted: any free one). */
  port?: number;
  /** Local address. Omitted: every interface, IPv4 and IPv6 (or the remote's family). */
  host?: string;
  /** Aim the socket at one peer: {@link UdpSocket.send} without a target goes there. */
  remoteHost?: string;
  remotePort?: number;
  /**
   * Connect the socket to the remote (default: yes, unless broadcasting or sending to a group).
   * A connected socket hears ICMP "port unreachable" and only receives from that peer.
   */
  connect?: boolean;
  /** Answer each datagram (a template: `{data}`, `{peer}`, `{n}`), to its sender. */
  reply?: string;
  /** Answer each datagram with its exact bytes. */
  echo?: boolean;
  /** Allow sending to broadcast addresses (SO_BROADCAST). */
  broadcast?: boolean;
  /** Multicast groups to join. */
  join?: string[];
  /** Local interface address for multicast: the groups are joined there and datagrams leave by it. */
  multicastInterface?: string;
  /** Hops a multicast datagram may take (0: this host only). */
  multicastTtl?: number;
  /** Share the port with other sockets (SO_REUSEADDR); the default when joining groups, as multicast receivers do. */
  reuseAddress?: boolean;
  name?: string;
}

/** A target for one datagram. */
export interface UdpTarget {
  address: string;
  port: number;
}

/** What a UDP session knows about a peer it heard from or sent to. */
export interface UdpPeerInfo {
  id: number;
  peer: string;
  address: string;
  port: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  lastSeen: number;
}

// peers are remembered for stdin targets and numbering; a flood of sources must not grow memory without end
const MAX_PEERS = 10000;
// replies wait in the kernel's and Node's queue; past this, a flood's replies are dropped, as UDP would
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
let udpCount = 0;

/** A peer heard from or sent to: its datagrams are messages, answered by the session's behaviour. */
class Peer extends Conversation implements UdpPeerInfo {
  lastSeen = Date.now();

  constructor(
    private readonly udp: UdpSocket,
    settings: ReadSettings,
    id: number,
    readonly key: string,
    readonly address: string,
    readonly port: number,
  ) {
    super(settings, id, formatEndpoint(unmapAddress(address), port));
  }

  write(bytes: Buffer): void {
    this.udp.replyTo(this, bytes);
  }

  /** UDP has no connection to end: the peer is forgotten (numbered anew if it comes back). */
  end(_reason: string): void {
    this.udp.forget(this);
  }

  destroy(reason: string): void {
    this.end(reason);
  }

  protected isClosed(): boolean {
    return false;
  }

  /** The counters, as a plain record. */
  peerInfo(): UdpPeerInfo {
    return { ...this.info(), address: this.address, port: this.port, lastSeen: this.lastSeen };
  }
}

/** A bound UDP socket. Create with {@link listenUdp} or {@link openUdp}. */
export class UdpSocket extends Session {
  readonly options: Readonly<UdpSocketOptions>;
  private socket: dgram.Socket | undefined;
  private readonly peersByKey = new Map<string, Peer>();
  private readonly peersById = new Map<number, Peer>();
  private nextId = 1;
  private readonly settings: ReadSettings;
  private readonly blockList: ReturnType<typeof buildBlockList>;
  private readonly encoding: string;
  private target: UdpTarget | undefined;
  private targetName = '';
  private connected = false;
  private boundPort = 0;
  private boundAddress = '';
  private refusals = 0;
  private lastDropReport = 0;
  private closing = false;

  constructor(options: UdpSocketOptions) {
    super(options.name ?? `udp-${++udpCount}`);
    this.options = options;
    this.encoding = options.encoding ?? 'utf8';
    const behaviour = this.behaviourOf({ reply: options.reply, echo: options.echo, rules: options.rules, rulesFile: options.rulesFile }, this.encoding, { kind: 'raw' });
    this.settings = {
      session: this,
      emit: (e) => this.emitEvent(e),
      frame: { kind: 'raw' },
      maxFrameBytes: Number.MAX_SAFE_INTEGER,
      encoding: this.encoding,
      ...shownText(options),
      wholeMessages: true,
      behaviour: behaviour.active ? behaviour : undefined,
    };
    this.blockList = buildBlockList(options);
    if ((options.remoteHost === undefined) !== (options.remotePort === undefined)) {
      throw new UsageError('a UDP remote needs both a host and a port');
    }
    if (options.multicastTtl !== undefined && (!Number.isInteger(options.multicastTtl) || options.multicastTtl < 0 || options.multicastTtl > 255)) {
      throw fieldError('multicastTtl', `must be a whole number from 0 to 255, got '${options.multicastTtl}'`);
    }
    for (const group of options.join ?? []) {
      if (!net.isIP(group) || !isMulticast(group)) throw fieldError('join', `: '${group}' is not a multicast group address (224.0.0.0/4 or ff00::/8)`);
    }
  }

  /** The local port actually bound (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** The local address actually bound. */
  get address(): string {
    return this.boundAddress;
  }

  /** How many ICMP "port unreachable" answers arrived (connected sockets only). */
  get refused(): number {
    return this.refusals;
  }

  /** The resolved address and port this socket is aimed at, if any. */
  get remote(): UdpTarget | undefined {
    return this.target;
  }

  /** The remote this socket is aimed at, as `host:port`, or '' when it has none. */
  get remotePeer(): string {
    return this.targetName;
  }

  /** True when the socket is connected to its remote (it then hears "port unreachable"). */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Resolves the remote, binds, joins groups and connects. Rejects with a Bind/ConnectError sentence. */
  async open(): Promise<this> {
    const o = this.options;
    let family: 4 | 6 | undefined;
    if (o.host !== undefined) {
      const local = net.isIP(o.host);
      if (local) family = local as 4 | 6;
      else family = (await resolveHost(o.host, o.port ?? 0).catch((err) => {
        throw bindErrorFrom((err as SockitError).cause ?? err, o.host!, o.port ?? 0);
      })).family;
    }
    if (o.remoteHost !== undefined) {
      const r = await resolveHost(o.remoteHost, o.remotePort!, family);
      this.target = { address: r.address, port: o.remotePort! };
      this.targetName = formatEndpoint(unmapAddress(r.address), o.remotePort!);
      family ??= r.family;
    }
    // an IPv4 group can only be joined from an IPv4 socket
    if (family === undefined && o.join?.length) family = net.isIPv4(o.join[0]!) ? 4 : 6;
    const localHost = o.host ?? (family === 4 ? '0.0.0.0' : '::');
    try {
      await this.bind(family === 4 ? 'udp4' : 'udp6', localHost, o.port ?? 0);
    } catch (err) {
      if (family === undefined && isNoIpv6(err)) {
        // no IPv6 on this machine: IPv4 only
        try {
          await this.bind('udp4', '0.0.0.0', o.port ?? 0);
        } catch (e2) {
          throw await bindFailure(e2, '0.0.0.0', o.port ?? 0, { protocol: 'udp' });
        }
      } else {
        throw await bindFailure(err, localHost, o.port ?? 0, { protocol: 'udp' });
      }
    }
    const socket = this.socket!;
    try {
      this.configure(socket);
    } catch (err) {
      socket.close();
      throw err;
    }
    const addr = socket.address();
    this.boundPort = addr.port;
    this.boundAddress = addr.address;
    const wantConnect = o.connect ?? (this.target !== undefined && !o.broadcast && !isMulticast(this.target.address));
    if (this.target && wantConnect) {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(udpErrorFrom(err, o.remoteHost!, this.target!.port));
        socket.once('error', onError);
        socket.connect(this.target!.port, this.target!.address, () => {
          socket.off('error', onError);
          resolve();
        });
      }).catch((err) => {
        socket.close();
        throw err;
      });
      this.connected = true;
    }
    socket.on('error', (err) => this.onSocketError(err as NodeJS.ErrnoException));
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    if (this.target) {
      this.emitEvent({ event: 'connect', peer: this.targetName, id: 1, local: formatEndpoint(addr.address, addr.port) });
    } else {
      this.announceListening('udp', addr.address, addr.port, servedAddresses(o.host, addr.address));
    }
    return this;
  }

  private bind(type: 'udp4' | 'udp6', address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // multicast receivers share their port by custom, so joining implies SO_REUSEADDR unless told otherwise
      const reuseAddr = this.options.reuseAddress ?? Boolean(this.options.join?.length);
      const socket = dgram.createSocket({ type, ipv6Only: false, reuseAddr });
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind({ port, address, exclusive: true }, () => {
        socket.removeAllListeners('error');
        this.socket = socket;
        resolve();
      });
    });
  }

  private configure(socket: dgram.Socket): void {
    const o = this.options;
    if (o.broadcast) socket.setBroadcast(true);
    if (o.multicastTtl !== undefined) socket.setMulticastTTL(o.multicastTtl);
    if (o.multicastInterface !== undefined) {
      try {
        socket.setMulticastInterface(o.multicastInterface);
      } catch (err) {
        throw fieldError('multicastInterface', `: cannot send multicast by '${o.multicastInterface}': ${(err as Error).message}`);
      }
    }
    for (const group of o.join ?? []) {
      try {
        socket.addMembership(group, o.multicastInterface);
      } catch (err) {
        throw new SockitError('SOCKIT_ERR_NETWORK', `could not join the multicast group ${group}${o.multicastInterface ? ` on ${o.multicastInterface}` : ''}: ${(err as Error).message}`, {
          cause: err,
          hint: 'the group must match the socket\'s family; name the interface address with --iface',
          exitCode: 3,
        });
      }
    }
  }

  private onSocketError(err: NodeJS.ErrnoException): void {
    if (err.code === 'ECONNREFUSED' && this.target) {
      this.refusals++;
      const e = udpErrorFrom(err, this.options.remoteHost!, this.target.port);
      this.emitEvent({ event: 'error', code: e.code, message: e.message, hint: e.hint, peer: this.targetName, id: 1 });
      return;
    }
    this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_NETWORK', message: `UDP socket error: ${err.message}` });
  }

  private peerFor(address: string, port: number): Peer {
    const key = `${address}|${port}`;
    let peer = this.peersByKey.get(key);
    if (peer) return peer;
    peer = new Peer(this, this.settings, this.nextId++, key, address, port);
    if (this.peersByKey.size >= MAX_PEERS) this.forget(this.peersByKey.values().next().value as Peer);
    this.peersByKey.set(key, peer);
    this.peersById.set(peer.id, peer);
    this.stats.connections++;
    this.stats.active = this.peersByKey.size;
    return peer;
  }

  /** Forgets a peer (the oldest, when the table is full). */
  forget(peer: Peer): void {
    if (this.peersByKey.get(peer.key) !== peer) return;
    this.peersByKey.delete(peer.key);
    this.peersById.delete(peer.id);
    this.stats.active = this.peersByKey.size;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.blockList && !this.blockList.allows(rinfo.address)) return;
    const peer = this.peerFor(rinfo.address, rinfo.port);
    peer.lastSeen = Date.now();
    peer.read(msg);
  }

  /** Sends a datagram to a peer that wrote to us: too large is an error event, a flooded queue drops. */
  replyTo(peer: Peer, bytes: Buffer): void {
    try {
      checkDatagramSize(bytes.length, peer.address);
    } catch (err) {
      const e = err as SockitError;
      this.emitEvent({ event: 'error', code: e.code, message: `reply to ${peer.peer}: ${e.message}`, peer: peer.peer, id: peer.id });
      return;
    }
    const socket = this.socket;
    if (!socket || this.closing) return;
    if (socket.getSendQueueSize() + bytes.length > MAX_QUEUED_BYTES) {
      const now = Date.now();
      if (now - this.lastDropReport >= 1000) {
        this.lastDropReport = now;
        this.emitEvent({ event: 'error', ts: now, code: 'SOCKIT_ERR_SLOW_READER', message: `replies are queued faster than they can be sent; dropping some (UDP does not wait)`, peer: peer.peer, id: peer.id });
      }
      return;
    }
    this.transmit(socket, peer, bytes, (err) => {
      if (err) {
        const e = udpErrorFrom(err, peer.address, peer.port);
        this.emitEvent({ event: 'error', code: e.code, message: e.message, hint: e.hint, peer: peer.peer, id: peer.id });
      }
    });
  }

  private transmit(socket: dgram.Socket, peer: Peer, bytes: Buffer, done: (err: Error | null) => void): void {
    peer.countWritten(bytes);
    if (this.connected) socket.send(bytes, (err) => done(err));
    else socket.send(bytes, peer.port, peer.address, (err) => done(err));
  }

  /**
   * Sends one datagram, to `to` or else to the remote. Throws at once (DatagramTooLargeError,
   * UsageError) when it cannot be sent; resolves when the kernel took it, rejects with a sentence
   * when it refused (no route, broadcast without permission, "port unreachable" from before).
   */
  send(data: Buffer, to?: UdpTarget): Promise<void> {
    const socket = this.socket;
    if (!socket || this.closing) throw new UsageError('the UDP socket is not open');
    const target = to ?? this.target;
    if (!target) throw new UsageError('no target: give an address and port, or open the socket with a remote');
    if (this.connected && to && !(to.address === this.target!.address && to.port === this.target!.port)) {
      throw new UsageError(`this socket is connected to ${this.targetName}; it cannot send elsewhere`);
    }
    checkDatagramSize(data.length, target.address);
    const peer = this.peerFor(target.address, target.port);
    return new Promise((resolve, reject) => {
      this.transmit(socket, peer, data, (err) => {
        if (!err) return resolve();
        const name = to ? target.address : this.options.remoteHost ?? target.address;
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') this.refusals++;
        reject(udpErrorFrom(err, name, target.port));
      });
    });
  }

  /** Sends one datagram to a peer heard from (by id) or to every such peer. Returns how many it went to. */
  sendToPeer(data: Buffer, target: number | 'all' = 'all'): number {
    if (target === 'all') {
      for (const peer of this.peersByKey.values()) this.replyTo(peer, data);
      return this.peersByKey.size;
    }
    const peer = this.peersById.get(target);
    if (!peer) return 0;
    this.replyTo(peer, data);
    return 1;
  }

  /** The peers heard from or sent to, oldest first (the most recent {@link MAX_PEERS}). */
  peers(): UdpPeerInfo[] {
    return [...this.peersByKey.values()].map((p) => p.peerInfo());
  }

  /** Closes the socket, emits `summary` once and resolves when done. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      const finish = () => this.finish();
      if (this.socket) {
        for (const group of this.options.join ?? []) {
          try {
            this.socket.dropMembership(group, this.options.multicastInterface);
          } catch {
            // leaving a group can fail once the interface went away; closing leaves it anyway
          }
        }
        this.socket.close(finish);
      } else {
        finish();
      }
    }
    return this.closed;
  }
}

/** Creates a UDP listener and binds it: every interface unless `host` is given. */
export async function listenUdp(options: UdpSocketOptions, onEvent?: (e: SessionEvent) => void): Promise<UdpSocket> {
  const socket = new UdpSocket(options);
  if (onEvent) socket.on('event', onEvent);
  return socket.open();
}

/** Opens a UDP socket aimed at `remoteHost:remotePort` (connected unless broadcasting or multicasting). */
export async function openUdp(options: UdpSocketOptions & { remoteHost: string; remotePort: number }, onEvent?: (e: SessionEvent) => void): Promise<UdpSocket> {
  const socket = new UdpSocket(options);
  if (onEvent) socket.on('event', onEvent);
  return socket.open();
}
