// What a page remembers of one running sockit across reloads and tabs: the session shown, and each session's send box and view.
import type { LineEnding } from '../bridge/protocol.js';
import type { SessionModel } from './session-model.js';

/** The parts of a send box worth keeping. */
interface SavedDraft {
  text: string;
  mode: 'text' | 'hex';
  eol: LineEnding;
  escapes: boolean;
  builder?: boolean;
  append?: string;
  target: string;
  picked?: number[];
  address: string;
  repeat: boolean;
  intervalMs: string;
  filePacket?: string;
  fileDelayMs?: string;
  history: string[];
}

/** The parts of a log view worth keeping. */
interface SavedView {
  mode: 'text' | 'hex';
  encoding: string;
  wrap?: boolean;
  times?: boolean;
}

interface Memory {
  /** The sockit run these belong to (session ids start again at s1 when sockit restarts). */
  instance: string;
  selected?: string;
  drafts: Record<string, SavedDraft>;
  views: Record<string, SavedView>;
}

const KEY = 'sockit.page.v1';
const SAVE_DELAY_MS = 250;

function read(): Memory | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    const m = raw ? (JSON.parse(raw) as Memory) : undefined;
    return m && typeof m.instance === 'string' && m.drafts && m.views ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The page's memory of the sockit it talks to, in localStorage (shared by its tabs). Kept only
 * for the same run of sockit; writes are gathered, so typing costs no storage write per key.
 */
export class PageMemory {
  private memory: Memory = { instance: '', drafts: {}, views: {} };
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Called with the server's greeting: what was remembered for this run, or a fresh start. */
  begin(instance: string): void {
    const saved = read();
    this.memory = saved && saved.instance === instance ? saved : { instance, drafts: {}, views: {} };
  }

  /** The session last shown, if it still exists. */
  selected(exists: (id: string) => boolean): string | undefined {
    const id = this.memory.selected;
    return id && exists(id) ? id : undefined;
  }

  /** Gives a session just learned of its remembered send box and view. */
  restore(m: SessionModel): void {
    const d = this.memory.drafts[m.id];
    if (d) m.draft = { ...m.draft, ...d, picked: Array.isArray(d.picked) ? d.picked.filter(Number.isSafeInteger) : [], history: Array.isArray(d.history) ? d.history.slice(-50) : [] };
    const v = this.memory.views[m.id];
    if (v) m.view = { ...m.view, ...v };
  }

  /** Remembers the session shown. */
  select(id: string | undefined): void {
    this.memory.selected = id;
    this.save();
  }

  /** Remembers a session's send box and view as they are now. */
  keep(m: SessionModel): void {
    const d = m.draft;
    this.memory.drafts[m.id] = { text: d.text, mode: d.mode, eol: d.eol, escapes: d.escapes, builder: d.builder, append: d.append, target: d.target, picked: d.picked, address: d.address, repeat: d.repeat, intervalMs: d.intervalMs, filePacket: d.filePacket, fileDelayMs: d.fileDelayMs, history: d.history.slice(-50) };
    const v = m.view;
    this.memory.views[m.id] = { mode: v.mode, encoding: v.encoding, wrap: v.wrap, times: v.times };
    this.save();
  }

  /** Forgets a removed session. */
  forget(id: string): void {
    delete this.memory.drafts[id];
    delete this.memory.views[id];
    this.save();
  }

  /** Writes what is waiting at once (the page is going away). */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.write();
  }

  private save(): void {
    if (!this.memory.instance || this.timer) return;
    this.timer = setTimeout(() => this.write(), SAVE_DELAY_MS);
  }

  private write(): void {
    this.timer = undefined;
    try {
      localStorage.setItem(KEY, JSON.stringify(this.memory));
    } catch {
      // private mode or full storage: the page still works, it just forgets
    }
  }
}
