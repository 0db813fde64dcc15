// The page's one store: the link to the bridge, the sessions, the selection, notices, theme; its parts hold the form, the send box, quick messages and log views.
import type { ServerHello, ServerResult } from '../bridge/protocol.js';
import { Link, type LinkState, type RequestBody } from './connection.js';
import { loadSettings, saveSettings, type Settings } from './persist.js';
import type { SessionModel } from './session-model.js';
import { ServerFeed } from './feed.js';
import { NewSessionForm } from './form.js';
import { Sending } from './sending.js';
import { QuickMessages } from './quick.js';
import { Sequences } from './sequences.js';
import { LogViews } from './log-views.js';
import { RelayControls } from './relay.js';
import { PageMemory } from './page-memory.js';
import { SessionRules } from './rules.js';
import { WorkspaceModel } from './workspace.js';

// traffic renders at most this often, however fast events arrive
const STREAM_RENDER_MS = 100;

type Listener = () => void;

/**
 * What components read and call. State that belongs to one concern lives in its part
 * (`form`, `sending`, `quick`, `views`); the parts reach each other through this store.
 */
export class Store {
  link: Link | undefined;
  linkState: LinkState = 'connecting';
  linkDetail = '';
  hello: ServerHello | undefined;
  readonly sessions = new Map<string, SessionModel>();
  selected: string | undefined;
  helpOpen = false;
  /** On a narrow window the side columns are drawers: the one open, if any. */
  drawer: 'sessions' | 'side' | undefined;
  settings: Settings = loadSettings();
  toast: { message: string; kind: 'info' | 'error'; at: number } | undefined;

  /** Applies what the bridge says. */
  readonly feed = new ServerFeed(this);
  /** The new-session form. */
  readonly form = new NewSessionForm(this);
  /** The send box of each session. */
  readonly sending = new Sending(this);
  /** Saved quick messages. */
  readonly quick = new QuickMessages(this);
  /** Saved sequences of messages, and those running. */
  readonly sequences = new Sequences(this);
  /** How each session's log is shown and exported. */
  readonly views = new LogViews(this);
  /** A proxy's connections and faults. */
  readonly relay = new RelayControls(this);
  /** The rules tables of server sessions. */
  readonly rules = new SessionRules(this);
  /** The workspace file (sockit.json), when sockit has one. */
  readonly workspace = new WorkspaceModel(this);
  /** What this page remembers of the running sockit across reloads and tabs. */
  readonly memory = new PageMemory();

  private readonly listeners = new Set<Listener>();
  private scheduled = false;
  private lastRender = 0;
  private streamTimer: ReturnType<typeof setTimeout> | undefined;

  /** Connects to the bridge this page was served by. */
  start(): void {
    const token = new URLSearchParams(location.search).get('token') ?? '';
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token)}`;
    this.link = new Link(url, {
      message: (m) => this.feed.apply(m),
      state: (s, detail) => {
        this.linkState = s;
        this.linkDetail = detail ?? '';
        this.notify();
      },
    });
    this.applyTheme();
    addEventListener('pagehide', () => this.memory.flush());
    this.link.connect();
  }

  /** True while the page is connected to sockit: everything that asks it something needs this. */
  get online(): boolean {
    return this.linkState === 'open';
  }

  /** Runs `fn` after the next change (at most once a frame). Returns an unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Marks the state changed; listeners run once in the next animation frame. */
  notify(): void {
    if (this.streamTimer) clearTimeout(this.streamTimer);
    this.streamTimer = undefined;
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
  notifyStream(): void {
    if (this.scheduled || this.streamTimer) return;
    const wait = STREAM_RENDER_MS - (performance.now() - this.lastRender);
    if (wait <= 0) this.notify();
    else this.streamTimer = setTimeout(() => {
      this.streamTimer = undefined;
      this.notify();
    }, wait);
  }

  /** Asks the bridge; a failed result when there is no link. */
  request(body: RequestBody): Promise<ServerResult> {
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

  /** Shows a session. */
  select(id: string): void {
    const m = this.sessions.get(id);
    if (!m) return;
    this.selected = id;
    m.unseen = 0;
    this.memory.select(id);
    if (this.drawer === 'sessions') this.drawer = undefined;
    this.notify();
  }

  /** Opens a side column's drawer (narrow windows), or closes it when it is the one open. */
  toggleDrawer(which: 'sessions' | 'side' | undefined): void {
    this.drawer = which === this.drawer ? undefined : which;
    this.notify();
  }

  /** Stops a session (it stays, closed). */
  stop(id: string): Promise<void> {
    return this.ask({ type: 'close', session: id });
  }

  /** Starts a closed session again. */
  restart(id: string): Promise<void> {
    return this.ask({ type: 'restart', session: id });
  }

  /** Stops and forgets a session. */
  remove(id: string): Promise<void> {
    return this.ask({ type: 'remove', session: id });
  }

  /** Counts a session's traffic from zero again (in sockit, so every page and a reload see it); the log stays. */
  resetCounters(id: string): Promise<void> {
    return this.ask({ type: 'reset-counters', session: id });
  }

  /** Disconnects one client of a server. */
  disconnect(id: string, client: number): Promise<void> {
    return this.ask({ type: 'disconnect', session: id, client });
  }

  /** A request whose refusal is shown as a notice (its success shows through the feed). */
  private async ask(body: RequestBody): Promise<void> {
    const r = await this.request(body);
    if (!r.ok) this.flash(r.error.message, 'error');
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

  /** Sets the throughput chart's window. */
  setChartWindow(seconds: number): void {
    this.settings.chartWindowS = seconds;
    saveSettings(this.settings);
    this.notify();
  }

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

/** The one store of the page. */
export const store = new Store();
