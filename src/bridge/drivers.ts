// One driver per kind of session: starts the core session a spec describes and keeps what the hub needs from its events.
import { UsageError } from '../errors.js';
import type { Session, SessionEvent } from '../net/session.js';
import { CHAT_PREFIX, type BehaviourOptions } from '../net/behaviour.js';
import type { FrameSpec } from '../wire/framing.js';
import { parseEndpoint } from '../wire/endpoint.js';
import { TcpServer } from '../net/tcp-server.js';
import { TcpClient } from '../net/tcp-client.js';
import { UdpSocket } from '../net/udp-socket.js';
import { StaticServer } from '../http/static-server.js';
import { WsServer } from '../ws/ws-server.js';
import { WsClient } from '../ws/ws-client.js';
import { parseHeaderLine } from '../wire/ws-url.js';
import { TcpProxy } from '../net/proxy.js';
import { UdpProxy } from '../net/udp-proxy.js';
import { WsProxy } from '../ws/ws-proxy.js';
import type { FaultPatch, FaultSettings } from '../wire/faults.js';
import { usage } from './hub-error.js';
import type { SpecOf } from './spec.js';
import type { RuleSpec } from '../wire/rules.js';
import { toRuleSpec } from './rules-spec.js';
import type { Counters, ServerBehaviour, SessionInfo, SessionKind, SessionSpec, Target, WireClient, WireRule } from './protocol.js';

/** What the hub needs from each kind of session. */
export interface Driver {
  readonly session: Session;
  /** A client's one connection is the session: its close closes the session. */
  readonly client?: boolean;
  start(): Promise<void>;
  /** Sends bytes; `binary` says how the page gave them (hex or base64), for kinds whose frames have a type. */
  send(target: Target, bytes: Buffer, binary?: boolean): Promise<number>;
  /** Stops the session; what is still queued gets `graceMs` (default: the session's own) to go out. */
  close(graceMs?: number): Promise<void>;
  /** Ends one connection (a relay's: FIN, or RST with `reset`); false if there is none. */
  disconnect?(client: number, reset?: boolean): boolean;
  /** A relay's faults changed from the page; returns those now in force. */
  setFaults?(patch: FaultPatch): FaultSettings;
  clients?(): WireClient[];
  /** Where it stands once started: addresses, peer, local. */
  describe(): Partial<SessionInfo>;
  /** Replaces the rules of a session that has them (checked already). */
  setRules?(rules: RuleSpec[]): void;
  /** How often each rule fired, in order. */
  ruleHits?(): number[];
  /** Counters, where the session's own are only complete at its end. */
  counters?(): Counters;
}

/** What every driver is given besides its spec. */
export interface DriverContext {
  /** The session's id, stamped on its events. */
  name: string;
  /** The spec's framing, parsed. */
  frame: FrameSpec;
}

/** One driver factory per kind; a kind without one is refused by the type checker. */
const DRIVERS: { [K in SessionKind]: (spec: SpecOf<K>, ctx: DriverContext) => Driver } = {
  'tcp-server': tcpServerDriver,
  'tcp-client': tcpClientDriver,
  udp: udpDriver,
  http: httpDriver,
  'ws-server': wsServerDriver,
  'ws-client': wsClientDriver,
  proxy: proxyDriver,
};

/** The kinds of session there is a driver for. */
export const DRIVER_KINDS = Object.keys(DRIVERS) as SessionKind[];

/**
 * Pages decode valid UTF-8 themselves (the bridge decodes for a page that asks for JSON, when it
 * sends): the hub's sessions decode only what the bytes alone do not say.
 */
const PAGE_TEXT = 'unless-utf8' as const;

/** The driver of a checked spec (the session is not started yet). */
export function createDriver(spec: SessionSpec, ctx: DriverContext): Driver {
  if (!Object.hasOwn(DRIVERS, spec.kind)) throw usage(`cannot create '${spec.kind}' sessions`, 'kind');
  return (DRIVERS[spec.kind] as (spec: SessionSpec, ctx: DriverContext) => Driver)(spec, ctx);
}

function tcpServerDriver(spec: SpecOf<'tcp-server'>, { name, frame }: DriverContext): Driver {
  const server = new TcpServer({
    name, port: spec.port, host: spec.host, encoding: spec.encoding, decode: PAGE_TEXT, frame,
    ...answersOf(spec),
  });
  return serverDriver(server, async (target, bytes) => toClients(target, (to) => server.send(bytes, to)));
}

/** A spec's answering fields as a session's options; its rules stay editable. */
function answersOf(spec: ServerBehaviour): BehaviourOptions {
  return { welcome: spec.welcome, reply: spec.reply, echo: spec.echo, closeAfterReply: spec.closeAfterReply, quit: spec.quit, chat: spec.chat, chatPrefix: spec.chat ? CHAT_PREFIX : undefined, rules: editableRules(spec.rules) };
}

/** What a TCP or WebSocket server does for the page: listen, answer by its rules, send, list and disconnect its clients. */
function serverDriver(server: TcpServer | WsServer, send: Driver['send']): Driver {
  return {
    session: server,
    start: async () => {
      await server.listen();
    },
    ...rulesOf(server),
    send,
    close: (graceMs) => server.close(graceMs),
    disconnect: (id) => server.disconnect(id, 'disconnected from the page'),
    clients: () => server.clients(),
    describe: () => ({ addresses: [...server.addresses], port: server.port }),
  };
}

/**
 * Sends to every client, one, or each of a list (a page's picks) through `send`, and says how many
 * it reached; refuses when it reached none. `who` names them: a server's clients, a UDP socket's peers.
 */
function toClients(target: Target, send: (to: number | 'all') => number, who: 'client' | 'peer' = 'client'): number {
  if (target === 'all') {
    const count = send('all');
    if (count === 0) throw new UsageError(who === 'peer' ? 'no peer yet: give an address and port to send to' : 'no client is connected; nothing was sent');
    return count;
  }
  const list = typeof target === 'number' ? [target] : target;
  if (!Array.isArray(list)) throw new UsageError(`target must be 'all', a ${who} number or a list of them, got '${target}'`);
  if (list.length === 0) throw new UsageError(`no ${who} is picked; nothing was sent`);
  let count = 0;
  for (const id of new Set(list)) count += send(id);
  const there = who === 'peer' ? 'known' : 'connected';
  if (count === 0) throw new UsageError(list.length === 1 ? `${who} #${list[0]} is not ${there}; nothing was sent` : `none of ${who}s ${list.map((id) => `#${id}`).join(', ')} is ${there}; nothing was sent`);
  return count;
}

function tcpClientDriver(spec: SpecOf<'tcp-client'>, { name, frame }: DriverContext): Driver {
  const client = new TcpClient({
    name, host: spec.host, port: spec.port, encoding: spec.encoding, decode: PAGE_TEXT, frame, connectTimeoutMs: 10_000,
    // a first connection that fails is told at once; one that ends is tried again
    reply: spec.reply, echo: spec.echo, reconnect: spec.reconnect ? { retryFirst: false } : undefined,
  });
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
    client: true,
    start: async () => {
      await client.connect();
    },
    send: async (_target, bytes) => {
      await client.send(bytes);
      return 1;
    },
    close: (graceMs) => {
      const closing = client.close();
      // a server that never finishes its side would hold a graceful close for seconds
      if (graceMs !== undefined) setTimeout(() => void client.close(true), graceMs).unref();
      return closing;
    },
    describe: () => ({ peer, local }),
  };
}

function udpDriver(spec: SpecOf<'udp'>, { name }: DriverContext): Driver {
  const remote = spec.remote ? parseEndpoint(spec.remote, 'remote') : undefined;
  const socket = new UdpSocket({
    name, port: spec.port, host: spec.host, encoding: spec.encoding, decode: PAGE_TEXT, reply: spec.reply, echo: spec.echo,
    join: listOf(spec.join), multicastInterface: spec.multicastInterface, multicastTtl: spec.multicastTtl, broadcast: spec.broadcast,
    // not connected: a debugging socket hears every sender, not just the remote it sends to
    ...(remote ? { remoteHost: remote.host, remotePort: remote.port, connect: false } : {}),
  });
  return {
    session: socket,
    start: async () => {
      await socket.open();
    },
    send: async (target, bytes) => {
      if (target === 'all' || typeof target !== 'string') return toClients(target, (to) => socket.sendToPeer(bytes, to), 'peer');
      if (target === '') {
        // '' is the remote the socket was opened with
        await socket.send(bytes);
        return 1;
      }
      const to = parseEndpoint(target, 'target', undefined, { allowZero: false });
      await socket.send(bytes, { address: to.host, port: to.port });
      return 1;
    },
    close: () => socket.close(),
    clients: () => socket.peers().map(({ id, peer, lastSeen, bytesIn, bytesOut, messagesIn, messagesOut }) => ({ id, peer, since: lastSeen, bytesIn, bytesOut, messagesIn, messagesOut })),
    describe: () => ({
      // a socket opened toward a remote announces a connection, not addresses
      addresses: socket.addresses.length ? [...socket.addresses] : [socket.address],
      port: socket.port,
      ...(socket.remotePeer ? { peer: socket.remotePeer } : {}),
      local: socket.address,
    }),
  };
}

function httpDriver(spec: SpecOf<'http'>, { name }: DriverContext): Driver {
  const server = new StaticServer({ name, root: spec.root, port: spec.port, host: spec.host, listing: spec.listing });
  let bytesOut = 0;
  let answered = 0;
  server.on('event', (e: SessionEvent) => {
    if (e.event === 'request') {
      bytesOut += e.bytes;
      answered++;
    }
  });
  return {
    session: server,
    start: async () => {
      await server.listen();
    },
    send: async () => {
      throw new UsageError('a static web server has nothing to send: open its address in a browser');
    },
    close: (graceMs) => server.close(graceMs),
    describe: () => ({ addresses: [...server.addresses], port: server.port }),
    counters: () => ({ ...server.stats, bytesIn: server.bytesReceived, bytesOut, messagesOut: answered }),
  };
}

/** A server's rules for the core: always a list, so the page can add some while it runs. */
function editableRules(rules: readonly WireRule[] | undefined): RuleSpec[] {
  return (rules ?? []).map(toRuleSpec);
}

/** The rule parts of a server's driver. */
function rulesOf(server: Session): Pick<Driver, 'setRules' | 'ruleHits'> {
  return {
    setRules: (rules) => server.setRules(rules, 'rules'),
    ruleHits: () => server.ruleStats().map((r) => r.hits),
  };
}

/** `a, b` as a list; undefined when empty. */
function listOf(text: string | undefined): string[] | undefined {
  const items = text?.split(/[\s,]+/).filter(Boolean);
  return items?.length ? items : undefined;
}

function wsServerDriver(spec: SpecOf<'ws-server'>, { name }: DriverContext): Driver {
  const server = new WsServer({
    name, port: spec.port, host: spec.host, encoding: spec.encoding, decode: PAGE_TEXT, path: spec.path,
    subprotocols: listOf(spec.subprotocols), origins: listOf(spec.origins),
    ...answersOf(spec),
  });
  return serverDriver(server, async (target, bytes, binary) => toClients(target, (to) => server.send(bytes, to, binary)));
}

function wsClientDriver(spec: SpecOf<'ws-client'>, { name }: DriverContext): Driver {
  const headers: Record<string, string> = {};
  for (const line of spec.headers?.split('\n') ?? []) {
    const [k, v] = parseHeaderLine(line, 'headers');
    headers[k] = v;
  }
  const client = new WsClient({
    name, url: spec.url, encoding: spec.encoding, decode: PAGE_TEXT, subprotocols: listOf(spec.subprotocols), origin: spec.origin, headers,
    tls: spec.insecure ? { rejectUnauthorized: false } : undefined, connectTimeoutMs: 10_000,
  });
  return {
    session: client,
    client: true,
    start: async () => {
      await client.connect();
    },
    send: async (_target, bytes, binary) => {
      if (!(await client.send(bytes, { binary: binary ? true : undefined }))) throw new UsageError('the connection is closed; nothing was sent');
      return 1;
    },
    close: (graceMs) => {
      const closing = client.close();
      // a server that never answers the close frame would hold the close for seconds
      if (graceMs !== undefined) setTimeout(() => void client.close(1000, '', true), graceMs).unref();
      return closing;
    },
    describe: () => client.endpoints ?? {},
  };
}

function proxyDriver(spec: SpecOf<'proxy'>, context: DriverContext): Driver {
  if (spec.ws) return wsProxyDriver(spec, context);
  const { name, frame } = context;
  const target = parseEndpoint(spec.target, 'target', undefined, { allowZero: false });
  const common = { name, port: spec.port, host: spec.host, targetHost: target.host, targetPort: target.port, encoding: spec.encoding, decode: PAGE_TEXT, faults: spec.faults };
  const proxy = spec.udp ? new UdpProxy(common) : new TcpProxy({ ...common, frame });
  return {
    ...relayDriver(proxy, 'reset from the page'),
    setFaults: (patch) => proxy.setFaults(patch),
    describe: () => ({ addresses: [...proxy.addresses], port: proxy.port, peer: proxy.target, faults: proxy.faultSettings }),
  };
}

/** A WebSocket relay: messages shown as frames, no faults to change. */
function wsProxyDriver(spec: SpecOf<'proxy'>, { name }: DriverContext): Driver {
  const target = parseEndpoint(spec.target, 'target', undefined, { allowZero: false });
  const proxy = new WsProxy({ name, port: spec.port, host: spec.host, targetHost: target.host, targetPort: target.port, encoding: spec.encoding, decode: PAGE_TEXT });
  return relayDriver(proxy, 'cut from the page');
}

/** What every relay's driver does: nothing of its own to send, connections closed or cut (`cutReason`) from the page. */
function relayDriver(proxy: TcpProxy | UdpProxy | WsProxy, cutReason: string): Driver {
  return {
    session: proxy,
    start: async () => {
      await proxy.listen();
    },
    send: async () => {
      throw new UsageError('a proxy relays what its clients and the target send; it has nothing of its own to send');
    },
    // datagrams have nothing to finish: a UDP relay closes at once
    close: (graceMs) => proxy.close(graceMs),
    disconnect: (id, reset) => proxy.disconnect(id, reset ? cutReason : 'closed from the page', reset),
    clients: () => proxy.connections(),
    describe: () => ({ addresses: [...proxy.addresses], port: proxy.port, peer: proxy.target }),
  };
}
