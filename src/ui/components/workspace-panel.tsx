// The workspace in the left column: the file's sessions (one click starts one), its quick messages, saving the current session and the page's quick messages into it, and a changed-on-disk notice.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { store } from '../store.js';
import { titleOf } from '../session-model.js';
import { Icon } from './icons.js';

function ChangedOnDisk(): JSX.Element {
  const ws = store.workspace;
  return (
    <div class="banner error ws-changed" role="alert" data-testid="workspace-changed">
      <Icon name="warn" size={14} />
      <div>
        <div>{ws.fileName} was changed on disk since it was loaded; nothing was saved.</div>
        <div class="ws-actions">
          <button type="button" class="btn small" onClick={() => void ws.open()}>Reload from disk</button>
          <button type="button" class="btn small danger" onClick={() => void ws.overwrite()}>Overwrite</button>
        </div>
      </div>
    </div>
  );
}

function ConfirmStart(): JSX.Element {
  const ws = store.workspace;
  const c = ws.confirming!;
  return (
    <div class="banner error ws-changed" role="alert" data-testid="workspace-confirm">
      <Icon name="warn" size={14} />
      <div>
        <div>{c.message}</div>
        <div class="ws-actions">
          <button type="button" class="btn small danger" onClick={() => void ws.start(c.name, true)}>Start {c.name} anyway</button>
          <button type="button" class="btn small" onClick={() => ws.cancelStart()}>Cancel</button>
        </div>
      </div>
    </div>
  );
}

function SaveCurrent(): JSX.Element | null {
  const ws = store.workspace;
  const current = store.current;
  const [name, setName] = useState('');
  if (!current) return null;
  const suggested = current.info.name ?? '';
  const value = name || suggested;
  return (
    <form
      class="ws-save"
      onSubmit={(ev) => {
        ev.preventDefault();
        if (!value.trim()) return store.flash('give the session a name to save it under', 'error');
        void ws.saveSession(current.info, value.trim()).then((ok) => ok && setName(''));
      }}
    >
      <input value={value} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="name" aria-label={`Name to save ${titleOf(current.info)} under`} data-testid="workspace-name" />
      <button type="submit" class="btn small" title={`Save ${titleOf(current.info)} to ${ws.fileName}`} data-testid="workspace-save-session" disabled={!store.online}>
        Save to workspace
      </button>
    </form>
  );
}

/** The workspace section; nothing when this sockit has no workspace. */
export function WorkspacePanel(): JSX.Element | null {
  const ws = store.workspace;
  if (!ws.file) return null;
  const current = store.current;
  return (
    <section class="workspace" aria-labelledby="workspace-title" data-testid="workspace">
      <div class="section-title with-action">
        <span id="workspace-title" title={ws.file}>Workspace · {ws.fileName}</span>
        <button type="button" class="icon-btn" onClick={() => void ws.open()} title={`Read ${ws.fileName} again`} aria-label={`Reload ${ws.fileName}`} data-testid="workspace-reload">
          <Icon name="restart" size={14} />
        </button>
      </div>
      {ws.error && <p class="banner error small" role="alert">{ws.error}</p>}
      {ws.unsaved && <ChangedOnDisk />}
      {ws.confirming && <ConfirmStart />}
      <ul class="ws-sessions">
        {ws.sessions.map((s) => {
          const running = ws.running(s.name);
          return (
            <li key={s.name} class="quick-row">
              <button
                type="button"
                class="quick-item"
                onClick={() => (running ? store.select(running.id) : void ws.start(s.name))}
                disabled={!store.online}
                title={running ? `${s.name} is running: show it` : `Start ${s.name} (${String(s.kind)})`}
                data-testid={`workspace-start-${s.name}`}
              >
                <Icon name={running ? 'list' : 'play'} size={12} />
                <span class="quick-label">{s.name}</span>
                <span class="muted small">{String(s.kind)}</span>
              </button>
            </li>
          );
        })}
        {ws.sessions.length === 0 && !ws.error && <li class="muted small pad">No saved sessions: start one and save it here.</li>}
      </ul>
      {ws.quick.length > 0 && (
        <ul class="ws-quick" aria-label="Workspace quick messages">
          {ws.quick.map((q) => (
            <li key={q.id} class="quick-row">
              <button type="button" class="quick-item" onClick={() => void store.quick.send(q)} disabled={!current || current.info.state === 'closed' || !store.online} title={`Send "${q.text}"`}>
                <span class={`tag ${q.mode}`}>{q.mode === 'hex' ? 'HEX' : 'TXT'}</span>
                <span class="quick-label">{q.label}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <SaveCurrent />
      {store.quick.list.length > 0 && (
        <button type="button" class="btn small ghost ws-quick-save" onClick={() => void ws.saveQuick(store.quick.list)} disabled={!store.online} data-testid="workspace-save-quick">
          Save my quick messages here
        </button>
      )}
    </section>
  );
}
