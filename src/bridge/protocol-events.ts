// The events of a session as they travel from the bridge to the page: types only, shared by both sides.
import type { CloseEvent, ConnectEvent, ControlShape, DataShape, ErrorEvent, EventBase, ListeningEvent, RequestEvent, RetryEvent, SendShape, SummaryEvent, WsHandshake } from '../wire/events.js';
import type { WireFaults, WireTarget } from './protocol-relay.js';

/** What every event carries: when, and which session. */
export type WireBase = EventBase;
/** The session bound. */
export type WireListening = ListeningEvent;
/** A WebSocket opening handshake: the path, the other side's headers, the subprotocol and origin. */
export type WireHandshake = WsHandshake;
/** A connection opened. */
export type WireConnect = ConnectEvent;

/**
 * How a message's bytes travel to the page: `data` is them in base64 (at most the bridge's payload
 * limit; `truncated` when cut), `text` as decoded with the session's encoding. `data` is left out
 * when the bytes are exactly the UTF-8 encoding of `text` (most traffic of UTF-8 sessions), which
 * nearly halves what a page must take in.
 */
export interface WireBytes {
  data?: string;
  /** The bytes themselves, when the event came in a binary batch (never in JSON). */
  raw?: Uint8Array;
  truncated?: boolean;
}

/** A message arrived. */
export interface WireData extends DataShape, WireBytes {}

/** Bytes were sent. */
export interface WireSend extends SendShape, WireBytes {
  /** A page typed these bytes as hex: shown as hex in the text view too. */
  hex?: true;
}

/** A WebSocket ping or pong went by; `data` is its payload in base64. */
export interface WireControl extends ControlShape {
  data: string;
}

/** A client session will connect again after `delayMs`. */
export type WireRetry = RetryEvent;
/** A connection closed, with why. */
export type WireClose = CloseEvent;
/** Something failed. */
export type WireErrorEvent = ErrorEvent;
/** Totals when a session ends. */
export type WireSummary = SummaryEvent;
/** An HTTP request was answered (static server sessions). */
export type WireRequest = RequestEvent;

/** Events the page was too slow to take were dropped here (counters stay exact). */
export interface WireDropped extends WireBase {
  event: 'dropped';
  count: number;
}

/** One event of a session, as it travels to the page. */
export type WireEvent = WireListening | WireConnect | WireTarget | WireFaults | WireData | WireSend | WireControl | WireClose | WireRetry | WireErrorEvent | WireSummary | WireRequest | WireDropped;
