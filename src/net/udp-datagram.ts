// UDP datagrams: how large one may be, where multicast begins, and what a failed send means in words.
import net from 'node:net';
import { ConnectError, DatagramTooLargeError, SockitError } from '../errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { connectErrorFrom } from '../system-errors.js';

/** The largest UDP payload over IPv4: 65,535 less the 20-byte IP header and the 8-byte UDP header. */
export const MAX_DATAGRAM_IPV4 = 65507;
/** The largest UDP payload over IPv6 (without jumbograms): the IPv6 length field excludes its own header. */
export const MAX_DATAGRAM_IPV6 = 65527;

/** The largest payload one datagram to `address` can carry. */
export function maxDatagramBytes(address: string): number {
  return net.isIPv6(address) && !/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? MAX_DATAGRAM_IPV6 : MAX_DATAGRAM_IPV4;
}

/** Throws DatagramTooLargeError when `bytes` cannot travel in one datagram to `address`. */
export function checkDatagramSize(bytes: number, address: string): void {
  const limit = maxDatagramBytes(address);
  if (bytes > limit) throw new DatagramTooLargeError(bytes, limit, limit === MAX_DATAGRAM_IPV4 ? 'IPv4' : 'IPv6');
}

/** True for an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast group address. */
export function isMulticast(address: string): boolean {
  if (net.isIPv4(address)) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return /^ff/i.test(address);
}

/** Turns a system error from sending a datagram into one plain sentence naming the peer. */
export function udpErrorFrom(err: unknown, host: string, port: number): SockitError {
  if (err instanceof SockitError) return err;
  const code = (err as { code?: string } | undefined)?.code;
  const where = formatEndpoint(host, port);
  if (code === 'ECONNREFUSED') {
    return new ConnectError('SOCKIT_ERR_REFUSED', `nothing is listening on ${where} (UDP): the host answered "port unreachable"`, {
      cause: err,
      hint: 'check the port, and that the server is running and bound to that address',
    });
  }
  if (code === 'EACCES') {
    return new ConnectError('SOCKIT_ERR_ACCESS', `sending to ${where} was not permitted`, {
      cause: err,
      hint: 'a broadcast address needs --broadcast; a firewall may also refuse it',
    });
  }
  if (code === 'EMSGSIZE') {
    return new ConnectError('SOCKIT_ERR_DATAGRAM_TOO_LARGE', `the datagram to ${where} is larger than the path allows`, { cause: err });
  }
  return connectErrorFrom(err, host, port);
}

