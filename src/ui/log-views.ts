// How each session's log is shown and taken away: view settings, text in any encoding, exports as text or NDJSON.
import { formatHex } from '../wire/hex.js';
import { isData, type LogEntry } from './log-store.js';
import { TextSource } from './decode.js';
import { clock, isoTime, visible } from './format.js';
import { saveSettings } from './persist.js';
import { titleOf, type SessionModel, type ViewState } from './session-model.js';
import type { Store } from './store.js';
import { isClientKind } from './ws-kinds.js';

/** True when a data line is shown as hex: in the hex view, and sent bytes typed as hex in the text view too (never as mojibake). */
export function showsHex(m: SessionModel, e: LogEntry): boolean {
  return m.view.mode === 'hex' || e.hex === true;
}

/** The log views of every session. */
export class LogViews {
  private readonly text: TextSource;

  constructor(private readonly store: Store) {
    this.text = new TextSource(
      async (encoding, items) => {
        const r = await store.request({ type: 'decode', encoding, items });
        return r.ok ? r.texts ?? [] : Promise.reject(new Error(r.error.message));
      },
      () => store.notify(),
    );
  }

  /** Changes how a session's log is shown; the text/hex choice is remembered for new sessions. */
  set(id: string, patch: Partial<ViewState>): void {
    const m = this.store.sessions.get(id);
    if (!m) return;
    m.view = { ...m.view, ...patch };
    if ('mode' in patch || 'encoding' in patch || 'wrap' in patch || 'times' in patch) this.store.memory.keep(m);
    if (patch.mode) {
      this.store.settings.mode = patch.mode;
      saveSettings(this.store.settings);
    }
    this.store.notify();
  }

  /** Shows or hides one direction of a session's lines, from the view as it is now (two clicks before a redraw both count). */
  toggleDir(id: string, dir: keyof ViewState['dirs']): void {
    const m = this.store.sessions.get(id);
    if (m) this.set(id, { dirs: { ...m.view.dirs, [dir]: !m.view.dirs[dir] } });
  }

  /** Empties a session's log. */
  clear(id: string): void {
    const m = this.store.sessions.get(id);
    if (!m) return;
    m.log.clear();
    m.view = { ...m.view, selected: undefined, autoscroll: true };
    this.store.notify();
  }

  /** The text of a data line as the view shows it, or undefined while it is being decoded. */
  textOf(m: SessionModel, e: LogEntry): string | undefined {
    return this.text.text(e, m.view.encoding, m.info.encoding);
  }

  /** Exports a session's log (the lines the filter shows) as text or NDJSON. */
  export(id: string, format: 'text' | 'ndjson'): void {
    const m = this.store.sessions.get(id);
    if (!m) return;
    const title = titleOf(m.info);
    const lines: string[] = [];
    const server = !isClientKind(m.info.kind);
    for (const e of m.log.items) {
      if (!m.view.dirs[e.dir === 'err' ? 'sys' : e.dir]) continue;
      if (format === 'ndjson') {
        const o: Record<string, unknown> = { event: e.event, ts: isoTime(e.ts), session: title };
        if (e.peer !== undefined) o.peer = e.peer;
        if (e.id !== undefined) o.id = e.id;
        if (e.n !== undefined) o.n = e.n;
        if (isData(e)) {
          o.bytes = e.bytes;
          o.hex = formatHex(e.data, '');
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
        const body = isData(e) ? (showsHex(m, e) ? formatHex(e.data) : visible(this.textOf(m, e) ?? formatHex(e.data))) : e.msg ?? '';
        lines.push(`${clock(e.ts)} ${arrow} ${who}${isData(e) ? ` ${e.bytes} B` : ''} ${body}`.replace(/ {2,}/g, ' '));
      }
    }
    download(lines, format, `sockit-${m.id}`);
    this.store.flash(`exported ${lines.length.toLocaleString('en-US')} lines`);
  }
}

/** Hands lines to the browser as a file named after `stem` and the time. */
function download(lines: string[], format: 'text' | 'ndjson', stem: string): void {
  const blob = new Blob([lines.join('\n') + '\n'], { type: format === 'ndjson' ? 'application/x-ndjson' : 'text/plain' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  a.download = `${stem}-${stamp}.${format === 'ndjson' ? 'ndjson' : 'txt'}`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
