// The TCP relay session: each client gets a connection to the target; both directions shown, shaped by faults that can change while it runs.
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { SockitError } from '../errors.js';
import { UsageError } from '../errors.js';
import { connectErrorFrom } from '../system-errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { DEFAULT_MAX_FRAME_BYTES, type FrameSpec } from '../wire/framing.js';
import { buildBlockList, type AccessLists } from './access.js';
import { localOf, peerOf } from './address.js';
import type { ReadSettings } from './conversation.js';
import type { CloseHow } from './events.js';
import { inPlaceReads, plainClient, Relay, resetSide, type RelayHost, type RelayInfo, type RelaySide } from './relay.js';
import { RelaySession, type RelayEndpoints, type RelayFaultOptions } from './relay-session.js';
import type { SessionEvent } from './session.js';
import { UdpProxy, type UdpProxyOptions } from './udp-proxy.js';
import { describeTlsPeer } from './tls-info.js';

export type { RelayInfo } from './relay.js';

/** How a relay speaks TLS to its target. */
export interface TargetTlsOptions {
  /** Verify the target's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** The name sent in SNI and checked against the certificate (default: the target host, unless it is an IP address). */
  servername?: string;
  /** Certificates to trust (PEM) instead of the system's. */
  ca?: string | Buffer;
}

/** How a TCP relay listens, where it relays, what it shows and which faults it inflicts. */
export interface ProxyOptions extends AccessLists, RelayEndpoints, RelayFaultOptions {
  /** What one message is, in both directions, for display (default raw: one read). */
  frame?: FrameSpec;
  /** Framing of what clients send, when it differs. */
  upFrame?: FrameSpec;
  /** Framing of what the target sends, when it differs. */
  downFrame?: FrameSpec;
  maxFrameBytes?: number;
  maxConnections?: number;
  /** Close a relayed connection silent for this long (both ends). */
  idleTimeoutMs?: number;
  /** Give up on a target that does not accept within this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Reset (RST) a client whose target cannot be reached, instead of closing it (FIN). */
  resetOnFail?: boolean;
  /** Accept TLS from clients with this key and certificate (PEM); the relay shows the decrypted bytes. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Speak TLS to the target. */
  targetTls?: TargetTlsOptions;
  name?: string;
}

let proxyCount = 0;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** What a failed target connection was, as a close note. */
function failureHow(err: SockitError): CloseHow {
  if (err.code === 'SOCKIT_ERR_TIMEOUT') return 'timeout';
  if (err.code === 'SOCKIT_ERR_REFUSED' || err.code === 'SOCKIT_ERR_HOST_NOT_FOUND' || err.code === 'SOCKIT_ERR_UNREACHABLE') return 'refused';
  if (err.code === 'SOCKIT_ERR_RESET') return 'rst';
  return 'error';
}

/** A listening TCP relay. Create with {@link startProxy}. */
export class TcpProxy extends RelaySession implements RelayHost {
  readonly options: Readonly<ProxyOptions>;
  readonly readers: { readonly up: ReadSettings; readonly down: ReadSettings };
  readonly idleTimeoutMs: number | undefined;
  private readonly relays = new Map<number, Relay>();
  private readonly blockList: ReturnType<typeof buildBlockList>;
  private readonly secureContext: tls.SecureContext | undefined;
  private nextId = 1;
  private closing = false;

  constructor(options: ProxyOptions) {
    super(options.name ?? `proxy-${++proxyCount}`, options);
    if (!options.targetHost) throw new UsageError('the proxy needs a target host');
    if (!Number.isInteger(options.targetPort) || options.targetPort < 1 || options.targetPort > 65535) {
      throw new UsageError(`the target port must be a whole number from 1 to 65535, got '${options.targetPort}'`);
    }
    this.options = options;
    const frame = options.frame ?? { kind: 'raw' };
    this.readers = this.relayReaders(options, { up: options.upFrame ?? frame, down: options.downFrame ?? frame }, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.blockList = buildBlockList(options);
    this.secureContext = options.tls ? tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert }) : undefined;
  }

  /** Where clients are relayed to, as `host:port`. */
  get target(): string {
    return formatEndpoint(this.options.targetHost, this.options.targetPort);
  }

  protected refault(): void {
    for (const r of this.relays.values()) r.refault();
  }

  /** Binds. Rejects with a BindError naming the address (and who holds the port). */
  async listen(): Promise<this> {
    const { host, port } = this.options;
    await this.listenOn('proxy', host, port, (h) => this.bind(h, port));
    this.announceFaults(true);
    return this;
  }

  private async bind(host: string, port: number): Promise<void> {
    // a plain client is not read until its target answers; a TLS client is read for its handshake
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: !this.secureContext, noDelay: true }, (s) => this.accept(s));
    await this.addServer(server, host, port);
  }

  private accept(raw: net.Socket): void {
    if (this.closing) {
      raw.destroy();
      return;
    }
    const client: RelaySide = this.secureContext ? { stream: new tls.TLSSocket(raw, { isServer: true, secureContext: this.secureContext }), raw } : plainClient(raw);
    const relay = new Relay(this, this.nextId++, peerOf(client.raw), client);
    this.admitPeer(this.relays, relay, { local: localOf(client.raw) });
    const address = client.raw.remoteAddress ?? '';
    if (this.blockList && !this.blockList.allows(address)) return relay.close(`refused: ${address} is not allowed by --allow/--deny`, true);
    if (this.options.maxConnections !== undefined && this.stats.active > this.options.maxConnections) {
      return relay.close(`refused: already ${this.options.maxConnections} clients (--max-conns)`, true);
    }
    const refuse = this.faultSettings.refuse;
    if (refuse && this.random() < refuse) return relay.close('refused by the proxy (refuse fault)', true);
    this.connectTarget(relay);
  }

  /** Opens the target connection for a relay; TLS when asked. Starts relaying once both ends are ready. */
  private connectTarget(relay: Relay): void {
    const { targetHost: host, targetPort: port } = this.options;
    const started = performance.now();
    const plain = !this.options.targetTls;
    const raw = net.connect({ host, port, allowHalfOpen: true, noDelay: true, ...(plain ? { onread: inPlaceReads } : {}) });
    // a plain target reads in place from the moment it connects: not before its relay starts
    if (plain) raw.pause();
    relay.connecting = raw;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      relay.connecting = undefined;
      raw.destroy();
      const e = connectErrorFrom(err, host, port);
      this.emitEvent({ event: 'error', code: e.code, message: `#${relay.id} ${relay.peer}: ${e.message}`, hint: e.hint, peer: relay.peer, id: relay.id });
      relay.fail(failureHow(e), e.message, this.options.resetOnFail === true);
    };
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { code: 'SOCKIT_TIMEOUT' })), timeoutMs);
    timer.unref();
    raw.once('error', fail);
    const clientReady = this.secureContext ? new Promise<boolean>((resolve) => {
      relay.client.stream.once('secure', () => resolve(true));
      relay.client.stream.once('close', () => resolve(false));
    }) : Promise.resolve(true);
    const ready = (stream: net.Socket) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      relay.connecting = undefined;
      raw.off('error', fail);
      stream.off('error', fail);
      void clientReady.then((ok) => {
        if (!ok) {
          resetSide({ stream, raw });
          return;
        }
        const target = formatEndpoint(raw.remoteAddress ?? host, raw.remotePort ?? port);
        const tlsInfo = stream instanceof tls.TLSSocket ? describeTlsPeer(stream) : undefined;
        if (this.observed) {
          this.emitEvent({ event: 'target', peer: relay.peer, id: relay.id, target: peerOf(raw) || target, local: localOf(raw), connectMs: Math.round((performance.now() - started) * 10) / 10, ...(tlsInfo ? { tls: tlsInfo } : {}) });
        }
        relay.attach({ stream, raw, inPlace: plain }, target);
      });
    };
    raw.once('connect', () => {
      const t = this.options.targetTls;
      if (!t) return ready(raw);
      const stream = tls.connect({
        socket: raw,
        servername: t.servername ?? (net.isIP(host) ? undefined : host),
        rejectUnauthorized: t.rejectUnauthorized ?? true,
        ca: t.ca,
      });
      stream.once('error', fail);
      stream.once('secureConnect', () => ready(stream));
    });
  }

  /** A relay's ends are both closed: forget it, say why, and end the session if it was the last while closing. */
  relayClosed(relay: Relay): void {
    const { reason, closedBy, how } = relay.closing();
    const { bytesIn, bytesOut } = relay.info();
    const why = this.closing && !closedBy ? 'proxy shutting down' : reason;
    this.releasePeer(this.relays, relay, { reason: why, bytesIn, bytesOut, ...(closedBy ? { closedBy, how } : {}) }, this.closing);
  }

  /** The relayed connections, oldest first. */
  connections(): RelayInfo[] {
    return [...this.relays.values()].map((r) => r.info());
  }

  /** Closes one connection (FIN to both ends, or RST with `reset`); false if there is no such connection. */
  disconnect(id: number, reason = 'closed by the proxy', reset = false): boolean {
    const relay = this.relays.get(id);
    if (!relay) return false;
    relay.close(reason, reset);
    return true;
  }

  /** Stops accepting, closes every connection (FIN, forcibly after `graceMs`), emits `summary` and resolves when all is closed. */
  async close(graceMs = 2000): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const s of this.servers) s.close();
      this.endPeers(this.relays, graceMs, (r) => r.close('proxy shutting down'), (r) => r.abort(false));
    }
    return this.closed;
  }
}

/** Creates a relay session and binds it: TCP, or UDP with `udp: true`. */
export async function startProxy(options: ProxyOptions & { udp?: false }, onEvent?: (e: SessionEvent) => void): Promise<TcpProxy>;
export async function startProxy(options: UdpProxyOptions & { udp: true }, onEvent?: (e: SessionEvent) => void): Promise<UdpProxy>;
export async function startProxy(options: (ProxyOptions & { udp?: false }) | (UdpProxyOptions & { udp: true }), onEvent?: (e: SessionEvent) => void): Promise<TcpProxy | UdpProxy> {
  const proxy = options.udp ? new UdpProxy(options) : new TcpProxy(options);
  if (onEvent) proxy.on('event', onEvent);
  return proxy.listen();
}
