// The events of a session as they travel from the bridge to the page: types only, shared by both sides.
import type { WireError } from './protocol.js';
import type { WireFaults, WireTarget, WireTlsPeer } from './protocol-relay.js';

/** What every event carries: when, and which session. */
export interface WireBase {
  ts: number;
  session: string;
}

/** The session bound. */
export interface WireListening extends WireBase {
  event: 'listening';
  protocol: string;
  address: string;
  port: number;
  addresses: string[];
}

/** A WebSocket opening handshake: the path, the other side's headers, the subprotocol and origin. */
export interface WireHandshake {
  path: string;
  headers: Record<string, string>;
  subprotocol?: string;
  origin?: string;
}

/** A connection opened. */
export interface WireConnect extends WireBase {
  event: 'connect';
  id: number;
  peer: string;
  local: string;
  /** WebSocket sessions. */
  handshake?: WireHandshake;
  /** A TLS client's view of the server it reached. */
  tls?: WireTlsPeer;
}

/**
 * A message arrived: `data` is its bytes in base64, `text` as decoded with the session's
 * encoding. `data` is left out when the bytes are exactly the UTF-8 encoding of `text` (most
 * traffic of UTF-8 sessions), which nearly halves what a page must take in.
 */
export interface WireData extends WireBase {
  event: 'data';
  id: number;
  peer: string;
  n: number;
  /** On a relay: `up` from the client to the target, `down` back. */
  direction?: 'up' | 'down';
  /** The message's full size; `data` holds at most the bridge's payload limit. */
  bytes: number;
  data?: string;
  text?: string;
  truncated?: boolean;
  /** WebSocket sessions: the message's type. */
  opcode?: 'text' | 'binary';
}

/** Bytes were sent: as {@link WireData}. */
export interface WireSend extends WireBase {
  event: 'send';
  id: number;
  peer: string;
  bytes: number;
  data?: string;
  text?: string;
  truncated?: boolean;
  /** WebSocket sessions: the frame's type, and `fin: false` for a fragment. */
  opcode?: 'text' | 'binary';
  fin?: boolean;
}

/** A WebSocket ping or pong went by; `data` is its payload in base64. */
export interface WireControl extends WireBase {
  event: 'control';
  opcode: 'ping' | 'pong';
  direction: 'in' | 'out';
  id: number;
  peer: string;
  bytes: number;
  data: string;
  rttMs?: number;
  /** On a relay: which way the frame crossed. */
  way?: 'up' | 'down';
}

/** A client session will connect again after `delayMs`. */
export interface WireRetry extends WireBase {
  event: 'retry';
  attempt: number;
  delayMs: number;
  reason: string;
}

/** A connection closed, with why. */
export interface WireClose extends WireBase {
  event: 'close';
  id: number;
  peer: string;
  reason: string;
  bytesIn: number;
  bytesOut: number;
  /** WebSocket sessions: the close frame that began the closing handshake, and who sent it. */
  closeFrame?: { code: number; reason: string; by: 'peer' | 'us' };
  /** On a relay: who closed first, and how. */
  closedBy?: 'client' | 'target' | 'proxy';
  how?: 'fin' | 'rst' | 'timeout' | 'error' | 'refused';
}

/** Something failed. */
export interface WireErrorEvent extends WireBase {
  event: 'error';
  code: string;
  message: string;
  hint?: string;
  peer?: string;
  id?: number;
}

/** Totals when a session ends. */
export interface WireSummary extends WireBase {
  event: 'summary';
  connections: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  durationMs: number;
}

/** An HTTP request was answered (static server sessions). */
export interface WireRequest extends WireBase {
  event: 'request';
  method: string;
  url: string;
  status: number;
  bytes: number;
  ms: number;
  peer: string;
  note?: string;
}

/** Events the page was too slow to take were dropped here (counters stay exact). */
export interface WireDropped extends WireBase {
  event: 'dropped';
  count: number;
}

/** One event of a session, as it travels to the page. */
export type WireEvent = WireListening | WireConnect | WireTarget | WireFaults | WireData | WireSend | WireControl | WireClose | WireRetry | WireErrorEvent | WireSummary | WireRequest | WireDropped;
