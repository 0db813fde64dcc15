// The traffic log: a virtualised list (only the visible rows exist in the DOM), so 100,000 lines scroll as smoothly as ten; long lines are cut or wrapped.
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { store } from '../store.js';
import type { SessionModel } from '../session-model.js';
import { isData, type LogEntry } from '../log-store.js';
import { clock } from '../format.js';
import { formatHex } from '../../wire/hex.js';
import { showsHex } from '../log-views.js';
import { ROW, RowLayout, columnsOf, wrappedHeight } from '../row-layout.js';
import { Vis } from './vis.js';
import { Icon } from './icons.js';
import { FrameTag } from './frame-tag.js';
import { isClientKind, isServerKind } from '../ws-kinds.js';

export { ROW };
const OVERSCAN = 12;
const HEX_IN_ROW = 96;
const TEXT_IN_ROW = 400;
// a wrapped line shows this much; the detail below the log has all of it
const HEX_IN_WRAP = 2048;
const TEXT_IN_WRAP = 8000;

/** The entries the view shows for a session, after the filter and the direction toggles. */
export function visibleEntries(m: SessionModel): LogEntry[] {
  const v = m.view;
  const q = v.filter.trim().toLowerCase();
  const allDirs = v.dirs.in && v.dirs.out && v.dirs.sys;
  const key = q === '' && allDirs ? '' : `${q}|${v.mode}|${v.encoding}|${v.dirs.in}${v.dirs.out}${v.dirs.sys}`;
  return m.filtered.update(m.log, key, (e) => {
    if (!v.dirs[e.dir === 'err' ? 'sys' : e.dir]) return false;
    if (q === '') return true;
    if (e.peer && e.peer.toLowerCase().includes(q)) return true;
    if (e.id !== undefined && `#${e.id}` === q) return true;
    if (!isData(e)) return (e.msg ?? '').toLowerCase().includes(q);
    if (showsHex(m, e)) return formatHex(e.data).includes(q) || formatHex(e.data, '').includes(q.replace(/\s/g, ''));
    return (store.views.textOf(m, e) ?? '').toLowerCase().includes(q);
  });
}

/** A data line's body as the row shows it: cut to one line, or up to the wrap limit. */
function bodyText(m: SessionModel, e: LogEntry & { data: Uint8Array }, wrap: boolean): string | undefined {
  if (showsHex(m, e)) return formatHex(e.data, ' ', wrap ? HEX_IN_WRAP : HEX_IN_ROW);
  const t = store.views.textOf(m, e);
  const max = wrap ? TEXT_IN_WRAP : TEXT_IN_ROW;
  return t === undefined ? undefined : t.length > max ? t.slice(0, max) + '…' : t;
}

function Row({ m, e, top, selected, server, wrap, index }: { m: SessionModel; e: LogEntry; top: number; selected: boolean; server: boolean; wrap: boolean; index: number }): JSX.Element {
  let body: JSX.Element;
  if (isData(e)) {
    const t = bodyText(m, e, wrap);
    body = t === undefined ? <span class="data muted">decoding…</span> : showsHex(m, e) ? <span class="data hex">{t}</span> : <span class="data"><Vis text={t} /></span>;
  } else {
    body = <span class="data msg">{e.msg}</span>;
  }
  const who = e.peer ? (server && e.id !== undefined ? `#${e.id} ${e.peer}` : e.peer) : '';
  // a relay's lines point the way the bytes went: client → target (up), target ← (down)
  const arrow = e.direction === 'up' ? '→' : e.direction === 'down' ? '←' : e.dir === 'in' ? '←' : e.dir === 'out' ? '→' : e.dir === 'err' ? '!' : '•';
  const dirTitle = e.direction === 'up' ? 'client to target' : e.direction === 'down' ? 'target to client' : e.dir === 'in' ? 'received' : e.dir === 'out' ? 'sent' : e.dir === 'err' ? 'error' : 'event';
  return (
    <div
      class={`row ${e.dir}${e.direction ? ` ${e.direction}` : ''}${selected ? ' selected' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      data-seq={e.seq}
      data-index={index}
      role="row"
      aria-selected={selected}
      onClick={() => store.views.set(m.id, { selected: selected ? undefined : e.seq })}
    >
      {m.view.times && <span class="time">{clock(e.ts)}</span>}
      <span class="dir" title={dirTitle}>
        {arrow}
      </span>
      <span class="who" title={who}>
        {who}
      </span>
      <span class="size">{isData(e) ? `${e.bytes} B` : ''}</span>
      {e.frame ? (
        <span class="framed">
          <FrameTag e={e} />
          {body}
        </span>
      ) : (
        body
      )}
    </div>
  );
}

/** What an empty log says: what to do with this kind of session to see something. */
function emptyText(m: SessionModel): string {
  if (isServerKind(m.info.kind)) return 'Nothing yet. Connect a client to this port, or send from below once one is connected.';
  switch (m.info.kind) {
    case 'udp':
      return 'Nothing yet. Send a datagram from below, or to this port from elsewhere.';
    case 'http':
      return `No request yet. Open the site${m.info.port ? ` on port ${m.info.port}` : ''}; each request shows here.`;
    default:
      return 'Nothing yet. Type a message below and press Enter.';
  }
}

/** The scrolling log of one session. */
export function LogView({ m }: { m: SessionModel }): JSX.Element {
  const scroller = useRef<HTMLDivElement>(null);
  const layout = useRef(new RowLayout());
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);
  // columns of the monospace font one wrapped line holds (measured from a drawn row)
  const [perLine, setPerLine] = useState(80);
  const [, setMeasured] = useState(0);
  const entries = visibleEntries(m);
  const count = entries.length;
  const v = m.view;
  const wrap = v.wrap;
  const server = !isClientKind(m.info.kind);
  const lastSeen = useRef(0);

  if (wrap) {
    layout.current.update(entries, `${m.id}|${v.mode}|${v.encoding}|${v.filter}|${v.dirs.in}${v.dirs.out}${v.dirs.sys}|${perLine}|${v.times}`, (e) => {
      if (!isData(e)) return wrappedHeight(Math.ceil(columnsOf(e.msg ?? '') * 0.85), perLine);
      const t = bodyText(m, e, true);
      return wrappedHeight(t === undefined ? 1 : columnsOf(t), perLine);
    });
  }
  const lay = layout.current;
  const total = wrap ? lay.total : count * ROW;
  const topOf = (i: number) => (wrap ? lay.top(i) : i * ROW);
  const indexAt = (y: number) => (wrap ? lay.indexAt(y) : Math.floor(y / ROW));

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  // wrapped rows: keep the heights they were drawn at, and how many columns a line holds
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !wrap) return;
    const drawn: { index: number; entry: LogEntry; height: number }[] = [];
    let width = 0;
    for (const row of el.querySelectorAll<HTMLElement>('.row')) {
      const index = Number(row.dataset.index);
      const entry = entries[index];
      if (entry) drawn.push({ index, entry, height: row.offsetHeight });
      if (!width) {
        const data = row.querySelector<HTMLElement>('.data');
        if (data && data.clientWidth > 0) width = data.clientWidth;
      }
    }
    const probe = el.querySelector<HTMLElement>('.char-probe');
    const cw = probe ? probe.getBoundingClientRect().width / 10 : 0;
    const columns = cw > 0 && width > 0 ? Math.floor(width / cw) : perLine;
    if (columns !== perLine) setPerLine(columns);
    else if (lay.measure(drawn)) setMeasured((n) => n + 1);
  });

  // keep to the newest line while autoscroll is on
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !v.autoscroll) return;
    // from the known height, not clientHeight: reading layout here would force a reflow per frame
    const bottom = Math.max(0, total - height);
    if (Math.abs(scrollTop - bottom) > 1 || lastSeen.current !== count) {
      el.scrollTop = bottom;
      if (scrollTop !== bottom) setScrollTop(bottom);
    }
    lastSeen.current = count;
  });

  // a different session: start at its bottom
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) setScrollTop(el.scrollTop);
  }, [m.id]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW / 2;
    if (atBottom && !v.autoscroll) store.views.set(m.id, { autoscroll: true });
    else if (!atBottom && v.autoscroll && el.scrollTop < Math.max(0, total - el.clientHeight) - ROW) store.views.set(m.id, { autoscroll: false });
  };

  const onWheel = (e: WheelEvent) => {
    // scrolling up pauses at once, before new lines could pull the view back down
    if (e.deltaY < 0 && v.autoscroll) store.views.set(m.id, { autoscroll: false });
  };

  const selectedIndex = v.selected === undefined ? -1 : entries.findIndex((e) => e.seq === v.selected);
  const moveTo = (i: number) => {
    const el = scroller.current;
    if (!el || count === 0) return;
    const idx = Math.max(0, Math.min(count - 1, i));
    store.views.set(m.id, { selected: entries[idx]!.seq, autoscroll: idx === count - 1 && v.autoscroll });
    const top = topOf(idx);
    const bottom = topOf(idx + 1);
    if (top < el.scrollTop) el.scrollTop = top;
    else if (bottom > el.scrollTop + el.clientHeight) el.scrollTop = bottom - el.clientHeight;
  };
  const onKey = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor(height / ROW) - 1);
    const from = selectedIndex < 0 ? indexAt(scrollTop + height - 1) : selectedIndex;
    switch (e.key) {
      case 'ArrowDown':
        moveTo(from + 1);
        break;
      case 'ArrowUp':
        moveTo(selectedIndex < 0 ? from : from - 1);
        break;
      case 'PageDown':
        moveTo(from + page);
        break;
      case 'PageUp':
        moveTo(from - page);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        store.views.set(m.id, { selected: undefined, autoscroll: true });
        break;
      case 'Escape':
        if (v.selected === undefined) return;
        store.views.set(m.id, { selected: undefined });
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  const first = Math.max(0, indexAt(scrollTop) - OVERSCAN);
  const last = Math.min(count, indexAt(scrollTop + height) + 1 + OVERSCAN);
  const rows: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    const e = entries[i]!;
    rows.push(<Row key={e.seq} m={m} e={e} top={topOf(i)} selected={e.seq === v.selected} server={server} wrap={wrap} index={i} />);
  }
  const behind = v.autoscroll ? 0 : Math.max(0, count - 1 - indexAt(scrollTop + height - 1));

  return (
    <div class="log-wrap">
      <div
        ref={scroller}
        class={`log${wrap ? ' wrap' : ''}${v.times ? '' : ' no-times'}`}
        tabIndex={0}
        role="grid"
        aria-label={`Traffic log, ${count} lines`}
        aria-rowcount={count}
        onScroll={onScroll}
        onWheel={onWheel}
        onKeyDown={onKey}
        data-testid="log"
      >
        <div class="log-inner" style={{ height: `${total}px` }}>
          {rows}
        </div>
        {wrap && (
          <span class="char-probe" aria-hidden="true">
            0000000000
          </span>
        )}
        {count === 0 && (
          <div class="log-empty">
            {m.log.length === 0 ? (
              <>
                <Icon name="radio" size={28} />
                <p>{emptyText(m)}</p>
              </>
            ) : (
              <p>No line matches the filter.</p>
            )}
          </div>
        )}
      </div>
      {!v.autoscroll && count > 0 && (
        <button type="button" class="jump" onClick={() => store.views.set(m.id, { autoscroll: true, selected: undefined })} data-testid="jump">
          <Icon name="down" size={14} /> {behind > 0 ? `${behind.toLocaleString('en-US')} newer` : 'Latest'}
        </button>
      )}
    </div>
  );
}
