// The traffic log: a virtualised list (only the visible rows exist in the DOM), so 100,000 lines scroll as smoothly as ten.
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { store } from '../store.js';
import type { SessionModel } from '../session-model.js';
import { isData, type LogEntry } from '../log-store.js';
import { clock } from '../format.js';
import { formatHex } from '../../wire/hex.js';
import { Vis } from './vis.js';
import { Icon } from './icons.js';
import { FrameTag } from './frame-tag.js';
import { isClientKind, isServerKind } from '../ws-kinds.js';

/** Height of one row in pixels; the CSS uses the same value. */
export const ROW = 24;
const OVERSCAN = 12;
const HEX_IN_ROW = 96;
const TEXT_IN_ROW = 400;

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
    if (v.mode === 'hex') return formatHex(e.data).includes(q) || formatHex(e.data, '').includes(q.replace(/\s/g, ''));
    return (store.views.textOf(m, e) ?? '').toLowerCase().includes(q);
  });
}

function Row({ m, e, top, selected, server }: { m: SessionModel; e: LogEntry; top: number; selected: boolean; server: boolean }): JSX.Element {
  let body: JSX.Element;
  if (isData(e)) {
    if (m.view.mode === 'hex') body = <span class="data hex">{formatHex(e.data, ' ', HEX_IN_ROW)}</span>;
    else {
      const t = store.views.textOf(m, e);
      body = t === undefined ? <span class="data muted">decoding…</span> : <span class="data">
          <Vis text={t.length > TEXT_IN_ROW ? t.slice(0, TEXT_IN_ROW) + '…' : t} />
        </span>;
    }
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
      role="row"
      aria-selected={selected}
      onClick={() => store.views.set(m.id, { selected: selected ? undefined : e.seq })}
    >
      <span class="time">{clock(e.ts)}</span>
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
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);
  const entries = visibleEntries(m);
  const total = entries.length;
  const v = m.view;
  const server = !isClientKind(m.info.kind);
  const lastSeen = useRef(0);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  // keep to the newest line while autoscroll is on
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !v.autoscroll) return;
    // from the known height, not clientHeight: reading layout here would force a reflow per frame
    const bottom = Math.max(0, total * ROW - height);
    if (Math.abs(scrollTop - bottom) > 1 || lastSeen.current !== total) {
      el.scrollTop = bottom;
      if (scrollTop !== bottom) setScrollTop(bottom);
    }
    lastSeen.current = total;
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
    else if (!atBottom && v.autoscroll && el.scrollTop < Math.max(0, total * ROW - el.clientHeight) - ROW) store.views.set(m.id, { autoscroll: false });
  };

  const onWheel = (e: WheelEvent) => {
    // scrolling up pauses at once, before new lines could pull the view back down
    if (e.deltaY < 0 && v.autoscroll) store.views.set(m.id, { autoscroll: false });
  };

  const selectedIndex = v.selected === undefined ? -1 : entries.findIndex((e) => e.seq === v.selected);
  const moveTo = (i: number) => {
    const el = scroller.current;
    if (!el || total === 0) return;
    const idx = Math.max(0, Math.min(total - 1, i));
    store.views.set(m.id, { selected: entries[idx]!.seq, autoscroll: idx === total - 1 && v.autoscroll });
    const top = idx * ROW;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW - el.clientHeight;
  };
  const onKey = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor(height / ROW) - 1);
    const from = selectedIndex < 0 ? Math.floor((scrollTop + height) / ROW) - 1 : selectedIndex;
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

  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(total, Math.ceil((scrollTop + height) / ROW) + OVERSCAN);
  const rows: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    const e = entries[i]!;
    rows.push(<Row key={e.seq} m={m} e={e} top={i * ROW} selected={e.seq === v.selected} server={server} />);
  }
  const behind = v.autoscroll ? 0 : Math.max(0, total - Math.ceil((scrollTop + height) / ROW));

  return (
    <div class="log-wrap">
      <div
        ref={scroller}
        class="log"
        tabIndex={0}
        role="grid"
        aria-label={`Traffic log, ${total} lines`}
        aria-rowcount={total}
        onScroll={onScroll}
        onWheel={onWheel}
        onKeyDown={onKey}
        data-testid="log"
      >
        <div class="log-inner" style={{ height: `${total * ROW}px` }}>
          {rows}
        </div>
        {total === 0 && (
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
      {!v.autoscroll && total > 0 && (
        <button type="button" class="jump" onClick={() => store.views.set(m.id, { autoscroll: true, selected: undefined })} data-testid="jump">
          <Icon name="down" size={14} /> {behind > 0 ? `${behind.toLocaleString('en-US')} newer` : 'Latest'}
        </button>
      )}
    </div>
  );
}
