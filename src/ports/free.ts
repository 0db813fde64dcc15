// Finding free ports by binding them: the only reliable test is to try.
import net from 'node:net';
import { isNoIpv6 } from '../errors.js';

/** Resolves true when a TCP port can be bound on `host` right now. */
export function isPortFree(port: number, host = '::'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      // no IPv6 here: judge by IPv4
      if (host === '::' && isNoIpv6(err)) resolve(isPortFree(port, '0.0.0.0'));
      else resolve(false);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first free port after `start` (up to `tries` ports on), or undefined. */
export async function nextFreePort(start: number, host?: string, tries = 50): Promise<number | undefined> {
  for (let p = start + 1; p <= Math.min(65535, start + tries); p++) {
    if (await isPortFree(p, host)) return p;
  }
  return undefined;
}
