// The workspace (sockit.json) as the page opens, edits and saves it: sessions to start, quick messages, and running sessions saved into it.
import { QUICK_FIELDS, SPEC_FIELDS, unknownFields, WORKSPACE_CHANGED, type SessionInfo, type SessionSpec, type WorkspaceDoc, type WorkspaceQuick, type WorkspaceSession, type WorkspaceState } from '../bridge/protocol.js';
import type { QuickMessage } from './persist.js';
import type { Store } from './store.js';

/** A session's spec as a workspace keeps it: without the defaults a reader would skip anyway. */
function specForFile(spec: SessionSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec };
  if (out.encoding === 'utf8') delete out.encoding;
  if (out.frame === 'raw') delete out.frame;
  return out;
}

/** The workspace file this sockit opened, and what a person does with it. */
export class WorkspaceModel {
  /** The file as last read or saved. */
  state: WorkspaceState | undefined;
  /** Why the file could not be opened. */
  error: string | undefined;
  /** A save refused because the file changed on disk since it was loaded: the document that was not saved. */
  unsaved: WorkspaceDoc | undefined;

  constructor(private readonly store: Store) {}

  /** The file's path, when this sockit has a workspace. */
  get file(): string | undefined {
    return this.store.hello?.workspace;
  }

  /** The file's name, for sentences. */
  get fileName(): string {
    return this.file?.split(/[\\/]/).pop() ?? 'sockit.json';
  }

  /** The sessions the file names. */
  get sessions(): WorkspaceSession[] {
    return this.state?.doc.sessions ?? [];
  }

  /** The quick messages the file keeps. */
  get quick(): WorkspaceQuick[] {
    return this.state?.doc.quick ?? [];
  }

  /** Reads the file (again). */
  async open(): Promise<void> {
    if (!this.file) return;
    const r = await this.store.request({ type: 'workspace-open' });
    if (r.ok && r.workspace) {
      this.state = r.workspace;
      this.error = undefined;
      this.unsaved = undefined;
    } else if (!r.ok) {
      this.error = r.error.message;
    }
    this.store.notify();
  }

  /** A session that opens beyond this machine, waiting for a person to confirm it: its name and what it exposes. */
  confirming: { name: string; message: string } | undefined;

  /** Starts the file's session `name` as the file says now; one that opens beyond this machine waits for `confirm`. */
  async start(name: string, confirm = false): Promise<void> {
    this.confirming = undefined;
    const r = await this.store.request({ type: 'workspace-start', name, confirm });
    if (!r.ok && r.error.code === 'SOCKIT_ERR_CONFIRM') {
      this.confirming = { name, message: r.error.message };
      return this.store.notify();
    }
    if (!r.ok) return this.store.flash(r.error.message, 'error');
    if (r.session) this.store.select(r.session.id);
  }

  /** Forgets a start waiting for confirmation. */
  cancelStart(): void {
    this.confirming = undefined;
    this.store.notify();
  }

  /** The running session started from the file's session `name`, if there is one. */
  running(name: string): SessionInfo | undefined {
    return this.store.list.find((m) => m.info.name === name && m.info.state !== 'closed')?.info;
  }

  /** Writes a document; a change made on disk meanwhile is shown, never overwritten unless `force`. */
  async save(doc: WorkspaceDoc, force = false): Promise<boolean> {
    if (!this.state) return false;
    const r = await this.store.request({ type: 'workspace-save', doc, version: this.state.version, force });
    if (r.ok && r.workspace) {
      this.state = r.workspace;
      this.unsaved = undefined;
      this.store.flash(`saved to ${this.fileName}`);
      return true;
    }
    if (!r.ok && r.error.code === WORKSPACE_CHANGED) {
      this.unsaved = doc;
      this.store.notify();
    } else if (!r.ok) {
      this.store.flash(r.error.message, 'error');
    }
    return false;
  }

  /** Saves what could not be saved, over the change made on disk. */
  overwrite(): Promise<boolean> {
    return this.unsaved ? this.save(this.unsaved, true) : Promise.resolve(false);
  }

  /** Saves a running session into the file as `name`, replacing a session of that name (its other fields kept). */
  saveSession(info: SessionInfo, name: string): Promise<boolean> {
    const doc = this.state?.doc ?? {};
    const sessions = [...(doc.sessions ?? [])];
    const i = sessions.findIndex((s) => s.name === name);
    const entry = { name, ...specForFile(info.spec), ...unknownFields(sessions[i], SPEC_FIELDS) } as WorkspaceSession;
    if (i >= 0) sessions[i] = entry;
    else sessions.push(entry);
    return this.save({ ...doc, sessions });
  }

  /** Saves this page's quick messages into the file: one with the same id is replaced (its other fields kept), the rest added. */
  saveQuick(list: readonly QuickMessage[]): Promise<boolean> {
    const doc = this.state?.doc ?? {};
    const quick = [...(doc.quick ?? [])];
    for (const q of list) {
      const i = quick.findIndex((w) => w.id === q.id);
      if (i >= 0) quick[i] = { ...q, ...unknownFields(quick[i], QUICK_FIELDS) };
      else quick.push({ ...q });
    }
    return this.save({ ...doc, quick });
  }
}
