// The versioned message protocol between the browser page and the bridge: types only, shared by both sides.
import type { ConversationInfo, SessionStats as EngineStats } from '../wire/events.js';
import type { AnswerOptions } from '../wire/rules.js';
import type { FaultSettings } from '../wire/faults.js';
import type { LineEnding } from '../wire/quick.js';
import type { PageFaults, ProxySpec } from './protocol-relay.js';
import type { PageCaptureStart, PageCaptureStop, WireCapture } from './protocol-capture.js';
import type { PageWorkspaceOpen, PageWorkspaceSave, PageWorkspaceStart, WorkspaceState } from './protocol-workspace.js';

export type { PageFaults, ProxySpec, WireFaults, WireTarget, WireTlsPeer } from './protocol-relay.js';
export * from './protocol-workspace.js';
export * from './protocol-capture.js';

/** Bumped on any change a page and a server of different versions would misread. */
export const PROTOCOL_VERSION = 1;

/** The kinds of session a page can create (the server lists those it supports in `hello`). */
export type SessionKind = 'tcp-server' | 'tcp-client' | 'udp' | 'http' | 'ws-server' | 'ws-client' | 'proxy';

/** Options every session that answers messages understands; a server started with a rules list (even empty) can have it changed while it runs. */
export type ServerBehaviour = AnswerOptions<WireRule[]>;

/**
 * One auto-reply rule as the page edits it: what to match (`text`, `prefix:…`, `contains:…`,
 * `/regex/flags`, `hex:01 03 ?? ??`, `len>N`, `any`) and a reply (a message builder) or an action.
 */
export interface WireRule {
  match: string;
  reply?: string;
  action?: 'close' | 'reset' | 'ignore';
  delayMs?: number;
  /** Fire at most this many times. */
  count?: number;
  /** False keeps the rule but skips it. */
  enabled?: boolean;
}

/** Received bytes saved by sockit itself, on its own machine, as they arrive (nothing lost when the page is slow or closed). */
export interface SavesReceived {
  /** The file; one that exists is refused unless `overwrite`. */
  saveTo?: string;
  overwrite?: boolean;
}

/** A TCP server: `host` omitted means every interface. */
export interface TcpServerSpec extends ServerBehaviour, SavesReceived {
  kind: 'tcp-server';
  host?: string;
  port: number;
  encoding: string;
  /** `raw`, `line`, `len16`, `len32` or a delimiter (escapes allowed). */
  frame: string;
}

/** A TCP client connecting to `host:port`; it can answer as a server does, and connect again when the connection ends. */
export interface TcpClientSpec extends SavesReceived {
  kind: 'tcp-client';
  host: string;
  port: number;
  encoding: string;
  frame: string;
  reply?: string;
  echo?: boolean;
  /** Connect again (with growing pauses) when the connection ends or fails. */
  reconnect?: boolean;
}

/** A UDP socket bound to `port`; `remote` (`host:port`) is where sends go by default. */
export interface UdpSpec extends SavesReceived {
  kind: 'udp';
  host?: string;
  port: number;
  encoding: string;
  remote?: string;
  reply?: string;
  echo?: boolean;
  /** Multicast groups to join, separated by commas or spaces (`--join`). */
  join?: string;
  /** The local interface address multicast is joined and sent by (`--iface`). */
  multicastInterface?: string;
  /** Hops a multicast datagram may take, 0 to 255 (`--ttl`). */
  multicastTtl?: number;
  /** Sending to a broadcast address is allowed (`--broadcast`). */
  broadcast?: boolean;
}

/** A static web server for the folder `root`. */
export interface HttpSpec {
  kind: 'http';
  root: string;
  host?: string;
  port: number;
  /** Directory listings for folders without index.html. */
  listing?: boolean;
}

/** A WebSocket server: `host` omitted means every interface. */
export interface WsServerSpec extends ServerBehaviour, SavesReceived {
  kind: 'ws-server';
  host?: string;
  port: number;
  encoding: string;
  /** Only this path is upgraded (others get 404). */
  path?: string;
  /** Subprotocols spoken, preferred first, separated by commas. */
  subprotocols?: string;
  /** Origins allowed, separated by commas or spaces. */
  origins?: string;
}

/** A WebSocket client of `url`. */
export interface WsClientSpec extends SavesReceived {
  kind: 'ws-client';
  url: string;
  encoding: string;
  /** Subprotocols offered, separated by commas. */
  subprotocols?: string;
  origin?: string;
  /** Extra request headers, one `Name: value` a line. */
  headers?: string;
  /** wss: accept any certificate. */
  insecure?: boolean;
}

/** What a page asks the bridge to create. */
export type SessionSpec = TcpServerSpec | TcpClientSpec | UdpSpec | HttpSpec | WsServerSpec | WsClientSpec | ProxySpec;

/** Where a session stands. */
export type SessionState = 'starting' | 'listening' | 'connected' | 'closed' | 'error';

/** An error in plain words; `field` names the form field it is about, when there is one. */
export interface WireError {
  code: string;
  message: string;
  hint?: string;
  field?: string;
}

/** Where sent bytes go: every client, one client by id, the clients of a list (those picked in the page), or (UDP) a `host:port`. */
export type Target = 'all' | number | number[] | string;

/** The longest interval of a cyclic send: a day. */
export const MAX_INTERVAL_MS = 86_400_000;

/** How the interval of a cyclic send is named in the sentences that refuse one. */
export const INTERVAL_NAME = 'the interval in milliseconds';

/** A send repeating every `intervalMs` until stopped. */
export interface CyclicInfo {
  intervalMs: number;
  target: Target;
  /** How many times it has sent so far. */
  sent: number;
}

/** A session as the page lists it. */
export interface SessionInfo {
  id: string;
  kind: SessionKind;
  spec: SessionSpec;
  state: SessionState;
  /** The encoding its `text` fields are decoded with. */
  encoding: string;
  /** Where it listens (servers) or what it is connected to (clients). */
  addresses?: string[];
  port?: number;
  peer?: string;
  local?: string;
  /** The last error, shown as a banner on the session until it is replaced or cleared. */
  error?: WireError;
  /** Why it closed. */
  reason?: string;
  /** The workspace session it was started from. */
  name?: string;
  /** Its capture, running or stopped (to be downloaded). */
  capture?: WireCapture;
  cyclic?: CyclicInfo;
  /** A relay's faults now in force. */
  faults?: FaultSettings;
  /** Where received bytes are saved (an absolute path on sockit's machine) and how many so far. */
  saving?: { path: string; bytes: number };
  createdAt: number;
}

/** A connected peer of a server session. */
export interface WireClient extends ConversationInfo {
  /** A relay's connection: the target it reached. */
  target?: string;
  /** A relay's connection: the directions held by a stall fault. */
  stalled?: ('up' | 'down')[];
}

/** A session's counters (exact, whatever events were dropped on the way to the page). */
export type Counters = EngineStats;

export * from './protocol-events.js';
import type { WireEvent } from './protocol-events.js';


/** How sent bytes are given: text (encoded with the session's encoding, then its line ending), hex (exactly the bytes typed), or raw base64. A WebSocket sends text as a text frame, the others as binary frames. */
export type Payload =
  | { kind: 'text'; text: string; eol?: LineEnding; escapes?: boolean }
  /** Hex bytes, `\r \n \t \0 \\` escapes and `"quoted text"` pieces in the session's encoding (see `hexMessageSource`). */
  | { kind: 'hex'; hex: string }
  | { kind: 'base64'; data: string }
  /**
   * A message builder (escapes, `{hex:…}`, `{counter}`, `{crc16modbus}`, …), compiled by the bridge as the CLI compiles `--send`;
   * rendered anew for each cyclic send. `hex`: typed in hex mode, so its sends are shown as hex.
   */
  | { kind: 'message'; source: string; eol?: LineEnding; hex?: boolean };

export type { LineEnding } from '../wire/quick.js';

/** What the bridge can do and the limits it keeps. */
export interface BridgeLimits {
  /** Payload bytes carried per event; the rest is counted in `bytes` and flagged `truncated`. */
  maxPayloadBytes: number;
  /** The largest message a page may send. */
  maxPageMessageBytes: number;
  /** Smallest interval of a cyclic send. */
  minIntervalMs: number;
}

// ---- page → server ----

/** The page introduces itself first; the server closes the socket on a version it cannot speak. */
export interface PageHello {
  type: 'hello';
  version: number;
  /** Event batches as binary messages (wire/event-batch.ts: raw bytes, no base64, text only where the page cannot decode it), not JSON. */
  binary?: boolean;
}

/** The page has taken the batch `seq`; the server sends only a few batches ahead of acks. */
export interface PageAck {
  type: 'ack';
  seq: number;
}

/** Start a session. One open beyond this machine (every interface, a whole disk served) is refused with `SOCKIT_ERR_CONFIRM` until asked again with `confirm`. */
export interface PageCreate {
  type: 'create';
  req: number;
  spec: SessionSpec;
  /** The person confirmed what the session exposes. */
  confirm?: boolean;
}

/** Stop a session (it stays listed as closed). */
export interface PageClose {
  type: 'close';
  req: number;
  session: string;
}

/** Start a closed session again with the same settings. */
export interface PageRestart {
  type: 'restart';
  req: number;
  session: string;
}

/** Stop a session and forget it. */
export interface PageRemove {
  type: 'remove';
  req: number;
  session: string;
}

/** Send bytes, once or every `repeatMs`. */
export interface PageSend {
  type: 'send';
  req: number;
  session: string;
  target: Target;
  payload: Payload;
  repeatMs?: number;
}

/** Stop a session's cyclic send. */
export interface PageStopCyclic {
  type: 'stop-cyclic';
  req: number;
  session: string;
}

/** Start a session's counters (bytes and messages each way, connections) from zero again; the log stays. */
export interface PageResetCounters {
  type: 'reset-counters';
  req: number;
  session: string;
}

/** Disconnect one client of a server session. */
export interface PageDisconnect {
  type: 'disconnect';
  req: number;
  session: string;
  client: number;
  /** A relay's connection: reset both ends (RST) instead of closing them (FIN). */
  reset?: boolean;
}

/** Replace a server session's rules while it runs (all checked first: a bad one changes nothing). */
export interface PageSetRules {
  type: 'set-rules';
  req: number;
  session: string;
  rules: WireRule[];
}

/** Decode payloads (base64) with an encoding the browser does not know. */
export interface PageDecode {
  type: 'decode';
  req: number;
  encoding: string;
  items: string[];
}

/** Every message a page sends. */
export type PageMessage =
  | PageHello | PageAck | PageCreate | PageClose | PageRestart | PageRemove | PageSend | PageStopCyclic | PageResetCounters | PageDisconnect | PageFaults | PageSetRules | PageDecode
  | PageWorkspaceOpen | PageWorkspaceSave | PageWorkspaceStart | PageCaptureStart | PageCaptureStop;

/** The requests that get a `result`. */
export type PageRequest = Exclude<PageMessage, PageHello | PageAck>;

// ---- server → page ----

/** The server's greeting: what it supports and the sessions that already exist. */
export interface ServerHello {
  type: 'hello';
  version: number;
  app: { name: string; version: string };
  /** Different each time sockit starts: what a page remembers of its sessions holds only for the same instance. */
  instance: string;
  kinds: SessionKind[];
  encodings: string[];
  limits: BridgeLimits;
  sessions: SessionInfo[];
  /** The workspace file this sockit opens and saves (`sockit.json`, or `--workspace`), when it has one. */
  workspace?: string;
}

/** A batch of events; `dropped` is how many this page has missed since it connected. */
export interface ServerEvents {
  type: 'events';
  seq: number;
  events: WireEvent[];
  dropped: number;
}

/** One session's counters, the clients of a server (the newest, when there are many) and a cyclic send's progress. */
export interface SessionStats {
  counters: Counters;
  clients?: WireClient[];
  /** How many clients there are, listed or not. */
  clientsTotal?: number;
  cyclicSent?: number;
  /** How often each rule fired, in the rules' order (sessions with rules). */
  ruleHits?: number[];
  /** Bytes saved to the session's file so far. */
  savedBytes?: number;
}

/** Counters (and clients of servers) of every session, twice a second. */
export interface ServerStats {
  type: 'stats';
  ts: number;
  sessions: Record<string, SessionStats>;
}

/** A session's counters at one moment (the throughput chart is drawn from their differences). */
export interface CounterSample {
  ts: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

/**
 * A session's recent past, sent after `hello` for each session, so a page that reloads or opens
 * in another tab shows what happened before it came. Bounded by the hub in events and bytes.
 */
export interface ServerHistory {
  type: 'history';
  session: string;
  events: WireEvent[];
  /** Older events the hub no longer keeps. */
  omitted: number;
  samples: CounterSample[];
}

/** A session was created or changed state. */
export interface ServerSession {
  type: 'session';
  info: SessionInfo;
}

/** A session was removed. */
export interface ServerRemoved {
  type: 'removed';
  session: string;
}

/** The answer to a request. */
export type ServerResult =
  | { type: 'result'; req: number; ok: true; session?: SessionInfo; texts?: string[]; delivered?: number; workspace?: WorkspaceState }
  | { type: 'result'; req: number; ok: false; error: WireError };

/** The server is going away (shutdown) or refuses this page (version). */
export interface ServerBye {
  type: 'bye';
  reason: string;
}

/** Every message the server sends. */
export type ServerMessage = ServerHello | ServerHistory | ServerEvents | ServerStats | ServerSession | ServerRemoved | ServerResult | ServerBye;
