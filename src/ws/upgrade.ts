// What WebSocket servers and relays do with an upgrade request: read its handshake, or refuse it with an HTTP answer.
import http from 'node:http';
import type net from 'node:net';
import { peerOf } from '../net/address.js';
import type { RequestEvent, WsHandshake } from '../net/events.js';

/** Headers as one record, repeated ones joined as HTTP joins them. */
export function headerRecord(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    out[k] = k in out ? `${out[k]}, ${raw[i + 1]}` : raw[i + 1]!;
  }
  return out;
}

/** The handshake an upgrade request and the agreed subprotocol make, as a `connect` event shows it. */
export function handshakeOf(req: http.IncomingMessage, subprotocol: string): WsHandshake {
  const headers = headerRecord(req.rawHeaders);
  const handshake: WsHandshake = { path: req.url ?? '/', headers };
  if (subprotocol) handshake.subprotocol = subprotocol;
  if (headers.origin !== undefined) handshake.origin = headers.origin;
  return handshake;
}

/** Answers a refused upgrade with an HTTP status and `why` as its body, then closes the socket. */
export function answerRefusal(socket: net.Socket, status: number, why: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${why}\n`;
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.once('finish', () => socket.destroy());
}

/** An upgrade request that was not taken, as a `request` event. */
export function upgradeRequest(req: http.IncomingMessage, socket: net.Socket, status: number, note: string): Omit<RequestEvent, 'ts' | 'session'> {
  return { event: 'request', method: req.method ?? '?', url: req.url ?? '', status, bytes: 0, ms: 0, peer: peerOf(socket), note };
}
