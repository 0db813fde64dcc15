// The typed event model every session emits, and its NDJSON form.
import { formatHex } from '../wire/hex.js';
import type { RuleStat } from './rule-set.js';

/** Fields every event carries. `ts` is milliseconds since the epoch (ISO in NDJSON). */
export interface EventBase {
  ts: number;
  session: string;
}

/** A session is bound and ready. */
export interface ListeningEvent extends EventBase {
  event: 'listening';
  protocol: 'tcp' | 'udp' | 'http' | 'proxy' | 'ui' | 'ws' | 'wss';
  address: string;
  port: number;
  /** Every address the session listens on (dual-stack listeners list both families). */
  addresses: string[];
}

/** What a WebSocket opening handshake said, as the side that shows it saw it. */
export interface WsHandshake {
  /** The request target: path and query. */
  path: string;
  /** The other side's headers (a server shows the request's, a client the response's), names in lower case. */
  headers: Record<string, string>;
  /** The subprotocol agreed on, if any. */
  subprotocol?: string;
  /** The request's Origin header, if it had one. */
  origin?: string;
}

/** A connection was accepted (servers) or established (clients). */
export interface ConnectEvent extends EventBase {
  event: 'connect';
  peer: string;
  id: number;
  local: string;
  /** WebSocket sessions: the opening handshake. */
  handshake?: WsHandshake;
}

/** The type of a WebSocket message: text (UTF-8) or binary. */
export type WsOpcode = 'text' | 'binary';

/** One message arrived. `text` is set when the session decodes (it does by default). */
export interface DataEvent extends EventBase {
  event: 'data';
  peer: string;
  id: number;
  /** The message's number on its connection, from 1. */
  n: number;
  bytes: number;
  payload: Buffer;
  text?: string;
  /** WebSocket sessions: the message's type. */
  opcode?: WsOpcode;
}

/** Bytes were written to a peer. */
export interface SendEvent extends EventBase {
  event: 'send';
  peer: string;
  id: number;
  bytes: number;
  payload: Buffer;
  text?: string;
  /** WebSocket sessions: the frame's type. */
  opcode?: WsOpcode;
  /** WebSocket sessions: false for a fragment that more of the same message follows. */
  fin?: boolean;
}

/** A WebSocket control frame went by: a ping or a pong, in or out. */
export interface ControlEvent extends EventBase {
  event: 'control';
  opcode: 'ping' | 'pong';
  direction: 'in' | 'out';
  peer: string;
  id: number;
  bytes: number;
  payload: Buffer;
  /** A pong answering a ping this side sent: the round trip. */
  rttMs?: number;
}

/** The close frame that began a WebSocket's closing handshake, and which side sent it. */
export interface WsCloseFrame {
  /** 1000 normal, 1001 going away, 1007 bad data, 1009 too big, ...; 1005 none given, 1006 no close frame at all. */
  code: number;
  reason: string;
  by: 'peer' | 'us';
}

/** A connection ended, with why. */
export interface CloseEvent extends EventBase {
  event: 'close';
  peer: string;
  id: number;
  reason: string;
  bytesIn: number;
  bytesOut: number;
  /** WebSocket sessions: the closing handshake's code and reason. */
  closeFrame?: WsCloseFrame;
}

/** A client session will try to connect again (`--reconnect`), after a pause that grows with each failure. */
export interface RetryEvent extends EventBase {
  event: 'retry';
  /** The attempt about to be made, from 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** Why the last attempt or connection ended. */
  reason: string;
}

/** Something failed; for a connection, `id` and `peer` say which. */
export interface ErrorEvent extends EventBase {
  event: 'error';
  code: string;
  message: string;
  hint?: string;
  peer?: string;
  id?: number;
}

/** Totals, emitted once when the session ends. */
export interface SummaryEvent extends EventBase {
  event: 'summary';
  connections: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  durationMs: number;
  /** Each rule and how often it fired, when the session has rules. */
  rules?: RuleStat[];
}

/** An HTTP request was answered (static server access log). */
export interface RequestEvent extends EventBase {
  event: 'request';
  method: string;
  /** The request target as received (render it escaped). */
  url: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  ms: number;
  peer: string;
  /** Why a request was refused or failed, when it was. */
  note?: string;
}

/** Every event a session can emit. */
export type SessionEvent = ListeningEvent | ConnectEvent | DataEvent | SendEvent | ControlEvent | CloseEvent | RetryEvent | ErrorEvent | SummaryEvent | RequestEvent;

/** An event as a session builds it: `ts` (now, unless given) and `session` are stamped on emit. */
export type EventInput = SessionEvent extends infer E ? (E extends EventBase ? Omit<E, 'ts' | 'session'> & Partial<EventBase> : never) : never;

/** The NDJSON shape of an event: ISO `ts`, payloads as `hex` (and `text` where decoded). */
export function toJsonEvent(e: SessionEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { event: e.event, ts: isoTime(e.ts), session: e.session };
  // for..in and native hex: this runs twice per echoed message under --json
  const fields = e as unknown as Record<string, unknown>;
  for (const k in fields) {
    if (k === 'ts' || k === 'session' || k === 'event') continue;
    const v = fields[k];
    if (k === 'payload') out.hex = Buffer.isBuffer(v) ? v.toString('hex') : formatHex(v as Uint8Array, '');
    else if (v !== undefined) out[k] = v;
  }
  return out;
}

let lastTs = NaN;
let lastIso = '';

/** ISO time of a timestamp; events come many to a millisecond, so the last one is kept. */
function isoTime(ts: number): string {
  if (ts !== lastTs) {
    lastTs = ts;
    lastIso = new Date(ts).toISOString();
  }
  return lastIso;
}
