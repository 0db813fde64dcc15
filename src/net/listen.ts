// Binding listeners: one place for the first-error-rejects rule and for what a failed bind says.
import type net from 'node:net';
import { Session, type ListeningEvent } from './session.js';
import { isNoIpv6, type SockitError } from '../errors.js';
import { bindErrorFrom } from '../system-errors.js';
import { describePortOwner } from '../ports/owner.js';
import { nextFreePort } from '../ports/free.js';

/**
 * Binds a server. An error while binding rejects; errors after that go to `onLaterError`
 * (a listener must stay, or Node would throw them).
 */
export function listenServer(server: net.Server, options: net.ListenOptions, onLaterError: (err: Error) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      server.on('error', onLaterError);
      resolve();
    });
  });
}

/**
 * The BindError for a failed bind. A port in use names the program holding it where Linux
 * tells, and for TCP the next port that is free on `probeHost` (default: the host tried).
 */
export async function bindFailure(err: unknown, host: string, port: number, options: { protocol?: 'tcp' | 'udp'; probeHost?: string } = {}): Promise<SockitError> {
  const protocol = options.protocol ?? 'tcp';
  const inUse = (err as { code?: string } | undefined)?.code === 'EADDRINUSE';
  const owner = inUse ? describePortOwner(port, protocol) : undefined;
  const free = inUse && protocol === 'tcp' ? await nextFreePort(port, 'probeHost' in options ? options.probeHost : host) : undefined;
  return bindErrorFrom(err, host, port, owner, free);
}

/**
 * Binds on `host`, or when none is given on every interface: `::` (dual-stack), or `0.0.0.0`
 * where the machine has no IPv6. Failures are explained by `explain`. Returns the host bound.
 */
export async function bindHostOrAll(host: string | undefined, bind: (host: string) => Promise<void>, explain: (err: unknown, host: string) => Promise<SockitError>): Promise<string> {
  if (host !== undefined) {
    try {
      await bind(host);
      return host;
    } catch (err) {
      throw await explain(err, host);
    }
  }
  try {
    await bind('::');
    return '::';
  } catch (err) {
    if (!isNoIpv6(err)) throw await explain(err, '0.0.0.0');
  }
  try {
    await bind('0.0.0.0');
    return '0.0.0.0';
  } catch (err) {
    throw await explain(err, '0.0.0.0');
  }
}

/** The addresses a listener serves: a dual-stack `::` bound for "every interface" serves both families. */
export function servedAddresses(requestedHost: string | undefined, bound: string): string[] {
  return requestedHost === undefined && bound === '::' ? ['0.0.0.0', '::'] : [bound];
}

/** Where a listening session is bound: the first server's address and port, and every address it serves. */
export interface Bound {
  address: string;
  port: number;
  addresses: string[];
}

/**
 * Binds a listening session's servers on `host` (every interface when omitted) with `bind`, which
 * adds each server it binds to `servers`; a failure becomes a BindError naming the address (and
 * who holds the port).
 */
export async function listenAll(host: string | undefined, port: number, servers: readonly net.Server[], bind: (host: string) => Promise<void>): Promise<Bound> {
  await bindHostOrAll(host, bind, (err, h) => bindFailure(err, h, port, { probeHost: host }));
  const addr = servers[0]!.address() as net.AddressInfo;
  return { address: addr.address, port: addr.port, addresses: servedAddresses(host, addr.address) };
}

/** A session that listens: its servers, the port they are bound to, and binding them all in one way. */
export abstract class ListeningSession<S extends net.Server = net.Server> extends Session {
  protected readonly servers: S[] = [];
  protected boundPort = 0;

  /** The port actually bound (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Listens with one more server on `host`; its later failures become `error` events. */
  protected async addServer(server: S, host: string, port: number): Promise<void> {
    await listenServer(server, { host, port, ipv6Only: false, backlog: 4096 }, (e) =>
      this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_NETWORK', message: e.message }),
    );
    this.servers.push(server);
  }

  /**
   * Binds on `host` (every interface when omitted) with `bind`, which adds each server it binds to
   * `servers`, then tells where (`listening`); a failure is a BindError naming the address.
   */
  protected async listenOn(protocol: ListeningEvent['protocol'], host: string | undefined, port: number, bind: (host: string) => Promise<void>): Promise<void> {
    const bound = await listenAll(host, port, this.servers, bind);
    this.boundPort = bound.port;
    this.announceListening(protocol, bound.address, bound.port, bound.addresses);
  }
}
