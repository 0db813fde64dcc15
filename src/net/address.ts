// Socket addresses as people read them: IPv4-mapped IPv6 unwrapped, `[v6]:port` bracketed.
import net from 'node:net';
import { formatEndpoint } from '../wire/endpoint.js';

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** `::ffff:10.0.0.5` as `10.0.0.5`; other addresses unchanged. */
export function unmapAddress(address: string): string {
  const m = MAPPED.exec(address);
  return m ? m[1]! : address;
}

/** A socket's remote end: `127.0.0.1:50122` or `[::1]:50122`. */
export function peerOf(socket: net.Socket): string {
  return formatEndpoint(unmapAddress(socket.remoteAddress ?? '?'), socket.remotePort ?? 0);
}

/** A socket's local end, in the same form. */
export function localOf(socket: net.Socket): string {
  return formatEndpoint(unmapAddress(socket.localAddress ?? ''), socket.localPort ?? 0);
}

// one list per family: an IPv4-mapped IPv6 address is checked against the IPv6 rule alone
const LOOPBACK_V4 = new net.BlockList();
LOOPBACK_V4.addSubnet('127.0.0.0', 8, 'ipv4');
const LOOPBACK_V6 = new net.BlockList();
LOOPBACK_V6.addAddress('::1', 'ipv6');

/**
 * True for an IP address of this machine's loopback: 127.0.0.0/8, or ::1 however it is spelled.
 * An IPv4-mapped address (`::ffff:127.0.0.1`) is not one until {@link unmapAddress} unwraps it.
 */
export function isLoopbackAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return LOOPBACK_V4.check(address, 'ipv4');
  return family === 6 && LOOPBACK_V6.check(address, 'ipv6');
}

/** True for a host that always means this machine: `localhost`, `*.localhost` (RFC 6761) or a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}
