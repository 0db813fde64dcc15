// The sessions a browser page drives: the set of them, shared by every open page, with their counters, sends and cyclic timers.
import { EventEmitter } from 'node:events';
import { UsageError } from '../errors.js';
import { decodeText, resolveEncoding } from '../wire/codec.js';
import type { ReceivedFile, SessionEvent } from '../net/session.js';
import { parseFrame, type FrameSpec } from '../wire/framing.js';
import { HubError, checkField, toWireError, usage } from './hub-error.js';
import { normaliseSpec } from './spec.js';
import type { FaultPatch } from '../wire/faults.js';
import { createDriver, DRIVER_KINDS, type Driver } from './drivers.js';
import { isUtf8 } from 'node:buffer';
import { compilePayload, type MessageCache } from './payload.js';
import { checkWireRules, toRuleSpec } from './rules-spec.js';
import { DEFAULT_RECENT_LIMITS, RecentLog, type RecentLimits } from './recent-log.js';
import { INTERVAL_NAME, MAX_INTERVAL_MS, type Counters, type Payload, type SessionInfo, type SessionKind, type SessionSpec, type SessionStats, type Target } from './protocol.js';
import { parseInteger } from '../wire/endpoint.js';
import { exposuresOf, type Exposure } from '../net/exposure.js';
import { SessionCaptures } from './session-capture.js';

interface Managed {
  info: SessionInfo;
  driver: Driver | undefined;
  frame: FrameSpec;
  cyclic: { timer: NodeJS.Timeout; busy: boolean } | undefined;
  /** Bumped on restart so events of a previous run are not mistaken for the current one. */
  run: number;
  /** The latest events and counters, for pages that connect later. */
  recent: RecentLog;
  /** Builder messages sent, compiled: `{counter}` counts on from one send to the next. */
  messages: MessageCache;
  /** True while bytes typed as hex are handed to the session: its send events are tagged for the pages. */
  sendingHex: boolean;
  /** The counters when a page last reset them: what pages see is counted from here. */
  zero: Counters | undefined;
  /** The file received bytes go to, this run. */
  saved?: ReceivedFile;
}

/** A core event as the hub keeps it: a send of bytes a page typed as hex says so, and pages show it as hex. */
export type HexTagged = SessionEvent & { hex?: true };

// the kinds that read a TCP byte stream: raw reads may split a character
const STREAM_KINDS: ReadonlySet<SessionKind> = new Set(['tcp-server', 'tcp-client', 'proxy']);
// the kinds whose rules a page can change while they run
const RULE_KINDS: ReadonlySet<SessionKind> = new Set(['tcp-server', 'ws-server']);

/** What a session's settings open beyond this machine (clients connect out: nothing). */
export function exposuresOfSpec(spec: SessionSpec): Exposure[] {
  if (spec.kind === 'tcp-client' || spec.kind === 'ws-client') return [];
  // the servers' default is every interface, as in the lessons; a static server's is localhost
  return exposuresOf({ host: spec.host, everyInterfaceByDefault: spec.kind !== 'http', root: spec.kind === 'http' ? spec.root : undefined });
}

/** Limits the hub applies to what pages ask. */
export interface HubOptions {
  /** Smallest interval of a cyclic send (default 10 ms). */
  minIntervalMs?: number;
  /** Clients listed per server in stats (default 200; the total is always given). */
  maxListedClients?: number;
  /** How much of each session's past is kept for pages that connect later. */
  recent?: Partial<RecentLimits>;
}

const MAX_LISTED_CLIENTS = 200;
// sockit is stopping: what sessions still have queued gets this long, so a stop signal ends it promptly
const SHUTDOWN_GRACE_MS = 250;

/**
 * Owns the sessions pages create. Emits `event` (session id, core event), `info` (SessionInfo)
 * and `removed` (session id). All socket work is the core sessions'; the hub validates, starts,
 * routes sends and keeps cyclic timers.
 */
export class SessionHub extends EventEmitter {
  private readonly sessions = new Map<string, Managed>();
  private nextId = 1;
  private readonly minIntervalMs: number;
  private readonly maxListedClients: number;
  private readonly recentLimits: RecentLimits;
  private closing = false;
  /** The captures pages started, and their files. */
  readonly captures = new SessionCaptures();

  constructor(options: HubOptions = {}) {
    super();
    this.minIntervalMs = options.minIntervalMs ?? 10;
    this.maxListedClients = options.maxListedClients ?? MAX_LISTED_CLIENTS;
    this.recentLimits = { ...DEFAULT_RECENT_LIMITS, ...options.recent };
  }

  /** The kinds of session this hub can create. */
  kinds(): SessionKind[] {
    return [...DRIVER_KINDS];
  }

  /** Every session, oldest first. */
  list(): SessionInfo[] {
    return [...this.sessions.values()].map((m) => m.info);
  }

  /**
   * Validates a spec, starts the session (called `name`, a workspace's session) and resolves with
   * its info; rejects with a HubError. With `askFirst`, a session open beyond this machine (see
   * {@link exposuresOf}) is refused with `SOCKIT_ERR_CONFIRM` saying what it exposes, for a person to confirm.
   */
  async create(spec: SessionSpec, name?: string, { askFirst = false }: { askFirst?: boolean } = {}): Promise<SessionInfo> {
    if (this.closing) throw new HubError({ code: 'SOCKIT_ERR_NETWORK', message: 'sockit is shutting down' });
    const normal = normaliseSpec(spec);
    const exposed = askFirst ? exposuresOfSpec(normal) : [];
    if (exposed.length) {
      throw new HubError({ code: 'SOCKIT_ERR_CONFIRM', message: `${exposed.map((x) => x.message).join('; and ')}.`, field: exposed[0]!.field, hint: 'start it anyway if that is what you want' });
    }
    const id = `s${this.nextId++}`;
    const frame = 'frame' in normal ? parseFrame(normal.frame, 'frame') : { kind: 'raw' as const };
    const m: Managed = {
      info: { id, kind: normal.kind, spec: normal, state: 'starting', encoding: 'encoding' in normal ? normal.encoding : 'utf8', createdAt: Date.now(), ...(name ? { name } : {}) },
      driver: undefined,
      frame,
      cyclic: undefined,
      run: 0,
      recent: new RecentLog(this.recentLimits),
      messages: new Map(),
      sendingHex: false,
      zero: undefined,
    };
    await this.start(m);
    this.sessions.set(id, m);
    this.emit('info', m.info);
    return m.info;
  }

  private async start(m: Managed): Promise<void> {
    const run = ++m.run;
    // a new run's session counts from zero itself
    m.zero = undefined;
    const driver = createDriver(m.info.spec, { name: m.info.id, frame: m.frame });
    driver.session.on('event', (e: SessionEvent) => {
      if (m.run !== run) return;
      this.publish(m, m.sendingHex && e.event === 'send' ? ({ ...e, hex: true } as HexTagged) : e);
      this.track(m, driver, e);
    });
    try {
      await driver.start();
    } catch (err) {
      throw new HubError(toWireError(err));
    }
    m.saved = this.saveReceived(m, driver, run);
    m.driver = driver;
    m.info = {
      ...m.info, ...driver.describe(), state: driver.client ? 'connected' : 'listening', error: undefined, reason: undefined,
      ...(m.saved ? { saving: { path: m.saved.path, bytes: 0 } } : {}),
    };
    void driver.session.closed.then(async () => {
      if (m.run !== run) return;
      this.stopCyclic(m, false);
      // a capture ends with its session: the file is whole, to be downloaded
      if (this.captures.running(m.info.id)) m.info = { ...m.info, state: 'closed', capture: await this.captures.stop(m.info.id) };
      if (m.info.state !== 'closed') m.info = { ...m.info, state: 'closed' };
      if (this.sessions.has(m.info.id)) this.emit('info', m.info);
    });
  }

  /**
   * Saves what the session receives to the file its spec names, written here, so nothing is lost
   * when pages are slow or closed; a run after the first adds to the file. The spec check refused
   * a file that exists unless told to overwrite it.
   */
  private saveReceived(m: Managed, driver: Driver, run: number): ReceivedFile | undefined {
    const spec = m.info.spec;
    if (!('saveTo' in spec) || !spec.saveTo) return undefined;
    try {
      return driver.session.saveReceived(spec.saveTo, { overwrite: spec.overwrite, append: run > 1 });
    } catch (err) {
      void driver.close(0);
      throw new HubError(toWireError(err));
    }
  }

  /** Keeps an event in the session's recent past and hands it to the pages (with whether the session reads a raw byte stream). */
  private publish(m: Managed, e: SessionEvent): void {
    m.recent.record(e);
    this.emit('event', m.info.id, e, m.info.encoding, m.frame.kind === 'raw' && STREAM_KINDS.has(m.info.kind));
  }

  private track(m: Managed, driver: Driver, e: SessionEvent): void {
    if (e.event === 'error' && e.id === undefined) {
      m.info = { ...m.info, error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } };
      this.emit('info', m.info);
    } else if (e.event === 'retry' && driver.client) {
      // a client that reconnects: closed for now, and trying again
      m.info = { ...m.info, state: 'starting', reason: `reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}): ${e.reason}` };
      this.emit('info', m.info);
    } else if (e.event === 'connect' && driver.client && m.driver === driver && m.info.state !== 'connected') {
      m.info = { ...m.info, ...driver.describe(), state: 'connected', reason: undefined, error: undefined };
      this.emit('info', m.info);
    } else if (e.event === 'close' && driver.client) {
      const reset = /reset/.test(e.reason);
      m.info = { ...m.info, state: 'closed', reason: e.reason, ...(reset ? { error: { code: 'SOCKIT_ERR_RESET', message: `the connection to ${e.peer} was reset by the peer` } } : {}) };
      this.stopCyclic(m, false);
      this.emit('info', m.info);
    }
  }

  private get(id: string): Managed {
    const m = this.sessions.get(id);
    if (!m) throw usage(`there is no session ${id}`);
    return m;
  }

  private live(id: string): Managed & { driver: Driver } {
    const m = this.get(id);
    if (!m.driver || m.info.state === 'closed') throw usage('this session is closed; start it again first');
    return m as Managed & { driver: Driver };
  }

  /** Stops a session; it stays listed, closed. */
  async close(id: string): Promise<SessionInfo> {
    const m = this.get(id);
    this.stopCyclic(m, false);
    if (m.driver && m.info.state !== 'closed') {
      m.info = { ...m.info, reason: m.info.reason ?? 'closed from the page' };
      await m.driver.close();
    }
    if (m.info.state !== 'closed') m.info = { ...m.info, state: 'closed' };
    this.emit('info', m.info);
    return m.info;
  }

  /** Starts a closed session again with the same spec and id. */
  async restart(id: string): Promise<SessionInfo> {
    const m = this.get(id);
    if (m.info.state !== 'closed') await this.close(id);
    try {
      await this.start(m);
    } catch (err) {
      m.info = { ...m.info, state: 'closed', error: toWireError(err) };
      this.emit('info', m.info);
      throw err;
    }
    this.emit('info', m.info);
    return m.info;
  }

  /** Stops a session and forgets it. */
  async remove(id: string): Promise<void> {
    const m = this.get(id);
    this.sessions.delete(id);
    this.stopCyclic(m, false);
    m.run++;
    if (m.driver && m.info.state !== 'closed') await m.driver.close();
    await this.captures.forget(id);
    this.emit('removed', id);
  }

  /** Starts capturing a running session (to a file of the hub's own, downloaded through the UI server). */
  async startCapture(id: string): Promise<SessionInfo> {
    const m = this.live(id);
    m.info = { ...m.info, capture: await this.captures.start(id, m.driver.session) };
    this.emit('info', m.info);
    return m.info;
  }

  /** Stops a session's capture; its file stays until the session is removed. */
  async stopCapture(id: string): Promise<SessionInfo> {
    const m = this.get(id);
    m.info = { ...m.info, capture: await this.captures.stop(id) };
    this.emit('info', m.info);
    return m.info;
  }

  /** Encodes a payload for a session and sends it; with `repeatMs`, keeps sending until stopped. */
  async send(id: string, target: Target, payload: Payload, repeatMs?: number): Promise<number> {
    const m = this.live(id);
    const render = checkField('message', () => compilePayload(payload, m.info.encoding, m.frame, m.messages));
    const bytes = render();
    // hex and raw bytes go as binary frames where frames have a type; text as text, and a built message as what it turned out to be
    const binary = payload.kind === 'message' ? !isUtf8(bytes) : payload.kind !== 'text';
    const hex = payload.kind === 'hex' || (payload.kind === 'message' && payload.hex === true);
    if (repeatMs === undefined) return this.deliver(m, target, bytes, binary, hex);
    const intervalMs = checkField('interval', () => parseInteger(repeatMs, INTERVAL_NAME, this.minIntervalMs, MAX_INTERVAL_MS));
    this.stopCyclic(m, false);
    const delivered = await this.deliver(m, target, bytes, binary, hex);
    const state = { timer: setInterval(() => tick(), intervalMs), busy: false };
    state.timer.unref();
    m.cyclic = state;
    m.info = { ...m.info, cyclic: { intervalMs, target, sent: 1 } };
    const tick = () => {
      // a slow peer makes sends wait: skip a tick rather than queue sends without bound
      if (state.busy || m.cyclic !== state || !m.driver) return;
      state.busy = true;
      // a message with variables ({counter}, {now}, …) is built anew each time
      this.handOver(m as Managed & { driver: Driver }, target, render(), binary, hex).then(
        () => {
          state.busy = false;
          if (m.info.cyclic && m.cyclic === state) m.info.cyclic.sent++;
        },
        (err) => {
          state.busy = false;
          this.publish(m, { event: 'error', ts: Date.now(), session: m.info.id, ...toWireError(err) });
          this.stopCyclic(m, true);
        },
      );
    };
    this.emit('info', m.info);
    return delivered;
  }

  private async deliver(m: Managed & { driver: Driver }, target: Target, bytes: Buffer, binary: boolean, hex: boolean): Promise<number> {
    try {
      return await this.handOver(m, target, bytes, binary, hex);
    } catch (err) {
      throw new HubError(toWireError(err, err instanceof UsageError ? 'target' : undefined));
    }
  }

  // sessions show what they write synchronously, within the driver's call: that is when a hex send is tagged
  private handOver(m: Managed & { driver: Driver }, target: Target, bytes: Buffer, binary: boolean, hex: boolean): Promise<number> {
    m.sendingHex = hex;
    try {
      return m.driver.send(target, bytes, binary);
    } finally {
      m.sendingHex = false;
    }
  }

  /** Stops a session's cyclic send. */
  stopCyclicSend(id: string): SessionInfo {
    const m = this.get(id);
    this.stopCyclic(m, true);
    return m.info;
  }

  private stopCyclic(m: Managed, announce: boolean): void {
    if (!m.cyclic) return;
    clearInterval(m.cyclic.timer);
    m.cyclic = undefined;
    const { cyclic: _gone, ...rest } = m.info;
    m.info = rest;
    if (announce) this.emit('info', m.info);
  }

  /** Replaces a server session's rules (every one checked first: a bad one changes nothing); a restart keeps them. */
  setRules(id: string, rules: unknown): SessionInfo {
    const m = this.get(id);
    if (!RULE_KINDS.has(m.info.kind)) throw usage('only a TCP or WebSocket server has rules', 'rules');
    const checked = checkWireRules(rules, m.info.encoding);
    if (m.driver?.setRules && m.info.state !== 'closed') checkField('rules', () => m.driver!.setRules!(checked.map(toRuleSpec)));
    m.info = { ...m.info, spec: { ...m.info.spec, rules: checked } as SessionSpec };
    this.emit('info', m.info);
    return m.info;
  }

  /** Disconnects one client of a server session (a relay's connection: reset with `reset`). */
  disconnect(id: string, client: number, reset = false): boolean {
    const m = this.live(id);
    if (!m.driver.disconnect) throw usage('this session has no clients to disconnect');
    return m.driver.disconnect(client, reset);
  }

  /** Changes a relay's faults; every page hears the new ones in the session's info. */
  setFaults(id: string, patch: FaultPatch): SessionInfo {
    const m = this.live(id);
    if (!m.driver.setFaults) throw usage('only a TCP or UDP proxy has faults to change');
    if (!patch || typeof patch !== 'object') throw usage('faults must be an object of faults', 'faults');
    const set = m.driver.setFaults;
    // the core checks each value (zeros turn faults off, so the patch goes as it is)
    const faults = checkField('faults', () => set(patch));
    m.info = { ...m.info, faults };
    this.emit('info', m.info);
    return m.info;
  }

  /** Decodes complete messages with an encoding (for pages whose browser does not know it). */
  decode(encoding: string, items: Buffer[]): string[] {
    const enc = checkField('encoding', () => resolveEncoding(encoding, 'encoding'));
    return items.map((b) => decodeText(b, enc));
  }

  /** A session's recent events and counter samples (for a page that connects now), or undefined. */
  recent(id: string): RecentLog | undefined {
    return this.sessions.get(id)?.recent;
  }

  /** Takes a counter sample of every running session, for the charts of pages that connect later. */
  sample(ts = Date.now()): void {
    for (const m of this.sessions.values()) {
      if (!m.driver || m.info.state === 'closed') continue;
      const c = this.countersOf(m as Managed & { driver: Driver });
      m.recent.sample({ ts, bytesIn: c.bytesIn, bytesOut: c.bytesOut, messagesIn: c.messagesIn, messagesOut: c.messagesOut });
    }
  }

  private countersOf(m: Managed & { driver: Driver }): Counters {
    const c = m.driver.counters ? m.driver.counters() : { ...m.driver.session.stats };
    const z = m.zero;
    if (!z) return c;
    return {
      connections: c.connections - z.connections, active: c.active,
      bytesIn: c.bytesIn - z.bytesIn, bytesOut: c.bytesOut - z.bytesOut, messagesIn: c.messagesIn - z.messagesIn, messagesOut: c.messagesOut - z.messagesOut,
    };
  }

  /** Counts a session's bytes, messages and connections from zero again, for every page (the connections open now stay counted). */
  resetCounters(id: string): void {
    const m = this.get(id);
    if (!m.driver) return;
    const c = m.driver.counters ? m.driver.counters() : { ...m.driver.session.stats };
    m.zero = { ...c, connections: c.connections - c.active };
  }

  /** Counters of every session, and the clients of servers. */
  stats(): Record<string, SessionStats> {
    const out: Record<string, SessionStats> = {};
    for (const m of this.sessions.values()) {
      if (!m.driver) continue;
      const entry: SessionStats = { counters: this.countersOf(m as Managed & { driver: Driver }) };
      if (m.driver.clients && m.info.state !== 'closed') {
        const all = m.driver.clients();
        entry.clientsTotal = all.length;
        entry.clients = all.length > this.maxListedClients ? all.slice(-this.maxListedClients) : all;
      }
      if (m.info.cyclic) entry.cyclicSent = m.info.cyclic.sent;
      if (m.saved) entry.savedBytes = m.saved.bytes;
      const hits = m.driver.ruleHits?.();
      if (hits?.length) entry.ruleHits = hits;
      out[m.info.id] = entry;
    }
    return out;
  }

  /** Closes every session. */
  async closeAll(): Promise<void> {
    this.closing = true;
    const all = [...this.sessions.values()];
    for (const m of all) this.stopCyclic(m, false);
    await Promise.all(all.map((m) => (m.driver && m.info.state !== 'closed' ? m.driver.close(SHUTDOWN_GRACE_MS) : undefined)));
    await this.captures.closeAll();
  }
}
