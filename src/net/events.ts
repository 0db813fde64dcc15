// The typed event model every session emits, and its NDJSON form.
import { formatHex } from '../wire/hex.js';

/** Fields every event carries. `ts` is milliseconds since the epoch (ISO in NDJSON). */
export interface EventBase {
  ts: number;
  session: string;
}

/** A session is bound and ready. */
export interface ListeningEvent extends EventBase {
  event: 'listening';
  protocol: 'tcp' | 'udp' | 'http' | 'proxy' | 'ui';
  address: string;
  port: number;
  /** Every address the session listens on (dual-stack listeners list both families). */
  addresses: string[];
}

/** A connection was accepted (servers) or established (clients). */
export interface ConnectEvent extends EventBase {
  event: 'connect';
  peer: string;
  id: number;
  local: string;
}

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
}

/** Bytes were written to a peer. */
export interface SendEvent extends EventBase {
  event: 'send';
  peer: string;
  id: number;
  bytes: number;
  payload: Buffer;
  text?: string;
}

/** A connection ended, with why. */
export interface CloseEvent extends EventBase {
  event: 'close';
  peer: string;
  id: number;
  reason: string;
  bytesIn: number;
  bytesOut: number;
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
export type SessionEvent = ListeningEvent | ConnectEvent | DataEvent | SendEvent | CloseEvent | ErrorEvent | SummaryEvent | RequestEvent;

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
