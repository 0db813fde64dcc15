// What the page knows about one session: its log, counters, throughput samples, clients, view and send box; and how it is named.
import type { Counters, LineEnding, SessionInfo, WireClient } from '../bridge/protocol.js';
import { LogStore, FilteredLog } from './log-store.js';
import type { Settings } from './persist.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { isClientKind, wsTitle } from './ws-kinds.js';
import { newRulesState, type RulesState } from './rules.js';

/** How one session's log is shown. */
export interface ViewState {
  mode: 'text' | 'hex';
  encoding: string;
  filter: string;
  dirs: { in: boolean; out: boolean; sys: boolean };
  autoscroll: boolean;
  selected: number | undefined;
  /** Long lines wrap instead of being cut. */
  wrap: boolean;
  /** The time column is shown. */
  times: boolean;
}

/** A file being sent, chunk by chunk. */
export interface FileProgress {
  name: string;
  size: number;
  sent: number;
  /** Packets sent, and how many the file makes. */
  packets: number;
  totalPackets: number;
  state: 'sending' | 'done' | 'cancelled' | 'failed';
}

/** The send box of one session. */
export interface SendDraft {
  text: string;
  mode: 'text' | 'hex';
  eol: LineEnding;
  escapes: boolean;
  /** The text is a message builder ({hex:…}, {counter}, {crc16modbus}, …). */
  builder: boolean;
  /** A checksum appended to each send (a builder's name), or ''. */
  append: string;
  /** `all`, a client id, `picked` (the clients ticked in the clients panel), `remote` (UDP's remote) or `address` (the typed address). */
  target: string;
  /** The clients ticked in the clients panel, by id. */
  picked: number[];
  address: string;
  repeat: boolean;
  intervalMs: string;
  error: { field?: string; message: string } | undefined;
  busy: boolean;
  file: FileProgress | undefined;
  /** The file row is open: packet size and delay, then a file to pick. */
  fileSetup: boolean;
  /** Bytes per packet of a file send (`1024`, `1k`); empty: as large as the bridge takes. */
  filePacket: string;
  /** Milliseconds between a file's packets; empty or 0: none. */
  fileDelayMs: string;
  history: string[];
}

/** One throughput sample (rates over the half second before `ts`). */
export interface Sample {
  ts: number;
  inBps: number;
  outBps: number;
  inMps: number;
  outMps: number;
}

/** Everything the page knows about one session. */
export interface SessionModel {
  id: string;
  info: SessionInfo;
  log: LogStore;
  filtered: FilteredLog;
  counters: Counters;
  countersTs: number;
  series: Sample[];
  clients: WireClient[];
  clientsTotal: number;
  view: ViewState;
  draft: SendDraft;
  unseen: number;
  dropped: number;
  /** The rules table of a server session. */
  rules: RulesState;
}

/** A session as the page first holds it: an empty log, zero counters, the view and send box as last used. */
export function newSessionModel(info: SessionInfo, s: Settings): SessionModel {
  return {
    id: info.id,
    info,
    log: new LogStore(),
    filtered: new FilteredLog(),
    counters: { connections: 0, active: 0, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 },
    countersTs: 0,
    series: [],
    clients: [],
    clientsTotal: 0,
    view: { mode: s.mode, encoding: info.encoding, filter: '', dirs: { in: true, out: true, sys: true }, autoscroll: true, selected: undefined, wrap: s.wrap, times: s.times },
    draft: {
      text: '', mode: s.sendMode, eol: s.eol, escapes: s.escapes, builder: false, append: '', target: info.kind === 'udp' && 'remote' in info.spec && info.spec.remote ? 'remote' : 'all',
      picked: [], address: '', repeat: false, intervalMs: s.intervalMs, error: undefined, busy: false, file: undefined, fileSetup: false, filePacket: '', fileDelayMs: '', history: [],
    },
    unseen: 0,
    dropped: 0,
    rules: newRulesState(info),
  };
}

/** Addresses as people write them next to a port: `[::1]`, `127.0.0.1`. */
export function bracketed(addresses: readonly string[]): string {
  return addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(', ');
}

/** A short name for a session: its workspace name, if it has one, then what it is and where. */
export function titleOf(info: SessionInfo): string {
  return info.name ? `${info.name} · ${kindTitle(info)}` : kindTitle(info);
}

function kindTitle(info: SessionInfo): string {
  const s = info.spec;
  const port = info.port ?? ('port' in s ? s.port : 0);
  switch (s.kind) {
    case 'tcp-server':
      return `TCP server :${port}`;
    case 'tcp-client':
      return `TCP client → ${formatEndpoint(s.host, s.port)}`;
    case 'udp':
      return s.remote ? `UDP :${port} → ${s.remote}` : `UDP :${port}`;
    case 'http':
      return `HTTP :${port}`;
    case 'ws-server':
    case 'ws-client':
      return wsTitle(s, info.port)!;
    case 'proxy':
      return `${s.udp ? 'UDP proxy' : s.ws ? 'WebSocket proxy' : 'Proxy'} :${port} → ${s.target}`;
  }
}

/** Where a session stands, in words. */
export function whereOf(info: SessionInfo): string {
  if (info.state === 'closed') return info.reason ? `closed: ${info.reason}` : 'closed';
  if (info.state === 'starting') return 'starting…';
  if (isClientKind(info.kind)) return `connected to ${info.peer ?? '?'}${info.local ? ` from ${info.local}` : ''}`;
  if (info.kind === 'proxy') return `listening on ${bracketed(info.addresses ?? []) || '?'} port ${info.port ?? '?'}, relaying to ${info.peer ?? '?'}`;
  return `listening on ${bracketed(info.addresses ?? []) || '?'} port ${info.port ?? '?'}`;
}
