// What the bridge tells the page, applied to the store: sessions appearing and going, their events as log lines, counters as rates.
import type { CounterSample, ServerHistory, ServerMessage, ServerResult, SessionInfo, SessionStats, WireEvent } from '../bridge/protocol.js';
import { formatBytes, formatCount } from '../wire/format-bytes.js';
import { describeFaults } from '../wire/faults.js';
import type { Dir, LogEntry } from './log-store.js';
import { fromBase64 } from './format.js';
import { bracketed, newSessionModel, type SessionModel } from './session-model.js';
import type { Store } from './store.js';
import { closeFrameText, controlEntry, handshakeText, isClientKind, isServerKind, retryEntry } from './ws-kinds.js';

// five minutes of samples, two a second
const MAX_SAMPLES = 600;
// events that overtake their session's announcement, kept until it arrives
const MAX_ORPHANS = 1000;

const utf8 = new TextEncoder();

/** Kinds whose connections are listed at the side: servers', and a relay's. */
const hasClients = (kind: SessionInfo['kind']) => isServerKind(kind) || kind === 'proxy';

/** A data line whose bytes are the UTF-8 of its text: encoded only if someone looks at them (hex view, export). */
function textLine(ts: number, dir: Dir, event: string, id: number, peer: string, n: number | undefined, bytes: number, text: string): Omit<LogEntry, 'seq'> {
  let data: Uint8Array | undefined;
  return {
    ts, dir, event, id, peer, n, bytes, text,
    get data() {
      return (data ??= utf8.encode(text));
    },
  };
}

/** True when a kept event is the one a log line was made from. */
function sameEvent(e: WireEvent, line: LogEntry): boolean {
  if (e.ts !== line.ts || e.event !== line.event) return false;
  if (e.event === 'data' || e.event === 'send') return e.bytes === line.bytes && e.peer === line.peer && e.id === line.id;
  return true;
}

/** Applies the bridge's messages to the store's sessions. */
export class ServerFeed {
  private readonly orphans = new Map<string, WireEvent[]>();

  constructor(private readonly store: Store) {}

  /** Takes one message from the bridge (results go to their requests, not here). */
  apply(msg: Exclude<ServerMessage, ServerResult>): void {
    const store = this.store;
    const sessions = store.sessions;
    switch (msg.type) {
      case 'hello': {
        // another run of sockit numbers its sessions from s1 again: nothing this page holds is about them
        if (store.hello && store.hello.instance !== msg.instance) {
          sessions.clear();
          store.selected = undefined;
        }
        store.hello = msg;
        store.memory.begin(msg.instance);
        if (msg.workspace) void store.workspace.open();
        for (const info of msg.sessions) this.upsert(info, { started: false });
        // sessions removed while this page was away
        for (const id of [...sessions.keys()]) if (!msg.sessions.some((s) => s.id === id)) sessions.delete(id);
        if (!store.selected || !sessions.has(store.selected)) {
          store.selected = store.memory.selected((id) => sessions.has(id)) ?? msg.sessions[msg.sessions.length - 1]?.id;
        }
        break;
      }
      case 'history':
        this.applyHistory(msg);
        break;
      case 'session':
        this.upsert(msg.info);
        if (!store.selected) store.selected = msg.info.id;
        break;
      case 'removed':
        sessions.delete(msg.session);
        store.memory.forget(msg.session);
        if (store.selected === msg.session) store.selected = store.list[store.list.length - 1]?.id;
        break;
      case 'events':
        for (const e of msg.events) this.applyEvent(e);
        break;
      case 'stats':
        this.applyStats(msg.ts, msg.sessions);
        break;
      case 'bye':
        store.linkDetail = msg.reason;
        break;
    }
    if (msg.type === 'events' || msg.type === 'stats') store.notifyStream();
    else store.notify();
  }

  /**
   * Adds a session or updates its info; events that arrived before it are applied now. A session
   * met as it starts (`started`: not listed by a hello) counts from zero since it was created, so
   * the first counters the page hears make a rate, even of a burst that came before them; one
   * listed by a hello takes its starting point from the history that follows.
   */
  upsert(info: SessionInfo, { started = true }: { started?: boolean } = {}): SessionModel {
    const sessions = this.store.sessions;
    let m = sessions.get(info.id);
    if (m) {
      m.info = info;
      this.store.rules.sync(m);
      return m;
    }
    m = newSessionModel(info, this.store.settings);
    if (started) m.countersTs = info.createdAt;
    this.store.memory.restore(m);
    sessions.set(info.id, m);
    const waiting = this.orphans.get(info.id);
    if (waiting) {
      this.orphans.delete(info.id);
      for (const e of waiting) this.applyEvent(e);
    }
    return m;
  }

  /**
   * A session's recent past, as the hub kept it. A fresh page shows all of it; a page that was
   * connected before keeps its own log and adds what it missed while it was away.
   */
  private applyHistory(msg: ServerHistory): void {
    const m = this.store.sessions.get(msg.session);
    if (!m) return;
    const events = msg.events;
    const last = m.log.items[m.log.items.length - 1];
    let from = 0;
    if (last) {
      let i = events.length - 1;
      while (i >= 0 && !sameEvent(events[i]!, last)) i--;
      from = i >= 0 ? i + 1 : events.findIndex((e) => e.ts > last.ts);
      if (from < 0) from = events.length;
      if (from < events.length) m.log.push({ ts: events[from]!.ts, dir: 'sys', event: 'note', msg: 'while this page was away:' });
    } else if (msg.omitted > 0 && events.length) {
      m.log.push({ ts: events[0]!.ts, dir: 'sys', event: 'note', msg: `${formatCount(msg.omitted)} earlier event${msg.omitted === 1 ? ' is' : 's are'} no longer kept by sockit` });
    }
    for (let i = from; i < events.length; i++) this.applyEvent(events[i]!, true);
    if (m.series.length === 0) this.applySamples(m, msg.samples);
  }

  /** The throughput chart's history, from the counters the hub sampled. */
  private applySamples(m: SessionModel, samples: CounterSample[]): void {
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1]!;
      const b = samples[i]!;
      const dt = (b.ts - a.ts) / 1000;
      if (dt <= 0) continue;
      const d = (x: number, y: number) => Math.max(0, x - y) / dt;
      m.series.push({ ts: b.ts, inBps: d(b.bytesIn, a.bytesIn), outBps: d(b.bytesOut, a.bytesOut), inMps: d(b.messagesIn, a.messagesIn), outMps: d(b.messagesOut, a.messagesOut) });
    }
    if (m.series.length > MAX_SAMPLES) m.series.splice(0, m.series.length - MAX_SAMPLES);
    const latest = samples[samples.length - 1];
    if (latest && !m.countersTs) {
      // the next stats message measures its rates from here
      m.counters = { ...m.counters, bytesIn: latest.bytesIn, bytesOut: latest.bytesOut, messagesIn: latest.messagesIn, messagesOut: latest.messagesOut };
      m.countersTs = latest.ts;
    }
  }

  private applyEvent(e: WireEvent, replayed = false): void {
    const m = this.store.sessions.get(e.session);
    if (!m) {
      const list = this.orphans.get(e.session) ?? [];
      if (list.length < MAX_ORPHANS) list.push(e);
      this.orphans.set(e.session, list);
      return;
    }
    const log = m.log;
    const server = !isClientKind(m.info.kind);
    switch (e.event) {
      case 'data':
      case 'send': {
        // a relay's two directions in the two colours of the log: up as received, down as sent
        const direction = e.event === 'data' ? e.direction : undefined;
        const dir: Dir = e.event === 'send' || direction === 'down' ? 'out' : 'in';
        // bytes from a binary batch are copied out of it, so a kept line does not hold the whole batch;
        // their text is decoded when shown, unless the server sent it (see TextSource)
        const bytes = e.raw !== undefined ? e.raw.slice() : e.data !== undefined ? fromBase64(e.data) : undefined;
        const line: Omit<LogEntry, 'seq'> = bytes !== undefined
          ? { ts: e.ts, dir, event: e.event, id: e.id, peer: e.peer, n: e.event === 'data' ? e.n : undefined, bytes: e.bytes, data: bytes, text: e.text, truncated: e.truncated }
          : textLine(e.ts, dir, e.event, e.id, e.peer, e.event === 'data' ? e.n : undefined, e.bytes, e.text ?? '');
        if (direction) line.direction = direction;
        if (e.event === 'send' && e.hex) line.hex = true;
        if (e.opcode) Object.assign(line, { frame: e.opcode, ...(e.event === 'send' && e.fin === false ? { fin: false } : {}) });
        log.push(line);
        if (!replayed && this.store.selected !== m.id && e.event === 'data') m.unseen++;
        break;
      }
      case 'target':
        log.push({ ts: e.ts, dir: 'sys', event: e.event, id: e.id, peer: e.peer, msg: `target ${e.target} connected in ${e.connectMs} ms${e.tls ? ` · TLS ${e.tls.protocol} ${e.tls.cipher}, ${e.tls.subject} by ${e.tls.issuer}${e.tls.authorized ? '' : ' (not verified)'}` : ''}` });
        break;
      case 'faults':
        m.info = { ...m.info, faults: { up: e.up, down: e.down, refuse: e.refuse } };
        log.push({ ts: e.ts, dir: 'sys', event: e.event, msg: `faults: ${describeFaults(e)}` });
        break;
      case 'listening':
        log.push({ ts: e.ts, dir: 'sys', event: e.event, msg: `listening on ${bracketed(e.addresses)} port ${e.port} (${e.protocol})` });
        break;
      case 'connect':
        if (m.info.kind === 'udp') {
          // a UDP socket aimed at a remote: nobody answered yet, so no peer number
          log.push({ ts: e.ts, dir: 'sys', event: e.event, peer: e.peer, msg: `sending to ${e.peer} from ${e.local}` });
          break;
        }
        log.push({ ts: e.ts, dir: 'sys', event: e.event, id: e.id, peer: e.peer, msg: (server ? `connected (local ${e.local})` : `connected to ${e.peer} from ${e.local}`) + handshakeText(e) });
        if (server && hasClients(m.info.kind) && !m.clients.some((c) => c.id === e.id)) {
          m.clients = [...m.clients, { id: e.id, peer: e.peer, since: e.ts, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }];
        }
        break;
      case 'close': {
        const bad = /reset|error|slow|too large|refused/.test(e.reason);
        const counts = e.closedBy ? `up ${formatBytes(e.bytesIn)}, down ${formatBytes(e.bytesOut)}` : `received ${formatBytes(e.bytesIn)}, sent ${formatBytes(e.bytesOut)}`;
        log.push({ ts: e.ts, dir: bad ? 'err' : 'sys', event: e.event, id: e.id, peer: e.peer, msg: `closed: ${e.reason}${e.closedBy ? '' : closeFrameText(e)} · ${counts}` });
        if (hasClients(m.info.kind)) m.clients = m.clients.filter((c) => c.id !== e.id);
        break;
      }
      case 'error':
        log.push({ ts: e.ts, dir: 'err', event: e.event, id: e.id, peer: e.peer, msg: e.message, hint: e.hint, code: e.code });
        break;
      case 'summary':
        log.push({ ts: e.ts, dir: 'sys', event: e.event, msg: `session ended after ${Math.round(e.durationMs / 1000)} s: ${e.connections} connection${e.connections === 1 ? '' : 's'}, received ${formatBytes(e.bytesIn)}, sent ${formatBytes(e.bytesOut)}` });
        break;
      case 'request':
        log.push({ ts: e.ts, dir: e.status >= 400 ? 'err' : 'in', event: e.event, peer: e.peer, msg: `${e.method} ${e.url} → ${e.status} · ${formatBytes(e.bytes)} · ${e.ms} ms${e.note ? ` · ${e.note}` : ''}` });
        break;
      case 'control': {
        const line = controlEntry(e);
        // a relay's frames take the colour and arrow of their direction, as its messages do
        if (e.way) Object.assign(line, { dir: e.way === 'up' ? 'in' : 'out', direction: e.way });
        log.push(line);
        break;
      }
      case 'retry':
        log.push(retryEntry(e));
        break;
      case 'dropped':
        m.dropped += e.count;
        log.push({ ts: e.ts, dir: 'err', event: e.event, msg: `${e.count.toLocaleString('en-US')} message${e.count === 1 ? '' : 's'} not shown here: the page could not keep up (the counters stay exact)` });
        break;
    }
  }

  private applyStats(ts: number, sessions: Record<string, SessionStats>): void {
    for (const [id, s] of Object.entries(sessions)) {
      const m = this.store.sessions.get(id);
      if (!m) continue;
      const prev = m.counters;
      const dt = (ts - m.countersTs) / 1000;
      if (m.countersTs && dt > 0) {
        const d = (a: number, b: number) => Math.max(0, a - b) / dt;
        m.series.push({ ts, inBps: d(s.counters.bytesIn, prev.bytesIn), outBps: d(s.counters.bytesOut, prev.bytesOut), inMps: d(s.counters.messagesIn, prev.messagesIn), outMps: d(s.counters.messagesOut, prev.messagesOut) });
        if (m.series.length > MAX_SAMPLES) m.series.splice(0, m.series.length - MAX_SAMPLES);
      }
      m.counters = s.counters;
      m.countersTs = ts;
      if (s.clients) {
        m.clients = s.clients;
        m.clientsTotal = s.clientsTotal ?? s.clients.length;
      } else if (m.info.state === 'closed') {
        m.clients = [];
        m.clientsTotal = 0;
      }
      if (s.ruleHits || m.rules.hits.length) m.rules = { ...m.rules, hits: s.ruleHits ?? [] };
      if (s.cyclicSent !== undefined && m.info.cyclic) m.info = { ...m.info, cyclic: { ...m.info.cyclic, sent: s.cyclicSent } };
      if (s.savedBytes !== undefined && m.info.saving) m.info = { ...m.info, saving: { ...m.info.saving, bytes: s.savedBytes } };
    }
  }
}
