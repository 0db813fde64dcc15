// The page's state and every action a person can take; components read it and call these, the bridge feeds it.
import type {
  Counters, LineEnding, Payload, ServerHello, ServerMessage, ServerResult, SessionInfo, SessionKind, SessionSpec, Target, WireClient, WireEvent,
} from '../bridge/protocol.js';
import { Link, type LinkState } from './connection.js';
import { LogStore, FilteredLog, isData, type Dir, type LogEntry } from './log-store.js';
import { TextSource, canonicalEncoding } from './decode.js';
import { clock, formatBytes, fromBase64, hexBytes, isoTime, toBase64, visible } from './format.js';
import { loadQuick, loadSettings, saveQuick, saveSettings, type QuickMessage, type Settings } from './persist.js';
import { checkEncoding, checkEndpoint, checkEscapes, checkFrame, checkHex, checkHost, checkInterval, checkPort } from './validate.js';

/** How one session's log is shown. */
export interface ViewState {
  mode: 'text' | 'hex';
  encoding: string;
  filter: string;
  dirs: { in: boolean; out: boolean; sys: boolean };
  autoscroll: boolean;
  selected: number | undefined;
}

/** A file being sent, chunk by chunk. */
export interface FileProgress {
  name: string;
  size: number;
  sent: number;
  state: 'sending' | 'done' | 'cancelled' | 'failed';
}

/** The send box of one session. */
export interface SendDraft {
  text: string;
  mode: 'text' | 'hex';
  eol: LineEnding;
  escapes: boolean;
  /** `all`, a client id, `remote` (UDP's remote) or `address` (the typed address). */
  target: string;
  address: string;
  repeat: boolean;
  intervalMs: string;
  error: { field?: string; message: string } | undefined;
  busy: boolean;
  file: FileProgress | undefined;
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
}

/** The new-session form. */
export interface DialogState {
  kind: SessionKind;
  values: Record<string, string | boolean>;
  errors: Record<string, string>;
  formError: { message: string; hint?: string } | undefined;
  busy: boolean;
}

// five minutes of samples, two a second
const MAX_SAMPLES = 600;
const STREAM_RENDER_MS = 100;

function clearTimer(t: ReturnType<typeof setTimeout> | undefined): undefined {
  if (t) clearTimeout(t);
  return undefined;
}
const utf8 = new TextEncoder();

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
const ZERO: Counters = { connections: 0, active: 0, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };

/** Form defaults per kind, before the person's own last values. */
export const FORM_DEFAULTS: Record<SessionKind, Record<string, string | boolean>> = {
  'tcp-server': { host: '', port: '8000', encoding: 'utf8', frame: 'raw', delimiter: '', welcome: '', reply: '', echo: false, closeAfterReply: false, quit: '', chat: false },
  'tcp-client': { host: '127.0.0.1', port: '8000', encoding: 'utf8', frame: 'raw', delimiter: '' },
  udp: { host: '', port: '9999', remote: '', encoding: 'utf8', reply: '', echo: false },
  http: { root: '.', host: '127.0.0.1', port: '8000' },
};

/** A short name for a session: what it is and where. */
export function titleOf(info: SessionInfo): string {
  const s = info.spec;
  const port = info.port ?? ('port' in s ? s.port : 0);
  switch (s.kind) {
    case 'tcp-server':
      return `TCP server :${port}`;
    case 'tcp-client':
      return `TCP client → ${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
    case 'udp':
      return s.remote ? `UDP :${port} → ${s.remote}` : `UDP :${port}`;
    case 'http':
      return `HTTP :${port}`;
  }
}

/** Where a session stands, in words. */
export function whereOf(info: SessionInfo): string {
  if (info.state === 'closed') return info.reason ? `closed: ${info.reason}` : 'closed';
  if (info.state === 'starting') return 'starting…';
  if (info.kind === 'tcp-client') return `connected to ${info.peer ?? '?'}${info.local ? ` from ${info.local}` : ''}`;
  const addrs = (info.addresses ?? []).map((a) => (a.includes(':') ? `[${a}]` : a)).join(', ');
  return `listening on ${addrs || '?'} port ${info.port ?? '?'}`;
}

type Listener = () => void;

/** The page's single store. */
export class Store {
  link: Link | undefined;
  linkState: LinkState = 'connecting';
  linkDetail = '';
  hello: ServerHello | undefined;
  readonly sessions = new Map<string, SessionModel>();
  selected: string | undefined;
  dialog: DialogState | undefined;
  helpOpen = false;
  settings: Settings = loadSettings();
  quick: QuickMessage[] = loadQuick();
  toast: { message: string; kind: 'info' | 'error'; at: number } | undefined;
  readonly text: TextSource;
  private readonly listeners = new Set<Listener>();
  private scheduled = false;
  private lastRender = 0;
  private streamTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly orphans = new Map<string, WireEvent[]>();

  constructor() {
    this.text = new TextSource(
      async (encoding, items) => {
        const r = await this.request({ type: 'decode', encoding, items });
        return r.ok ? r.texts ?? [] : Promise.reject(new Error(r.error.message));
      },
      () => this.notify(),
    );
  }

  // ---- plumbing ----

  /** Connects to the bridge this page was served by. */
  start(): void {
    const token = new URLSearchParams(location.search).get('token') ?? '';
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token)}`;
    this.link = new Link(url, {
      message: (m) => this.onMessage(m),
      state: (s, detail) => {
        this.linkState = s;
        this.linkDetail = detail ?? '';
        this.notify();
      },
    });
    this.applyTheme();
    this.link.connect();
  }

  /** Runs `fn` after the next change (at most once a frame). Returns an unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Marks the state changed; listeners run once in the next animation frame. */
  notify(): void {
    this.streamTimer = clearTimer(this.streamTimer);
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.lastRender = performance.now();
      for (const fn of this.listeners) fn();
    };
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(run);
    else setTimeout(run, 100);
  }

  /**
   * Marks a change that traffic made: rendered at most ten times a second, so a flood leaves
   * the page free to take in events (and a person can read nothing faster anyway).
   */
  private notifyStream(): void {
    if (this.scheduled || this.streamTimer) return;
    const wait = STREAM_RENDER_MS - (performance.now() - this.lastRender);
    if (wait <= 0) this.notify();
    else this.streamTimer = setTimeout(() => {
      this.streamTimer = undefined;
      this.notify();
    }, wait);
  }

  private request(body: Parameters<Link['request']>[0]): Promise<ServerResult> {
    if (!this.link) return Promise.resolve({ type: 'result', req: 0, ok: false, error: { code: 'SOCKIT_ERR_NETWORK', message: 'not connected' } });
    return this.link.request(body);
  }

  /** The selected session's model. */
  get current(): SessionModel | undefined {
    return this.selected ? this.sessions.get(this.selected) : undefined;
  }

  /** Sessions in the order they were created. */
  get list(): SessionModel[] {
    return [...this.sessions.values()];
  }

  /** Encodings the server knows (for the form and the view). */
  get encodings(): string[] {
    return this.hello?.encodings ?? [];
  }

  // ---- from the server ----

  private onMessage(msg: Exclude<ServerMessage, ServerResult>): void {
    switch (msg.type) {
      case 'hello':
        this.hello = msg;
        for (const info of msg.sessions) this.upsert(info);
        // sessions removed while this page was away
        for (const id of [...this.sessions.keys()]) if (!msg.sessions.some((s) => s.id === id)) this.sessions.delete(id);
        if (!this.selected && msg.sessions.length) this.selected = msg.sessions[msg.sessions.length - 1]!.id;
        break;
      case 'session':
        this.upsert(msg.info);
        if (!this.selected) this.selected = msg.info.id;
        break;
      case 'removed':
        this.sessions.delete(msg.session);
        if (this.selected === msg.session) this.selected = this.list[this.list.length - 1]?.id;
        break;
      case 'events':
        for (const e of msg.events) this.applyEvent(e);
        break;
      case 'stats':
        this.applyStats(msg.ts, msg.sessions);
        break;
      case 'bye':
        this.linkDetail = msg.reason;
        break;
    }
    if (msg.type === 'events' || msg.type === 'stats') this.notifyStream();
    else this.notify();
  }

  private upsert(info: SessionInfo): SessionModel {
    let m = this.sessions.get(info.id);
    if (m) {
      m.info = info;
      return m;
    }
    const s = this.settings;
    m = {
      id: info.id,
      info,
      log: new LogStore(),
      filtered: new FilteredLog(),
      counters: { ...ZERO },
      countersTs: 0,
      series: [],
      clients: [],
      clientsTotal: 0,
      view: { mode: s.mode, encoding: info.encoding, filter: '', dirs: { in: true, out: true, sys: true }, autoscroll: true, selected: undefined },
      draft: {
        text: '', mode: s.sendMode, eol: s.eol, escapes: s.escapes, target: info.kind === 'udp' && 'remote' in info.spec && info.spec.remote ? 'remote' : 'all',
        address: '', repeat: false, intervalMs: s.intervalMs, error: undefined, busy: false, file: undefined, history: [],
      },
      unseen: 0,
      dropped: 0,
    };
    this.sessions.set(info.id, m);
    const waiting = this.orphans.get(info.id);
    if (waiting) {
      this.orphans.delete(info.id);
      for (const e of waiting) this.applyEvent(e);
    }
    return m;
  }

  private applyEvent(e: WireEvent): void {
    const m = this.sessions.get(e.session);
    if (!m) {
      // an event can overtake its session's announcement: keep a few until it arrives
      const list = this.orphans.get(e.session) ?? [];
      if (list.length < 1000) list.push(e);
      this.orphans.set(e.session, list);
      return;
    }
    const log = m.log;
    const server = m.info.kind !== 'tcp-client';
    switch (e.event) {
      case 'data':
      case 'send':
        log.push(
          e.data !== undefined
            ? { ts: e.ts, dir: e.event === 'data' ? 'in' : 'out', event: e.event, id: e.id, peer: e.peer, n: e.event === 'data' ? e.n : undefined, bytes: e.bytes, data: fromBase64(e.data), text: e.text, truncated: e.truncated }
            : textLine(e.ts, e.event === 'data' ? 'in' : 'out', e.event, e.id, e.peer, e.event === 'data' ? e.n : undefined, e.bytes, e.text ?? ''),
        );
        if (this.selected !== m.id && e.event === 'data') m.unseen++;
        break;
      case 'listening': {
        const addrs = e.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(', ');
        log.push({ ts: e.ts, dir: 'sys', event: e.event, msg: `listening on ${addrs} port ${e.port} (${e.protocol})` });
        break;
      }
      case 'connect':
        log.push({ ts: e.ts, dir: 'sys', event: e.event, id: e.id, peer: e.peer, msg: server ? `connected (local ${e.local})` : `connected to ${e.peer} from ${e.local}` });
        if (server && m.info.kind === 'tcp-server' && !m.clients.some((c) => c.id === e.id)) {
          m.clients = [...m.clients, { id: e.id, peer: e.peer, since: e.ts, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }];
        }
        break;
      case 'close': {
        const bad = /reset|error|slow|too large|refused/.test(e.reason);
        log.push({ ts: e.ts, dir: bad ? 'err' : 'sys', event: e.event, id: e.id, peer: e.peer, msg: `closed: ${e.reason} · received ${formatBytes(e.bytesIn)}, sent ${formatBytes(e.bytesOut)}` });
        if (m.info.kind === 'tcp-server') m.clients = m.clients.filter((c) => c.id !== e.id);
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
      case 'dropped':
        m.dropped += e.count;
        log.push({ ts: e.ts, dir: 'err', event: e.event, msg: `${e.count.toLocaleString('en-US')} message${e.count === 1 ? '' : 's'} not shown here: the page could not keep up (the counters stay exact)` });
        break;
    }
  }

  private applyStats(ts: number, sessions: Record<string, { counters: Counters; clients?: WireClient[]; clientsTotal?: number; cyclicSent?: number }>): void {
    for (const [id, s] of Object.entries(sessions)) {
      const m = this.sessions.get(id);
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
      if (s.cyclicSent !== undefined && m.info.cyclic) m.info = { ...m.info, cyclic: { ...m.info.cyclic, sent: s.cyclicSent } };
    }
  }

  // ---- sessions ----

  /** Shows a session. */
  select(id: string): void {
    const m = this.sessions.get(id);
    if (!m) return;
    this.selected = id;
    m.unseen = 0;
    this.notify();
  }

  /** Stops a session (it stays, closed). */
  async stop(id: string): Promise<void> {
    const r = await this.request({ type: 'close', session: id });
    if (!r.ok) this.flash(r.error.message, 'error');
  }

  /** Starts a closed session again. */
  async restart(id: string): Promise<void> {
    const r = await this.request({ type: 'restart', session: id });
    if (!r.ok) this.flash(r.error.message, 'error');
  }

  /** Stops and forgets a session. */
  async remove(id: string): Promise<void> {
    const r = await this.request({ type: 'remove', session: id });
    if (!r.ok) this.flash(r.error.message, 'error');
  }

  /** Disconnects one client of a server. */
  async disconnect(id: string, client: number): Promise<void> {
    const r = await this.request({ type: 'disconnect', session: id, client });
    if (!r.ok) this.flash(r.error.message, 'error');
  }

  /** Changes how a session's log is shown. */
  setView(id: string, patch: Partial<ViewState>): void {
    const m = this.sessions.get(id);
    if (!m) return;
    m.view = { ...m.view, ...patch };
    if (patch.mode) {
      this.settings.mode = patch.mode;
      saveSettings(this.settings);
    }
    this.notify();
  }

  /** Empties a session's log. */
  clearLog(id: string): void {
    const m = this.sessions.get(id);
    if (!m) return;
    m.log.clear();
    m.view = { ...m.view, selected: undefined, autoscroll: true };
    this.notify();
  }

  /** A short message at the bottom of the page. */
  flash(message: string, kind: 'info' | 'error' = 'info'): void {
    this.toast = { message, kind, at: Date.now() };
    this.notify();
    const at = this.toast.at;
    setTimeout(() => {
      if (this.toast?.at === at) {
        this.toast = undefined;
        this.notify();
      }
    }, kind === 'error' ? 6000 : 2500);
  }

  // ---- the new-session form ----

  /** Opens the form for a kind (the last one used by default). */
  openNew(kind?: SessionKind): void {
    const kinds = this.hello?.kinds ?? ['tcp-server', 'tcp-client'];
    let k = (kind ?? this.settings.lastKind) as SessionKind;
    if (!kinds.includes(k)) k = kinds[0]!;
    this.dialog = { kind: k, values: { ...FORM_DEFAULTS[k], ...(this.settings.forms[k] ?? {}) }, errors: {}, formError: undefined, busy: false };
    this.notify();
  }

  /** Switches the form to another kind. */
  setKind(kind: SessionKind): void {
    if (!this.dialog) return;
    this.dialog = { kind, values: { ...FORM_DEFAULTS[kind], ...(this.settings.forms[kind] ?? {}) }, errors: {}, formError: undefined, busy: false };
    this.notify();
  }

  /** Closes the form. */
  closeDialog(): void {
    this.dialog = undefined;
    this.notify();
  }

  /** Sets one field; a field that showed an error is checked again as it is fixed. */
  setField(name: string, value: string | boolean): void {
    const d = this.dialog;
    if (!d) return;
    d.values = { ...d.values, [name]: value };
    if (d.errors[name]) {
      const errs = this.validateForm(d);
      d.errors = { ...d.errors };
      if (errs[name]) d.errors[name] = errs[name]!;
      else delete d.errors[name];
    }
    this.notify();
  }

  /** Checks one field when it loses focus. */
  blurField(name: string): void {
    const d = this.dialog;
    if (!d) return;
    const errs = this.validateForm(d);
    d.errors = { ...d.errors };
    if (errs[name]) d.errors[name] = errs[name]!;
    else delete d.errors[name];
    this.notify();
  }

  /** Every problem of the form, by field. */
  validateForm(d: DialogState): Record<string, string> {
    const v = d.values;
    const str = (k: string) => String(v[k] ?? '');
    const errs: Record<string, string> = {};
    const put = (k: string, e: string | undefined) => {
      if (e) errs[k] = e;
    };
    const client = d.kind === 'tcp-client';
    if (d.kind !== 'http') put('encoding', checkEncoding(str('encoding'), this.encodings));
    put('port', checkPort(str('port'), !client));
    put('host', checkHost(str('host'), client));
    if (d.kind === 'tcp-server' || d.kind === 'tcp-client') {
      if (str('frame') === 'delimiter') put('delimiter', checkFrame(str('delimiter')) ?? checkEscapes(str('delimiter')));
    }
    if (d.kind === 'tcp-server') {
      put('welcome', checkEscapes(str('welcome')));
      put('reply', checkEscapes(str('reply')));
      if (v.closeAfterReply && !v.echo && !str('reply')) put('closeAfterReply', 'closing after a reply needs a reply: give a reply template or tick echo');
    }
    if (d.kind === 'udp') {
      put('remote', checkEndpoint(str('remote'), false));
      put('reply', checkEscapes(str('reply')));
    }
    if (d.kind === 'http' && !str('root').trim()) put('root', 'give the folder to serve');
    return errs;
  }

  private specOf(d: DialogState): SessionSpec {
    const v = d.values;
    const str = (k: string) => String(v[k] ?? '').trim();
    const frame = str('frame') === 'delimiter' ? String(v.delimiter ?? '') : str('frame') || 'raw';
    const opt = (k: string) => (str(k) ? String(v[k]) : undefined);
    switch (d.kind) {
      case 'tcp-server':
        return {
          kind: 'tcp-server', host: opt('host'), port: Number(str('port')), encoding: str('encoding'), frame,
          welcome: opt('welcome'), reply: opt('reply'), quit: opt('quit'), echo: Boolean(v.echo), closeAfterReply: Boolean(v.closeAfterReply), chat: Boolean(v.chat),
        };
      case 'tcp-client':
        return { kind: 'tcp-client', host: str('host'), port: Number(str('port')), encoding: str('encoding'), frame };
      case 'udp':
        return { kind: 'udp', host: opt('host'), port: Number(str('port')), encoding: str('encoding'), remote: opt('remote'), reply: opt('reply'), echo: Boolean(v.echo) };
      case 'http':
        return { kind: 'http', root: str('root'), host: opt('host'), port: Number(str('port')) };
    }
  }

  /** Validates, then asks the server to start the session; errors land next to their fields. */
  async submitNew(): Promise<void> {
    const d = this.dialog;
    if (!d || d.busy) return;
    d.errors = this.validateForm(d);
    d.formError = undefined;
    if (Object.keys(d.errors).length) {
      this.notify();
      return;
    }
    d.busy = true;
    this.notify();
    const r = await this.request({ type: 'create', spec: this.specOf(d) });
    d.busy = false;
    if (!r.ok) {
      const f = r.error.field;
      if (f && f in d.values) d.errors = { ...d.errors, [f]: r.error.message + (r.error.hint ? ` — ${r.error.hint}` : '') };
      else d.formError = { message: r.error.message, hint: r.error.hint };
      this.notify();
      return;
    }
    this.settings.forms[d.kind] = d.values;
    this.settings.lastKind = d.kind;
    saveSettings(this.settings);
    this.dialog = undefined;
    if (r.session) {
      this.upsert(r.session);
      this.select(r.session.id);
    }
    this.notify();
  }

  // ---- sending ----

  /** Changes the send box of a session. */
  setDraft(id: string, patch: Partial<SendDraft>): void {
    const m = this.sessions.get(id);
    if (!m) return;
    const clearsError = 'text' in patch || 'mode' in patch || 'target' in patch || 'address' in patch || 'intervalMs' in patch;
    m.draft = { ...m.draft, ...patch, ...(clearsError && !('error' in patch) ? { error: undefined } : {}) };
    const s = this.settings;
    if (patch.eol || patch.mode || patch.escapes !== undefined || patch.intervalMs) {
      s.eol = m.draft.eol;
      s.sendMode = m.draft.mode;
      s.escapes = m.draft.escapes;
      s.intervalMs = m.draft.intervalMs;
      saveSettings(s);
    }
    this.notify();
  }

  /** The problem with the send box as it stands, if any (shown live, before sending). */
  draftProblem(m: SessionModel): { field: string; message: string } | undefined {
    const d = m.draft;
    if (d.mode === 'hex') {
      const r = checkHex(d.text);
      if ('error' in r) return { field: 'message', message: r.error };
    } else if (d.escapes) {
      const e = checkEscapes(d.text);
      if (e) return { field: 'message', message: e };
    }
    if (m.info.kind === 'udp' && d.target === 'address') {
      const e = checkEndpoint(d.address, true);
      if (e) return { field: 'target', message: e };
    }
    if (d.repeat) {
      const e = checkInterval(d.intervalMs, this.hello?.limits.minIntervalMs ?? 10);
      if (e) return { field: 'interval', message: e };
    }
    return undefined;
  }

  private targetOf(m: SessionModel): Target {
    const t = m.draft.target;
    if (m.info.kind === 'udp') {
      if (t === 'remote') return '';
      if (t === 'address') return m.draft.address.trim();
    }
    if (t === 'all' || t === '') return 'all';
    return Number(t);
  }

  private payloadOf(q: { mode: 'text' | 'hex'; text: string; eol: LineEnding; escapes: boolean }): Payload {
    return q.mode === 'hex' ? { kind: 'hex', hex: q.text, eol: q.eol } : { kind: 'text', text: q.text, eol: q.eol, escapes: q.escapes };
  }

  /** Sends the send box's message (or starts repeating it). */
  async send(id: string): Promise<void> {
    const m = this.sessions.get(id);
    if (!m || m.draft.busy) return;
    const d = m.draft;
    const problem = this.draftProblem(m);
    if (problem) {
      m.draft = { ...d, error: problem };
      this.notify();
      return;
    }
    if (d.text === '' && d.eol === 'none') {
      m.draft = { ...d, error: { field: 'message', message: 'type a message first' } };
      this.notify();
      return;
    }
    m.draft = { ...d, busy: true, error: undefined };
    this.notify();
    const r = await this.request({ type: 'send', session: id, target: this.targetOf(m), payload: this.payloadOf(d), ...(d.repeat ? { repeatMs: Number(d.intervalMs) } : {}) });
    const history = d.text && d.history[d.history.length - 1] !== d.text ? [...d.history.slice(-49), d.text] : d.history;
    m.draft = { ...m.draft, busy: false, history, error: r.ok ? undefined : { field: r.error.field ?? 'message', message: r.error.message } };
    this.notify();
  }

  /** Stops a repeating send. */
  async stopCyclic(id: string): Promise<void> {
    const r = await this.request({ type: 'stop-cyclic', session: id });
    if (!r.ok) this.flash(r.error.message, 'error');
  }

  /** Sends a file in chunks, each waiting for the last to be taken: progress is real and memory flat. */
  async sendFile(id: string, file: File): Promise<void> {
    const m = this.sessions.get(id);
    if (!m) return;
    const progress: FileProgress = { name: file.name, size: file.size, sent: 0, state: 'sending' };
    m.draft = { ...m.draft, file: progress, error: undefined };
    this.notify();
    const chunk = m.info.kind === 'udp' ? 8192 : 48 * 1024;
    const target = this.targetOf(m);
    for (let off = 0; off < file.size || (off === 0 && file.size === 0); off += chunk) {
      if (progress.state !== 'sending') break;
      const bytes = new Uint8Array(await file.slice(off, off + chunk).arrayBuffer());
      const r = await this.request({ type: 'send', session: id, target, payload: { kind: 'base64', data: toBase64(bytes) } });
      if (!r.ok) {
        progress.state = 'failed';
        m.draft = { ...m.draft, error: { field: 'file', message: `${file.name}: ${r.error.message}` } };
        break;
      }
      progress.sent += bytes.length;
      this.notify();
      if (file.size === 0) break;
    }
    if (progress.state === 'sending') progress.state = 'done';
    this.notify();
  }

  /** Stops a file being sent. */
  cancelFile(id: string): void {
    const f = this.sessions.get(id)?.draft.file;
    if (f && f.state === 'sending') f.state = 'cancelled';
    this.notify();
  }

  // ---- quick messages ----

  /** Saves the send box's message as a quick message. */
  saveQuick(id: string): void {
    const m = this.sessions.get(id);
    if (!m || m.draft.text === '') {
      this.flash('type a message in the send box first, then save it');
      return;
    }
    const d = m.draft;
    const label = d.text.length > 28 ? d.text.slice(0, 27) + '…' : d.text;
    this.quick = [...this.quick, { id: `q${Date.now().toString(36)}`, label, mode: d.mode, text: d.text, eol: d.eol, escapes: d.escapes }];
    saveQuick(this.quick);
    this.flash(`saved “${label}” as a quick message`);
  }

  /** Forgets a quick message. */
  deleteQuick(qid: string): void {
    this.quick = this.quick.filter((q) => q.id !== qid);
    saveQuick(this.quick);
    this.notify();
  }

  /** Sends a quick message to the current session's chosen target. */
  async sendQuick(q: QuickMessage): Promise<void> {
    const m = this.current;
    if (!m) return this.flash('create or choose a session first', 'error');
    if (m.info.state === 'closed') return this.flash('this session is closed; start it again first', 'error');
    const r = await this.request({ type: 'send', session: m.id, target: this.targetOf(m), payload: this.payloadOf(q) });
    if (!r.ok) this.flash(r.error.message, 'error');
  }

  /** Loads a quick message into the send box instead of sending it. */
  editQuick(q: QuickMessage): void {
    const m = this.current;
    if (!m) return;
    this.setDraft(m.id, { text: q.text, mode: q.mode, eol: q.eol, escapes: q.escapes });
  }

  // ---- view helpers ----

  /** The text of a data line as the view shows it, or undefined while it is being decoded. */
  textOf(m: SessionModel, e: LogEntry): string | undefined {
    return this.text.text(e, m.view.encoding, m.info.encoding);
  }

  /** Exports a session's log (the lines the filter shows) as text or NDJSON. */
  exportLog(id: string, format: 'text' | 'ndjson'): void {
    const m = this.sessions.get(id);
    if (!m) return;
    const title = titleOf(m.info);
    const lines: string[] = [];
    const server = m.info.kind !== 'tcp-client';
    for (const e of m.log.items) {
      if (!m.view.dirs[e.dir === 'err' ? 'sys' : e.dir]) continue;
      if (format === 'ndjson') {
        const o: Record<string, unknown> = { event: e.event, ts: isoTime(e.ts), session: title };
        if (e.peer !== undefined) o.peer = e.peer;
        if (e.id !== undefined) o.id = e.id;
        if (e.n !== undefined) o.n = e.n;
        if (isData(e)) {
          o.bytes = e.bytes;
          o.hex = hexBytes(e.data).replace(/ /g, '');
          const t = this.textOf(m, e);
          if (t !== undefined) o.text = t;
          if (e.truncated) o.truncated = true;
        } else {
          o.message = e.msg;
          if (e.code) o.code = e.code;
          if (e.hint) o.hint = e.hint;
        }
        lines.push(JSON.stringify(o));
      } else {
        const who = e.peer ? (server && e.id !== undefined ? `#${e.id} ${e.peer}` : e.peer) : '';
        const arrow = e.dir === 'in' ? '<-' : e.dir === 'out' ? '->' : e.dir === 'err' ? '!!' : '--';
        const body = isData(e) ? (m.view.mode === 'hex' ? hexBytes(e.data) : visible(this.textOf(m, e) ?? hexBytes(e.data))) : e.msg ?? '';
        lines.push(`${clock(e.ts)} ${arrow} ${who}${isData(e) ? ` ${e.bytes} B` : ''} ${body}`.replace(/ {2,}/g, ' '));
      }
    }
    const blob = new Blob([lines.join('\n') + '\n'], { type: format === 'ndjson' ? 'application/x-ndjson' : 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    a.download = `sockit-${m.id}-${stamp}.${format === 'ndjson' ? 'ndjson' : 'txt'}`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    this.flash(`exported ${lines.length.toLocaleString('en-US')} lines`);
  }

  // ---- theme and help ----

  /** Cycles system → light → dark. */
  cycleTheme(): void {
    const order: Settings['theme'][] = ['system', 'light', 'dark'];
    this.settings.theme = order[(order.indexOf(this.settings.theme) + 1) % order.length]!;
    saveSettings(this.settings);
    this.applyTheme();
    this.notify();
  }

  private applyTheme(): void {
    const t = this.settings.theme;
    if (t === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = t;
  }

  /** Shows or hides the keyboard help. */
  toggleHelp(open?: boolean): void {
    this.helpOpen = open ?? !this.helpOpen;
    this.notify();
  }
}

/** Whether two encoding names are the same encoding. */
export function sameEncoding(a: string, b: string): boolean {
  return canonicalEncoding(a) === canonicalEncoding(b);
}

/** The one store of the page. */
export const store = new Store();
