// Socket addresses as people read them: IPv4-mapped IPv6 unwrapped, `[v6]:port` bracketed.
import type net from 'node:net';
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
