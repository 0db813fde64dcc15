// The left column: the sessions (as vertical tabs), saved quick messages, and the connection and theme controls.
import type { JSX } from 'preact';
import { store } from '../store.js';
import { titleOf, type SessionModel } from '../session-model.js';
import { formatCount } from '../../wire/format-bytes.js';
import { Icon, Logo, kindIcon } from './icons.js';
import { isClientKind, isServerKind } from '../ws-kinds.js';
import { WorkspacePanel } from './workspace-panel.js';
import { SequencePanel } from './sequence-panel.js';

function subtitle(m: SessionModel): string {
  const i = m.info;
  if (i.state === 'closed') return i.reason ? `closed · ${i.reason}` : 'closed';
  if (isClientKind(i.kind)) return i.local ? `from ${i.local}` : 'connecting…';
  const addrs = (i.addresses ?? []).map((a) => (a.includes(':') ? `[${a}]` : a)).join(', ');
  if (isServerKind(i.kind)) return `${addrs} · ${m.clients.length} client${m.clients.length === 1 ? '' : 's'}`;
  return addrs;
}

/** A session's state as a coloured dot. */
export function StateDot({ m }: { m: SessionModel }): JSX.Element {
  // without sockit nobody knows how a session stands: grey, whatever it was
  const state = !store.online ? 'offline' : m.info.error && m.info.state !== 'closed' ? 'error' : m.info.state;
  return <span class={`dot dot-${state}`} aria-hidden="true" />;
}

function SessionItem({ m, index }: { m: SessionModel; index: number }): JSX.Element {
  const selected = store.selected === m.id;
  return (
    <li>
      <button
        type="button"
        role="tab"
        id={`tab-${m.id}`}
        aria-selected={selected}
        aria-controls="session-pane"
        class={`session-item${selected ? ' selected' : ''}`}
        onClick={() => store.select(m.id)}
        title={index < 9 ? `${titleOf(m.info)} (Alt+${index + 1})` : titleOf(m.info)}
      >
        <span class="session-icon">
          <Icon name={kindIcon(m.info.kind)} />
          <StateDot m={m} />
        </span>
        <span class="session-text">
          <span class="session-title">{titleOf(m.info)}</span>
          <span class="session-sub">{subtitle(m)}</span>
        </span>
        {m.unseen > 0 && <span class="badge" aria-label={`${m.unseen} new messages`}>{m.unseen > 999 ? '999+' : formatCount(m.unseen)}</span>}
      </button>
    </li>
  );
}

function LinkStatus(): JSX.Element {
  const s = store.linkState;
  const text = s === 'open' ? `connected${store.hello?.app.version ? ` · v${store.hello.app.version}` : ''}` : s === 'connecting' ? 'connecting…' : s === 'lost' ? 'reconnecting…' : 'refused';
  return (
    <span class={`link link-${s}`} title={store.linkDetail || text} data-testid="link-status">
      <span class="link-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

/** The left column. */
export function Sidebar(): JSX.Element {
  const list = store.list;
  const theme = store.settings.theme;
  const current = store.current;
  return (
    <nav class={`sidebar${store.drawer === 'sessions' ? ' open' : ''}`} aria-label="Sessions and quick messages" id="sessions-panel">
      <header class="brand">
        <Logo />
        <span class="brand-name">sockit</span>
        <span class="brand-tag">network assistant</span>
      </header>
      <button type="button" class="btn primary new-session" onClick={() => store.form.open()} disabled={!store.online} title="New session (N)" data-testid="new-session">
        <Icon name="plus" /> New session
        <kbd>N</kbd>
      </button>

      <div class="section-title" id="sessions-title">Sessions</div>
      {list.length === 0 ? (
        <p class="muted small pad">No session yet. Start a TCP server, a client or a UDP socket.</p>
      ) : (
        <ul class="sessions" role="tablist" aria-orientation="vertical" aria-labelledby="sessions-title">
          {list.map((m, i) => (
            <SessionItem key={m.id} m={m} index={i} />
          ))}
        </ul>
      )}

      <WorkspacePanel />

      <div class="section-title with-action">
        <span id="quick-title">Quick messages</span>
        <button type="button" class="icon-btn" onClick={() => current && store.quick.save(current.id)} disabled={!current} title="Save the send box's message here" aria-label="Save the send box's message as a quick message">
          <Icon name="plus" size={14} />
        </button>
      </div>
      <ul class="quick" aria-labelledby="quick-title">
        {store.quick.list.map((q) => (
          <li key={q.id} class="quick-row">
            <button
              type="button"
              class="quick-item"
              onClick={() => void store.quick.send(q)}
              onContextMenu={(ev) => {
                ev.preventDefault();
                store.quick.edit(q);
              }}
              disabled={!current || current.info.state === 'closed' || !store.online}
              title={`Send ${q.mode === 'hex' ? 'hex ' : ''}"${q.text}"${q.eol !== 'none' ? ` + ${q.eol.toUpperCase()}` : ''} (right-click: edit in the send box)`}
            >
              <span class={`tag ${q.mode}`}>{q.mode === 'hex' ? 'HEX' : 'TXT'}</span>
              <span class="quick-label">{q.label}</span>
            </button>
            <button type="button" class="icon-btn quick-del" onClick={() => store.quick.remove(q.id)} aria-label={`Delete quick message ${q.label}`} title="Delete">
              <Icon name="x" size={12} />
            </button>
          </li>
        ))}
        {store.quick.list.length === 0 && <li class="muted small pad">Type a message below and press + to keep it here.</li>}
      </ul>

      <SequencePanel />

      <footer class="sidebar-foot">
        <LinkStatus />
        <span class="spacer" />
        <button type="button" class="icon-btn" onClick={() => store.toggleHelp()} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          <Icon name="keyboard" />
        </button>
        <button type="button" class="icon-btn" onClick={() => store.cycleTheme()} title={`Theme: ${theme} (click to change)`} aria-label={`Theme: ${theme}`} data-testid="theme">
          <Icon name={theme === 'light' ? 'sun' : theme === 'dark' ? 'moon' : 'monitor'} />
        </button>
      </footer>
    </nav>
  );
}
