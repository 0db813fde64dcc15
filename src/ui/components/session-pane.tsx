// The centre column for one session: its header and state, the log toolbar, the log, the detail of a line, the send box.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { store } from '../store.js';
import { titleOf, whereOf, type SessionModel } from '../session-model.js';
import { clock } from '../format.js';
import { formatBytes, formatCount } from '../../wire/format-bytes.js';
import { formatHexDump } from '../../wire/hex.js';
import { Vis } from './vis.js';
import { isData } from '../log-store.js';
import { decodesLocally } from '../decode.js';
import { Icon, kindIcon } from './icons.js';
import { Banner } from './banner.js';
import { LogView } from './log-view.js';
import { isClientKind } from '../ws-kinds.js';
import { SendBox } from './send-box.js';
import { COMMON_ENCODINGS } from './new-session.js';
import { RemoveButton } from './remove-button.js';
import { CaptureControls } from './capture-controls.js';
import { RulesTable } from './rules-table.js';
import { hasRules } from '../rules.js';

function StatePill({ m }: { m: SessionModel }): JSX.Element {
  const s = m.info.state;
  return (
    <span class={`pill pill-${s}`} data-testid="state">
      <span class={`dot dot-${s}`} aria-hidden="true" />
      {whereOf(m.info)}
    </span>
  );
}

/** The host to open a static site at: loopback when it listens there or everywhere. */
function siteHost(addresses: string[]): string {
  const a = addresses[0] ?? '127.0.0.1';
  if (a === '0.0.0.0' || a === '::' || a === '127.0.0.1' || a === '::1') return '127.0.0.1';
  return a.includes(':') ? `[${a}]` : a;
}

function Header({ m }: { m: SessionModel }): JSX.Element {
  const i = m.info;
  const live = i.state !== 'closed';
  const online = store.online;
  const frame = 'frame' in i.spec ? i.spec.frame : undefined;
  return (
    <header class="pane-head">
      <div class="title-row">
        <button type="button" class="icon-btn drawer-toggle sessions-toggle" onClick={() => store.toggleDrawer('sessions')} aria-controls="sessions-panel" aria-expanded={store.drawer === 'sessions'} aria-label="Sessions and quick messages" title="Sessions and quick messages" data-testid="sessions-toggle">
          <Icon name="menu" />
        </button>
        <span class="kind-badge">
          <Icon name={kindIcon(i.kind)} size={18} />
        </span>
        <div class="title-block">
          <h1>{titleOf(i)}</h1>
          <div class="title-meta">
            <StatePill m={m} />
            <span class="meta">{i.encoding}</span>
            {frame && frame !== 'raw' && <span class="meta">frame {frame}</span>}
            {i.kind === 'tcp-server' && i.spec.kind === 'tcp-server' && (
              <>
                {i.spec.echo && <span class="meta">echo</span>}
                {i.spec.reply && <span class="meta mono" title="reply template">↩ {i.spec.reply}</span>}
                {i.spec.closeAfterReply && <span class="meta">close after reply</span>}
                {i.spec.quit && <span class="meta">quit “{i.spec.quit}”</span>}
                {i.spec.chat && <span class="meta">chat</span>}
              </>
            )}
            {i.spec.kind === 'tcp-client' && (
              <>
                {i.spec.echo && <span class="meta">echo</span>}
                {i.spec.reply && <span class="meta mono" title="reply template">↩ {i.spec.reply}</span>}
                {i.spec.reconnect && <span class="meta">reconnect</span>}
              </>
            )}
            {i.saving && (
              <span class="meta mono" title={`every byte received is written to ${i.saving.path} by sockit`} data-testid="saving">
                saving to {i.saving.path} · {formatBytes(i.saving.bytes)}
              </span>
            )}
          </div>
        </div>
        <span class="spacer" />
        {i.kind === 'http' && live && i.port !== undefined && (
          <a class="btn" href={`http://${siteHost(i.addresses ?? [])}:${i.port}/`} target="_blank" rel="noopener noreferrer" data-testid="open-site">
            <Icon name="globe" /> Open site
          </a>
        )}
        {live ? (
          <button type="button" class="btn" onClick={() => void store.stop(i.id)} disabled={!online} title={isClientKind(i.kind) ? 'Disconnect' : 'Stop listening'} data-testid="stop">
            <Icon name="stop" /> {isClientKind(i.kind) ? 'Disconnect' : 'Stop'}
          </button>
        ) : (
          <button type="button" class="btn" onClick={() => void store.restart(i.id)} disabled={!online} data-testid="restart">
            <Icon name="restart" /> {isClientKind(i.kind) ? 'Reconnect' : 'Start again'}
          </button>
        )}
        {hasRules(i) && (
          <button type="button" class={`btn${m.rules.open ? ' on' : ''}`} onClick={() => store.rules.toggle(i.id)} aria-expanded={m.rules.open} aria-controls="rules-panel" title="Auto-reply rules: match what arrives, answer it" data-testid="rules-toggle">
            <Icon name="list" /> Rules <span class="count">{m.rules.rows.length}</span>
          </button>
        )}
        <CaptureControls m={m} />
        <RemoveButton m={m} />
        <button type="button" class="btn drawer-toggle side-toggle" onClick={() => store.toggleDrawer('side')} aria-controls="side-panel" aria-expanded={store.drawer === 'side'} title="Clients, counters and traffic" data-testid="side-toggle">
          <Icon name="chart" /> {i.kind === 'tcp-client' || i.kind === 'http' ? 'Traffic' : `${i.kind === 'udp' ? 'Peers' : 'Clients'}`}
          {i.kind !== 'tcp-client' && i.kind !== 'http' && <span class="count">{m.clientsTotal || m.clients.length}</span>}
        </button>
      </div>
      {i.error && <Banner message={i.error.message} hint={i.error.hint} testid="banner" />}
    </header>
  );
}

function Toolbar({ m }: { m: SessionModel }): JSX.Element {
  const v = m.view;
  const [exportOpen, setExportOpen] = useState(false);
  const encodings = [...new Set([m.info.encoding, ...COMMON_ENCODINGS])];
  const custom = !encodings.includes(v.encoding);
  const remote = !decodesLocally(v.encoding) && v.encoding !== m.info.encoding;
  const relay = m.info.kind === 'proxy';
  return (
    <div class="toolbar" role="toolbar" aria-label="Log view">
      <div class="seg" role="radiogroup" aria-label="Show data as">
        {(['text', 'hex'] as const).map((mode) => (
          <button type="button" role="radio" aria-checked={v.mode === mode} class={v.mode === mode ? 'on' : ''} onClick={() => store.views.set(m.id, { mode })} key={mode} data-testid={`view-${mode}`}>
            {mode === 'text' ? 'Text' : 'Hex'}
          </button>
        ))}
      </div>
      <label class="select-wrap" title={remote ? 'decoded by the server (iconv-lite)' : 'decoded in the page'}>
        <span class="sr-only">Encoding</span>
        <select
          value={custom ? '__custom' : v.encoding}
          disabled={v.mode === 'hex'}
          onChange={(e) => {
            const val = (e.currentTarget as HTMLSelectElement).value;
            if (val === '__custom') {
              const name = prompt('Encoding (any name iconv-lite knows):', v.encoding);
              if (name && store.encodings.some((x) => x.toLowerCase() === name.trim().toLowerCase())) store.views.set(m.id, { encoding: name.trim().toLowerCase() });
              else if (name) store.flash(`unknown encoding '${name}'`, 'error');
            } else store.views.set(m.id, { encoding: val });
          }}
          data-testid="view-encoding"
        >
          {encodings.map((e) => (
            <option value={e} key={e}>
              {e}
              {e === m.info.encoding ? ' (session)' : ''}
            </option>
          ))}
          {custom && <option value={v.encoding}>{v.encoding}</option>}
          <option value="__custom">other…</option>
        </select>
      </label>
      <div class="dirs" role="group" aria-label="Show lines">
        {(['in', 'out', 'sys'] as const).map((d) => (
          <button type="button" aria-pressed={v.dirs[d]} class={`chip ${d}${v.dirs[d] ? ' on' : ''}`} key={d} onClick={() => store.views.toggleDir(m.id, d)} title={`Show ${d === 'in' ? (relay ? 'what clients sent' : 'received') : d === 'out' ? (relay ? 'what the target sent' : 'sent') : 'events and errors'}`}>
            {relay ? (d === 'in' ? '→' : d === 'out' ? '←' : '•') : d === 'in' ? '←' : d === 'out' ? '→' : '•'}
            <span class="chip-label">{relay ? (d === 'in' ? ' up' : d === 'out' ? ' down' : ' events') : d === 'in' ? ' in' : d === 'out' ? ' out' : ' events'}</span>
          </button>
        ))}
      </div>
      <label class="search">
        <Icon name="search" size={14} />
        <span class="sr-only">Filter</span>
        <input
          id="filter"
          type="search"
          placeholder="Filter (/)"
          value={v.filter}
          onInput={(e) => store.views.set(m.id, { filter: (e.currentTarget as HTMLInputElement).value })}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              store.views.set(m.id, { filter: '' });
              (e.currentTarget as HTMLInputElement).blur();
            }
          }}
          spellcheck={false}
          data-testid="filter"
        />
      </label>
      <span class="spacer" />
      {m.dropped > 0 && (
        <span class="warn-chip" title="events the page could not keep up with; counters stay exact">
          <Icon name="warn" size={13} /> {formatCount(m.dropped)} dropped
        </span>
      )}
      {m.log.evicted > 0 && <span class="muted small" title="the oldest lines make room for new ones">{formatCount(m.log.evicted)} older lines gone</span>}
      <div class="tool-group">
      <button type="button" class={`icon-btn toggle${v.wrap ? ' lit' : ''}`} aria-pressed={v.wrap} onClick={() => store.views.set(m.id, { wrap: !v.wrap })} title={v.wrap ? 'Cut long lines to one row' : 'Wrap long lines'} aria-label="Wrap long lines" data-testid="wrap">
        <Icon name="wrap" />
      </button>
      <button type="button" class={`icon-btn toggle${v.times ? ' lit' : ''}`} aria-pressed={v.times} onClick={() => store.views.set(m.id, { times: !v.times })} title={v.times ? 'Hide the time of each line' : 'Show the time of each line'} aria-label="Show times" data-testid="times">
        <Icon name="clock" />
      </button>
      <button type="button" class={`icon-btn${v.autoscroll ? ' on' : ''}`} aria-pressed={!v.autoscroll} onClick={() => store.views.set(m.id, { autoscroll: !v.autoscroll })} title={v.autoscroll ? 'Pause autoscroll' : 'Resume autoscroll'} aria-label={v.autoscroll ? 'Pause autoscroll' : 'Resume autoscroll'} data-testid="autoscroll">
        <Icon name={v.autoscroll ? 'pause' : 'down'} />
      </button>
      <button type="button" class="icon-btn" onClick={() => store.views.clear(m.id)} title="Clear the log" aria-label="Clear the log" data-testid="clear">
        <Icon name="clear" />
      </button>
      <div class="menu-wrap">
        <button type="button" class="icon-btn" aria-haspopup="menu" aria-expanded={exportOpen} onClick={() => setExportOpen(!exportOpen)} title="Export the log" aria-label="Export the log" data-testid="export">
          <Icon name="download" />
        </button>
        {exportOpen && (
          <div class="menu" role="menu" onKeyDown={(e) => e.key === 'Escape' && setExportOpen(false)}>
            <button type="button" role="menuitem" autoFocus onClick={() => (setExportOpen(false), store.views.export(m.id, 'text'))}>
              Text (.txt)
            </button>
            <button type="button" role="menuitem" onClick={() => (setExportOpen(false), store.views.export(m.id, 'ndjson'))} data-testid="export-ndjson">
              NDJSON (.ndjson)
            </button>
          </div>
        )}
      </div>
      </div>
    </div>
  );
}

function Detail({ m }: { m: SessionModel }): JSX.Element | null {
  const seq = m.view.selected;
  if (seq === undefined) return null;
  const idx = m.log.indexOf(seq);
  const e = idx >= 0 ? m.log.items[idx] : undefined;
  if (!e) return null;
  const server = !isClientKind(m.info.kind);
  const who = e.peer ? (server && e.id !== undefined ? `#${e.id} ${e.peer}` : e.peer) : '';
  const text = isData(e) ? store.views.textOf(m, e) : e.msg;
  const copy = (s: string, what: string) => {
    void navigator.clipboard?.writeText(s).then(
      () => store.flash(`copied the ${what}`),
      () => store.flash('the browser did not allow copying', 'error'),
    );
  };
  const verb = e.dir === 'in' ? 'Received' : e.dir === 'out' ? 'Sent' : e.dir === 'err' ? 'Error' : 'Event';
  return (
    <section class="detail" aria-label="Selected line" data-testid="detail">
      <header class="detail-head">
        <span class={`dir-tag ${e.dir}`}>{verb}</span>
        <span>{who}</span>
        {isData(e) && <span class="muted">{formatBytes(e.bytes ?? 0)}{e.n ? ` · message ${e.n}` : ''}</span>}
        <span class="muted">{clock(e.ts)}</span>
        <span class="spacer" />
        {isData(e) && (
          <>
            <button type="button" class="btn small" onClick={() => copy(text ?? '', 'text')}>
              <Icon name="copy" size={13} /> Text
            </button>
            <button type="button" class="btn small" onClick={() => copy(formatHexDump(e.data!), 'hex dump')}>
              <Icon name="copy" size={13} /> Hex
            </button>
          </>
        )}
        <button type="button" class="icon-btn" onClick={() => store.views.set(m.id, { selected: undefined })} aria-label="Close the detail">
          <Icon name="x" />
        </button>
      </header>
      {isData(e) ? (
        <div class="detail-body">
          <div class="detail-col">
            <div class="detail-label">Text · {m.view.encoding}</div>
            <pre class="detail-text">{text === undefined ? 'decoding…' : <Vis text={text} multiline />}</pre>
          </div>
          <div class="detail-col">
            <div class="detail-label">Hex dump</div>
            <pre class="detail-hex">{formatHexDump(e.data)}</pre>
          </div>
          {e.truncated && <p class="muted small">Only the first {formatBytes(e.data.length)} of this {formatBytes(e.bytes ?? 0)} message are kept here; the counters have all of it.</p>}
        </div>
      ) : (
        <div class="detail-body single">
          <pre class="detail-text">{e.msg}</pre>
          {e.hint && <p class="muted small">{e.hint}</p>}
          {e.code && <p class="muted small mono">{e.code}</p>}
        </div>
      )}
    </section>
  );
}

/** The centre column. */
export function SessionPane({ m }: { m: SessionModel }): JSX.Element {
  return (
    <section class="pane" id="session-pane" role="tabpanel" aria-labelledby={`tab-${m.id}`} data-session={m.id}>
      <Header m={m} />
      {hasRules(m.info) && m.rules.open && (
        <section class="rules-panel" id="rules-panel" aria-label="Rules">
          <RulesTable rows={m.rules.rows} errors={m.rules.errors} hits={m.rules.hits} disabled={!store.online} onChange={(rows, commit) => void store.rules.change(m.id, rows, commit)} />
        </section>
      )}
      <Toolbar m={m} />
      <LogView m={m} />
      <Detail m={m} />
      {m.info.kind !== 'http' && m.info.kind !== 'proxy' && <SendBox m={m} />}
    </section>
  );
}
