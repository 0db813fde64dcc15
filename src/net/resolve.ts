// Resolving a host name once, up front, so every later step and message uses one address.
import dns from 'node:dns';
import net from 'node:net';
import { connectErrorFrom } from '../system-errors.js';

/** A host as typed and the address it stands for. */
export interface ResolvedHost {
  host: string;
  address: string;
  family: 4 | 6;
}

/**
 * Resolves `host` (an IP address is returned as is). A name that does not resolve rejects
 * with the same ConnectError sentence a failed connect gives, naming `port`.
 */
export async function resolveHost(host: string, port: number, family?: 4 | 6): Promise<ResolvedHost> {
  const ip = net.isIP(host);
  if (ip) return { host, address: host, family: ip as 4 | 6 };
  try {
    // looked up through the module object at call time, so tests can keep lookups offline
    const found = await dns.promises.lookup(host, { family: family ?? 0 });
    return { host, address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (err) {
    throw connectErrorFrom(err, host, port);
  }
}
