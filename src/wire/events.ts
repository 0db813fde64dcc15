// The shapes of session events and counters that carry no bytes: types only, shared by the engine and the page.
import type { FaultSpec } from './faults.js';

/** Fields every event carries. `ts` is milliseconds since the epoch (ISO in NDJSON). */
export interface EventBase {
  ts: number;
  session: string;
}

/** A session is bound and ready. */
export interface ListeningEvent extends EventBase {
  event: 'listening';
  protocol: 'tcp' | 'udp' | 'http' | 'proxy' | 'udp-proxy' | 'ui' | 'ws' | 'wss';
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

/** Which way bytes cross a relay: `up` from the client to the target, `down` back. */
export type Direction = 'up' | 'down';

/** What a TLS peer showed: its certificate and what the handshake agreed. */
export interface TlsPeerInfo {
  /** The certificate's subject, as `CN=example.test, O=...`. */
  subject: string;
  issuer: string;
  /** Names the certificate is valid for (subjectAltName), as `DNS:localhost, IP Address:127.0.0.1`. */
  altNames?: string;
  validFrom: string;
  validTo: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  /** `TLSv1.3`, `TLSv1.2`, ... */
  protocol: string;
  cipher: string;
  /** True when the certificate was verified against the trusted CAs. */
  authorized: boolean;
  /** Why it was not, when verification was off and it failed. */
  authorizationError?: string;
}

/** A connection was accepted (servers) or established (clients). */
export interface ConnectEvent extends EventBase {
  event: 'connect';
  peer: string;
  id: number;
  local: string;
  /** WebSocket sessions: the opening handshake. */
  handshake?: WsHandshake;
  /** A TLS client's view of the server it reached. */
  tls?: TlsPeerInfo;
}

/** A relay reached its target for connection `id` (the client is `peer`). */
export interface TargetEvent extends EventBase {
  event: 'target';
  peer: string;
  id: number;
  /** The target's address as connected. */
  target: string;
  /** The relay's own end of the target connection. */
  local: string;
  /** How long connecting (and any TLS handshake) took. */
  connectMs: number;
  /** The target's certificate and handshake, when the relay speaks TLS to it. */
  tls?: TlsPeerInfo;
}

/** The type of a WebSocket message: text (UTF-8) or binary. */
export type WsOpcode = 'text' | 'binary';

/** One message arrived (its bytes travel as each face carries them). `text` is set when the session decodes (it does by default). */
export interface DataShape extends EventBase {
  event: 'data';
  peer: string;
  id: number;
  /** The message's number on its connection, from 1. */
  n: number;
  bytes: number;
  text?: string;
  /** WebSocket sessions: the message's type. */
  opcode?: WsOpcode;
  /** On a relay, which way the message went. */
  direction?: Direction;
}

/** Bytes were written to a peer (their bytes as each face carries them). */
export interface SendShape extends EventBase {
  event: 'send';
  peer: string;
  id: number;
  bytes: number;
  text?: string;
  /** WebSocket sessions: the frame's type. */
  opcode?: WsOpcode;
  /** WebSocket sessions: false for a fragment that more of the same message follows. */
  fin?: boolean;
}

/** A WebSocket control frame went by: a ping or a pong, in or out (its payload as each face carries it). */
export interface ControlShape extends EventBase {
  event: 'control';
  opcode: 'ping' | 'pong';
  direction: 'in' | 'out';
  peer: string;
  id: number;
  bytes: number;
  /** A pong answering a ping this side sent: the round trip. */
  rttMs?: number;
  /** On a relay: which way the frame crossed (`up` from the client); `direction` is then `in`. */
  way?: Direction;
}

/** The close frame that began a WebSocket's closing handshake, and which side sent it. */
export interface WsCloseFrame {
  /** 1000 normal, 1001 going away, 1007 bad data, 1009 too big, ...; 1005 none given, 1006 no close frame at all. */
  code: number;
  reason: string;
  by: 'peer' | 'us';
}

/** Which end of a relayed connection closed first. */
export type CloseSide = 'client' | 'target' | 'proxy';

/** How a connection's first end closed: FIN, RST, silence, a failure, or a target that could not be reached. */
export type CloseHow = 'fin' | 'rst' | 'timeout' | 'error' | 'refused';

/** A connection ended, with why. */
export interface CloseEvent extends EventBase {
  event: 'close';
  peer: string;
  id: number;
  reason: string;
  /** On a relay: bytes up (from the client). Elsewhere: bytes read from the peer. */
  bytesIn: number;
  /** On a relay: bytes down (to the client). Elsewhere: bytes written to the peer. */
  bytesOut: number;
  /** WebSocket sessions: the closing handshake's code and reason. */
  closeFrame?: WsCloseFrame;
  /** On a relay: who closed first. */
  closedBy?: CloseSide;
  /** How it ended (FIN, RST, …) where the session knows it; on a relay, how the first end closed. */
  how?: CloseHow;
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

/** A relay's faults changed (or were set at start): what each direction now suffers. */
export interface FaultsEvent extends EventBase {
  event: 'faults';
  up: FaultSpec;
  down: FaultSpec;
  /** Probability that a new connection is refused. */
  refuse: number;
}

/** Counters a session keeps whether or not anyone listens. */
export interface SessionStats {
  connections: number;
  active: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

/** What a conversation counted, as faces list it. */
export interface ConversationInfo {
  id: number;
  peer: string;
  since: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

/** One rule of a session and how often it fired. */
export interface RuleStat {
  rule: string;
  name?: string;
  hits: number;
  enabled: boolean;
}
