// Is a local port free? Who holds it, and what connections use it? Free ports for scripts. Answers by binding, then from /proc.
import dgram from 'node:dgram';
import net from 'node:net';
import { isNoIpv6, SockitError, UsageError } from '../errors.js';
import { parseInteger } from '../wire/endpoint.js';
import { bindErrorFrom } from '../system-errors.js';
import { findSocketOwners, readSocketTable } from './owner.js';

/** A socket bound to the port, and the process holding it where this user may see it. */
export interface PortHolder {
  address: string;
  port: number;
  family: 4 | 6;
  state: string;
  pid?: number;
  command?: string;
  cmdline?: string;
}

/** What {@link checkPort} found. */
export interface PortCheck {
  port: number;
  protocol: 'tcp' | 'udp';
  /** The address the bind test used. */
  host: string;
  /** free: it could be bound now; in-use: another socket holds it; no-permission: it needs privilege to bind. */
  state: 'free' | 'in-use' | 'no-permission';
  /** The listeners (TCP) or bound sockets (UDP) on the port. */
  holders: PortHolder[];
  /** True when some holder's process could not be seen (another user's, without root). */
  hiddenOwners: boolean;
  /** Sockets using the port locally, by state: LISTEN, ESTABLISHED, TIME_WAIT, … (UDP: UNCONN, ESTABLISHED). */
  connections: Record<string, number>;
}

/** Options of {@link checkPort} and {@link findFreePorts}. */
export interface PortCheckOptions {
  /** Address to test binding on; omitted: every interface (IPv4 and IPv6). */
  host?: string;
  protocol?: 'tcp' | 'udp';
}

/** Tries to bind the port and releases it at once. Resolves with the error code, or undefined when it bound. */
export function tryBind(port: number, host: string | undefined, protocol: 'tcp' | 'udp'): Promise<string | undefined> {
  const attempt = (address: string) =>
    new Promise<string | undefined>((resolve) => {
      if (protocol === 'tcp') {
        const server = net.createServer();
        server.unref();
        server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'EUNKNOWN'));
        // like a real server: SO_REUSEADDR is on, so TIME_WAIT leftovers do not count as "in use"
        server.listen({ port, host: address, ipv6Only: false, exclusive: true }, () => server.close(() => resolve(undefined)));
      } else {
        const socket = dgram.createSocket({ type: net.isIPv4(address) ? 'udp4' : 'udp6', ipv6Only: false });
        socket.unref();
        socket.once('error', (err: NodeJS.ErrnoException) => {
          socket.close();
          resolve(err.code ?? 'EUNKNOWN');
        });
        socket.bind({ port, address, exclusive: true }, () => socket.close(() => resolve(undefined)));
      }
    });
  return attempt(host ?? '::').then((code) =>
    // no IPv6 on this machine: judge by IPv4
    host === undefined && isNoIpv6({ code }) ? attempt('0.0.0.0') : code,
  );
}

function checkPortNumber(port: number, allowZero = false): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new UsageError(`port must be a whole number from 1 to 65535, got '${port}'`);
  }
}

/**
 * Checks a local port: whether it can be bound now, which processes hold it (Linux, where this user
 * may see them) and the states of the sockets using it. An address that is not local rejects.
 */
export async function checkPort(port: number, options: PortCheckOptions = {}): Promise<PortCheck> {
  checkPortNumber(port);
  const protocol = options.protocol ?? 'tcp';
  const code = await tryBind(port, options.host, protocol);
  if (code !== undefined && code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EPERM') {
    throw bindErrorFrom(Object.assign(new Error(code), { code }), options.host ?? '::', port);
  }
  const entries = readSocketTable(protocol).filter((e) => e.localPort === port);
  const connections: Record<string, number> = {};
  for (const e of entries) connections[e.state] = (connections[e.state] ?? 0) + 1;
  let bound = entries.filter((e) => (protocol === 'tcp' ? e.state === 'LISTEN' : true));
  // a socket bound but not listening (or a connection from this port) also holds it
  if (bound.length === 0) bound = entries.filter((e) => e.state !== 'TIME_WAIT' && e.inode > 0);
  const owners = findSocketOwners(new Set(bound.filter((e) => e.inode > 0).map((e) => e.inode)));
  const holders: PortHolder[] = bound.map((e) => {
    const h: PortHolder = { address: e.localAddress, port: e.localPort, family: e.family, state: e.state };
    const owner = owners.get(e.inode);
    if (owner) Object.assign(h, { pid: owner.pid, command: owner.command, cmdline: owner.cmdline });
    return h;
  });
  return {
    port, protocol, host: options.host ?? '::',
    state: code === undefined ? 'free' : code === 'EADDRINUSE' ? 'in-use' : 'no-permission',
    holders,
    hiddenOwners: holders.some((h) => h.pid === undefined),
    connections,
  };
}

/** Parses `20000-30000` (or a single port) into an inclusive range of ports 1–65535. */
export function parsePortRange(text: string, name = 'range'): { from: number; to: number } {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!m) throw new UsageError(`${name} must be a range of ports such as 20000-30000, got '${text}'`, { field: name });
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535) throw new UsageError(`${name}: ports run from 1 to 65535, got '${text}'`, { field: name });
  if (to < from) throw new UsageError(`${name}: the range '${text}' runs backwards; write ${to}-${from}`, { field: name });
  return { from, to };
}

/**
 * Finds `count` ports in the range that can be bound now, starting at a random place so scripts
 * run side by side rarely pick the same one. Another program may still take a port before you do.
 */
export async function findFreePorts(range: { from: number; to: number }, count: number | string = 1, options: PortCheckOptions = {}): Promise<number[]> {
  const size = range.to - range.from + 1;
  const wanted = parseInteger(count, 'count', 1, size);
  const protocol = options.protocol ?? 'tcp';
  const found: number[] = [];
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size && found.length < wanted; i++) {
    const port = range.from + ((start + i) % size);
    const code = await tryBind(port, options.host, protocol);
    if (code === undefined) found.push(port);
    else if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EPERM') {
      throw bindErrorFrom(Object.assign(new Error(code), { code }), options.host ?? '::', port);
    }
  }
  if (found.length < wanted) {
    throw new SockitError('SOCKIT_ERR_ADDR_IN_USE', `only ${found.length} of the ${wanted} ports asked for are free in ${range.from}-${range.to}`, {
      hint: 'widen --range or ask for fewer with --count',
      exitCode: 3,
    });
  }
  return found.sort((a, b) => a - b);
}
