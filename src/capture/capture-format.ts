// The capture file format: one JSON record per line, microsecond times, connection numbers, directions and base64 bytes.
import type { RequestEvent } from '../wire/events.js';

/** The first line of every capture. */
export interface CaptureHeader {
  capture: 'sockit';
  version: 1;
  /** When the capture began, ISO time. */
  started: string;
  /** The same moment in microseconds since the epoch. */
  us: number;
}

/** Which way bytes went, seen from the capturing side: `in` arrived from the peer, `out` was sent to it. */
export type CaptureDirection = 'in' | 'out';

/** The protocol of a captured connection. */
export type CaptureProtocol = 'tcp' | 'tls' | 'udp' | 'ws' | 'wss';

/** Fields every record carries. */
interface RecordBase {
  /** Microseconds since the epoch. */
  us: number;
}

/** A session began listening. */
export interface ListeningRecord extends RecordBase {
  event: 'listening';
  session: string;
  protocol: string;
  address: string;
  port: number;
}

/**
 * A connection began (for UDP: the first datagram from or to a peer). `conn` numbers it within the
 * file; `role` says who started it: `accepted` (the peer connected to us) or `connected` (we did).
 */
export interface ConnectRecord extends RecordBase {
  event: 'connect';
  session: string;
  conn: number;
  /** The connection's number in its session's own events. */
  id: number;
  protocol: CaptureProtocol;
  role: 'accepted' | 'connected';
  peer: string;
  /** Our end, when known (`host:port`). */
  local?: string;
  /** A WebSocket's request path. */
  path?: string;
}

/** Bytes moved on a connection: one read, one write, one datagram or one WebSocket message. */
export interface DataRecord extends RecordBase {
  event: 'data';
  conn: number;
  dir: CaptureDirection;
  /** The bytes, base64. */
  b64: string;
  /** WebSocket messages: text or binary. */
  opcode?: 'text' | 'binary';
}

/** A connection ended: how (`fin`, `rst`, …), by whom when known, and why in words. */
export interface CloseRecord extends RecordBase {
  event: 'close';
  conn: number;
  reason: string;
  how: 'fin' | 'rst';
  /** Which side closed first, when the reason tells. */
  by?: 'peer' | 'us';
}

/** Records left out because the file could not keep up: the bytes they carried, per connection and direction. */
export interface DropRecord extends RecordBase {
  event: 'drop';
  records: number;
  bytes: number;
  conn?: number;
  dir?: CaptureDirection;
}

/** An HTTP request a static server answered. */
export interface RequestRecord extends RecordBase, Omit<RequestEvent, 'ts' | 'note'> {}

/** Something a session reported as failing. */
export interface ErrorRecord extends RecordBase {
  event: 'error';
  session: string;
  code: string;
  message: string;
  conn?: number;
}

/** The last line of a capture closed in good order. */
export interface EndRecord extends RecordBase {
  event: 'end';
  records: number;
  dropped: number;
}

/** Every record a capture holds after its header. */
export type CaptureRecord = ListeningRecord | ConnectRecord | DataRecord | CloseRecord | DropRecord | RequestRecord | ErrorRecord | EndRecord;

/**
 * How a connection ended, from its close event: `how` when the session says (TCP sessions and
 * relays do), else read from the reason (`reset by peer`, a rule's reset); `by` when the reason
 * tells who began.
 */
export function closeKind(reason: string, how?: string, closedBy?: string): { how: 'fin' | 'rst'; by?: 'peer' | 'us' } {
  // the session's own word first: a reason is for people (a quit word may be 'reset')
  const rst = how === 'rst' || (how !== 'fin' && /\breset\b|went away/i.test(reason));
  const kind: 'fin' | 'rst' = rst ? 'rst' : 'fin';
  if (closedBy === 'client' || closedBy === 'target' || /by peer|peer went away/i.test(reason)) return { how: kind, by: 'peer' };
  if (reason === 'closed' || reason === '') return { how: kind };
  return { how: kind, by: 'us' };
}

const EVENTS = new Set(['listening', 'connect', 'data', 'close', 'drop', 'request', 'error', 'end']);

/** Checks one parsed line as a record; returns why it is not one, or undefined. */
export function recordProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (typeof r.event !== 'string' || !EVENTS.has(r.event)) return `unknown record '${String(r.event)}'`;
  if (typeof r.us !== 'number' || !Number.isFinite(r.us)) return "no time ('us')";
  if (r.event === 'data') {
    if (typeof r.conn !== 'number') return "a data record without 'conn'";
    if (r.dir !== 'in' && r.dir !== 'out') return "a data record's 'dir' must be in or out";
    if (typeof r.b64 !== 'string') return "a data record without 'b64'";
  }
  if ((r.event === 'connect' || r.event === 'close') && typeof r.conn !== 'number') return `a ${r.event} record without 'conn'`;
  if (r.event === 'connect' && typeof r.peer !== 'string') return "a connect record without 'peer'";
  return undefined;
}
