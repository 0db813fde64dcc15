// The page: three columns (sessions, the selected session, its clients and traffic), the form, help and notices.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { SessionKind } from '../../bridge/protocol.js';
import { store } from '../store.js';
import { Sidebar } from './sidebar.js';
import { SessionPane } from './session-pane.js';
import { SidePanel } from './side-panel.js';
import { NewSessionDialog } from './new-session.js';
import { SequenceDialog } from './sequence-panel.js';
import { Icon, Logo, kindIcon } from './icons.js';

const STARTERS: { kind: SessionKind; title: string; text: string }[] = [
  { kind: 'tcp-server', title: 'TCP server', text: 'Open a port, accept many clients, answer with a template or an echo.' },
  { kind: 'tcp-client', title: 'TCP client', text: 'Connect to a server and talk to it, in text or hex.' },
  { kind: 'udp', title: 'UDP', text: 'Bind a port, send datagrams, see who answers.' },
  { kind: 'http', title: 'Static HTTP', text: 'Serve a folder on a chosen port.' },
];

function Welcome(): JSX.Element {
  const kinds = store.hello?.kinds ?? [];
  return (
    <section class="welcome">
      <div class="welcome-inner">
        <Logo size={44} />
        <h1>What do you want to poke today?</h1>
        <p class="muted">Start a session; its traffic, clients and counters show up here. Everything runs on this machine.</p>
        <div class="starters">
          {STARTERS.filter((s) => kinds.includes(s.kind)).map((s) => (
            <button type="button" class="starter" key={s.kind} onClick={() => store.form.open(s.kind)} data-kind={s.kind}>
              <Icon name={kindIcon(s.kind)} size={22} />
              <span class="starter-title">{s.title}</span>
              <span class="starter-text">{s.text}</span>
            </button>
          ))}
        </div>
        <p class="muted small">
          Press <kbd>N</kbd> for a new session, <kbd>?</kbd> for every shortcut.
        </p>
      </div>
    </section>
  );
}

function EmptySide(): JSX.Element {
  return (
    <aside class={`side${store.drawer === 'side' ? ' open' : ''}`} aria-label="Tips">
      <section class="card">
        <h2>Tips</h2>
        <ul class="tips">
          <li>Text and hex views, and the encoding, re-render the same bytes: switch any time.</li>
          <li>Reply templates understand <code>{'{data}'}</code>, <code>{'{peer}'}</code>, <code>{'{n}'}</code> and <code>\r\n</code>, <code>\xHH</code>.</li>
          <li>Sessions live in the sockit process: reload the page and they are still there.</li>
        </ul>
      </section>
    </aside>
  );
}

const SHORTCUTS: [string, string][] = [
  ['N', 'new session'],
  ['Alt+1 … 9', 'switch session'],
  ['/', 'filter the log'],
  ['T / H', 'show text / hex'],
  ['Enter', 'send (Shift+Enter: new line)'],
  ['↑ in the send box', 'previous messages'],
  ['↑ ↓ PgUp PgDn Home End', 'move in the log (when focused)'],
  ['Space', 'pause or resume autoscroll (log focused)'],
  ['Esc', 'close the form, the detail or the filter'],
];

function Help(): JSX.Element {
  return (
    <div class="overlay" onMouseDown={(e) => e.target === e.currentTarget && store.toggleHelp(false)}>
      <div class="dialog help" role="dialog" aria-modal="true" aria-labelledby="help-title" onKeyDown={(e) => e.key === 'Escape' && store.toggleHelp(false)}>
        <header class="dialog-head">
          <h2 id="help-title">Keyboard</h2>
          <button type="button" class="icon-btn" onClick={() => store.toggleHelp(false)} aria-label="Close" autoFocus>
            <Icon name="x" />
          </button>
        </header>
        <dl class="shortcuts">
          {SHORTCUTS.map(([k, v]) => (
            <div key={k}>
              <dt>
                <kbd>{k}</kbd>
              </dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </div>
    </div>
  );
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

function onGlobalKey(e: KeyboardEvent): void {
  if (store.drawer && e.key === 'Escape' && !store.form.dialog) {
    store.toggleDrawer(undefined);
    return;
  }
  if (store.form.dialog || store.helpOpen || store.sequences.editor) {
    if (e.key === 'Escape') {
      store.form.close();
      store.toggleHelp(false);
      if (store.sequences.editor) store.sequences.cancel();
    }
    return;
  }
  const m = store.current;
  if (e.altKey && /^[1-9]$/.test(e.key)) {
    const target = store.list[Number(e.key) - 1];
    if (target) {
      e.preventDefault();
      store.select(target.id);
    }
    return;
  }
  if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
  if ((e.key === 'n' || e.key === 'N') && store.online) {
    e.preventDefault();
    store.form.open();
  } else if (e.key === '?') {
    store.toggleHelp(true);
  } else if (e.key === '/' && m) {
    e.preventDefault();
    document.getElementById('filter')?.focus();
  } else if ((e.key === 't' || e.key === 'h') && m) {
    store.views.set(m.id, { mode: e.key === 't' ? 'text' : 'hex' });
  } else if (e.key === ' ' && m && (e.target as HTMLElement)?.classList?.contains('log')) {
    e.preventDefault();
    store.views.set(m.id, { autoscroll: !m.view.autoscroll });
  }
}

/** The whole page; re-renders at most once a frame, whatever the traffic. */
export function App(): JSX.Element {
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((n) => n + 1)), []);
  useEffect(() => {
    window.addEventListener('keydown', onGlobalKey);
    return () => window.removeEventListener('keydown', onGlobalKey);
  }, []);
  const m = store.current;
  const down = store.linkState === 'lost' || store.linkState === 'refused';
  // a modal form leaves the page behind it out of reach, for the keyboard and for screen readers
  const modal = Boolean(store.form.dialog || store.helpOpen || store.sequences.editor);
  return (
    <>
      <div class={`app${store.online ? '' : ' offline'}`} inert={modal} aria-hidden={modal ? 'true' : undefined}>
        <Sidebar />
        <main class="main">
          {down && (
            <div class={`link-banner ${store.linkState}`} role="status" data-testid="link-banner">
              <Icon name="warn" /> {store.linkDetail || 'not connected to sockit'}
            </div>
          )}
          {m ? <SessionPane key={m.id} m={m} /> : <Welcome />}
        </main>
        {m ? <SidePanel m={m} /> : <EmptySide />}
        {store.drawer && <div class={`drawer-scrim ${store.drawer}-open`} onClick={() => store.toggleDrawer(undefined)} aria-hidden="true" />}
      </div>
      {store.form.dialog && <NewSessionDialog d={store.form.dialog} />}
      {store.helpOpen && <Help />}
      <SequenceDialog />
      {store.toast && (
        <div class={`toast ${store.toast.kind}`} role="status" data-testid="toast">
          {store.toast.message}
        </div>
      )}
    </>
  );
}
