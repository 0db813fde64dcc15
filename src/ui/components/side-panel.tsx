// The right column: a server's clients (each with its counters and a disconnect button), live counters, and the throughput chart.
import type { JSX } from 'preact';
import { store } from '../store.js';
import type { Sample, SessionModel } from '../session-model.js';
import { clockShort, since } from '../format.js';
import { formatBytes, formatCount, formatRate } from '../../wire/format-bytes.js';
import { Icon } from './icons.js';
import { isClientKind } from '../ws-kinds.js';
import { FaultControls, RelayConnections } from './proxy-panel.js';

function Clients({ m }: { m: SessionModel }): JSX.Element {
  const i = m.info;
  if (isClientKind(i.kind)) {
    return (
      <section class="card" aria-label="Connection">
        <h2>Connection</h2>
        <dl class="kv">
          <dt>Server</dt>
          <dd class="mono">{i.peer ?? (i.spec.kind === 'tcp-client' ? `${i.spec.host}:${i.spec.port}` : i.spec.kind === 'ws-client' ? i.spec.url : '')}</dd>
          <dt>Local</dt>
          <dd class="mono">{i.local ?? '—'}</dd>
          <dt>State</dt>
          <dd>{i.state === 'closed' ? `closed${i.reason ? ` (${i.reason})` : ''}` : 'connected'}</dd>
        </dl>
      </section>
    );
  }
  if (i.kind === 'http') {
    return (
      <section class="card" aria-label="Site">
        <h2>Site</h2>
        <dl class="kv">
          <dt>Folder</dt>
          <dd class="mono" title={i.spec.kind === 'http' ? i.spec.root : ''}>
            {i.spec.kind === 'http' ? i.spec.root : ''}
          </dd>
          <dt>Open</dt>
          <dd class="mono">{(i.addresses ?? []).map((a) => `${a.includes(':') ? `[${a}]` : a}:${i.port}`).join(', ')}</dd>
          <dt>Clients</dt>
          <dd>{formatCount(m.counters.active)} connected now</dd>
        </dl>
      </section>
    );
  }
  const udp = i.kind === 'udp';
  const list = m.clients;
  const now = Date.now();
  return (
    <section class="card clients" aria-label={udp ? 'Peers' : 'Clients'}>
      <h2>
        {udp ? 'Peers' : 'Clients'} <span class="count">{formatCount(m.clientsTotal || list.length)}</span>
      </h2>
      {list.length === 0 ? (
        <p class="muted small">{udp ? 'No datagram yet.' : i.state === 'closed' ? 'The server is stopped.' : `Waiting for clients on port ${i.port ?? ''}…`}</p>
      ) : (
        <ul class="client-list" data-testid="clients">
          {list.map((c) => (
            <li key={c.id} class="client">
              <div class="client-top">
                <input
                  type="checkbox"
                  class="client-pick"
                  checked={m.draft.picked.includes(c.id)}
                  onChange={(e) => store.sending.pick(m.id, c.id, (e.currentTarget as HTMLInputElement).checked)}
                  aria-label={`Send to #${c.id} ${c.peer}`}
                  title="Send to this one (with the others ticked)"
                  data-testid={`pick-${c.id}`}
                />
                <span class="client-id">#{c.id}</span>
                <span class="client-peer mono" title={c.peer}>
                  {c.peer}
                </span>
                {!udp && (
                  <button type="button" class="icon-btn danger-hover" onClick={() => void store.disconnect(m.id, c.id)} disabled={!store.online} aria-label={`Disconnect #${c.id} ${c.peer}`} title="Disconnect" data-testid={`disconnect-${c.id}`}>
                    <Icon name="unplug" size={14} />
                  </button>
                )}
              </div>
              <div class="client-stats">
                <span class="client-since" title={`${udp ? 'last heard' : 'connected'} at ${clockShort(c.since)}`}>
                  {udp ? `${since(c.since, now)} ago` : `for ${since(c.since, now)}`}
                </span>
                <span class="in" title="received from it">↓ {formatBytes(c.bytesIn)}</span>
                <span class="out" title="sent to it">↑ {formatBytes(c.bytesOut)}</span>
              </div>
            </li>
          ))}
          {m.clientsTotal > list.length && <li class="muted small">…and {formatCount(m.clientsTotal - list.length)} more</li>}
        </ul>
      )}
    </section>
  );
}

function niceMax(v: number): number {
  if (v <= 0) return 1000;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

function spanLabel(seconds: number): string {
  return seconds >= 60 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
}

/** The windows the chart can show, in seconds. */
export const CHART_WINDOWS = [10, 60, 300];

/**
 * Throughput over the chosen window (the last minute unless told): received and sent bytes per
 * second, as two areas, scaled to the highest rate inside the window, so a burst long gone does
 * not flatten what happens now.
 */
export function Chart({ series, windowS }: { series: Sample[]; windowS: number }): JSX.Element {
  const W = 300;
  const H = 84;
  const now = series.length ? series[series.length - 1]!.ts : Date.now();
  const span = windowS;
  // one sample before the window too, so the lines reach its left edge
  let from = series.length;
  while (from > 0 && now - series[from - 1]!.ts <= span * 1000) from--;
  const pts = series.slice(Math.max(0, from - 1));
  const max = niceMax(Math.max(0, ...pts.map((s) => Math.max(s.inBps, s.outBps))));
  const x = (ts: number) => W - ((now - ts) / 1000 / span) * W;
  const y = (v: number) => H - (v / max) * (H - 4);
  const path = (pick: (s: Sample) => number) => {
    if (pts.length < 2) return { line: '', area: '' };
    const line = pts.map((s, i) => `${i ? 'L' : 'M'}${x(s.ts).toFixed(1)},${y(pick(s)).toFixed(1)}`).join('');
    const area = `${line}L${x(pts[pts.length - 1]!.ts).toFixed(1)},${H}L${x(pts[0]!.ts).toFixed(1)},${H}Z`;
    return { line, area };
  };
  const a = path((s) => s.inBps);
  const b = path((s) => s.outBps);
  return (
    <figure class="chart" aria-label={`Throughput over the last ${spanLabel(span)}`}>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`at most ${formatRate(max)}`}>
        <clipPath id="chart-clip">
          <rect x="0" y="0" width={W} height={H} />
        </clipPath>
        <line x1="0" x2={W} y1={H / 2} y2={H / 2} class="grid" />
        <line x1="0" x2={W} y1="4" y2="4" class="grid" />
        <g clip-path="url(#chart-clip)">
          <path d={a.area} class="area in" />
          <path d={b.area} class="area out" />
          <path d={a.line} class="line in" />
          <path d={b.line} class="line out" />
        </g>
      </svg>
      <figcaption>
        <span>{spanLabel(span)} ago</span>
        <span class="muted" data-testid="chart-scale">scale {formatRate(max)}</span>
        <span>now</span>
      </figcaption>
    </figure>
  );
}

function Traffic({ m }: { m: SessionModel }): JSX.Element {
  const c = m.counters;
  // the rates shown are the mean of the last two seconds: steadier to read than one sample
  const recent = m.series.slice(-4);
  const mean = (pick: (s: Sample) => number) => (recent.length ? recent.reduce((n, s) => n + pick(s), 0) / recent.length : 0);
  const last = recent.length ? { inBps: mean((s) => s.inBps), outBps: mean((s) => s.outBps), inMps: mean((s) => s.inMps), outMps: mean((s) => s.outMps) } : undefined;
  const udp = m.info.kind === 'udp';
  const http = m.info.kind === 'http';
  const relay = m.info.kind === 'proxy';
  return (
    <section class="card" aria-label="Traffic">
      <h2>
        Traffic
        <span class="spacer" />
        <select class="chart-window" value={String(store.settings.chartWindowS)} onChange={(e) => store.setChartWindow(Number((e.currentTarget as HTMLSelectElement).value))} aria-label="Chart window" data-testid="chart-window">
          {CHART_WINDOWS.map((s) => (
            <option value={String(s)} key={s}>
              {spanLabel(s)}
            </option>
          ))}
        </select>
        <button type="button" class="icon-btn" onClick={() => void store.resetCounters(m.id)} disabled={!store.online} title="Reset the counters (the log stays)" aria-label="Reset the counters" data-testid="reset-counters">
          <Icon name="restart" size={14} />
        </button>
      </h2>
      <div class="rates">
        <div class="rate in">
          <span class="rate-label">{relay ? '→ up' : '↓ in'}</span>
          <span class="rate-value" data-testid="rate-in">{formatRate(last?.inBps ?? 0)}</span>
          <span class="muted small">{(last?.inMps ?? 0).toFixed(last && last.inMps < 10 ? 1 : 0)} msg/s</span>
        </div>
        <div class="rate out">
          <span class="rate-label">{relay ? '← down' : '↑ out'}</span>
          <span class="rate-value">{formatRate(last?.outBps ?? 0)}</span>
          <span class="muted small">{(last?.outMps ?? 0).toFixed(last && last.outMps < 10 ? 1 : 0)} msg/s</span>
        </div>
      </div>
      <Chart series={m.series} windowS={store.settings.chartWindowS} />
      <dl class="counters" data-testid="counters">
        <div>
          <dt>{http ? 'Requests' : relay ? 'Messages up' : 'Messages in'}</dt>
          <dd data-testid="messages-in">{formatCount(c.messagesIn)}</dd>
        </div>
        <div>
          <dt>{http ? 'Answered' : relay ? 'Messages down' : 'Messages out'}</dt>
          <dd data-testid="messages-out">{formatCount(c.messagesOut)}</dd>
        </div>
        <div>
          <dt>{relay ? 'Bytes up' : 'Bytes in'}</dt>
          <dd data-testid="bytes-in">{formatBytes(c.bytesIn)}</dd>
        </div>
        <div>
          <dt>{relay ? 'Bytes down' : 'Bytes out'}</dt>
          <dd data-testid="bytes-out">{formatBytes(c.bytesOut)}</dd>
        </div>
        <div>
          <dt>{udp ? 'Peers' : 'Connections'}</dt>
          <dd>
            {formatCount(c.active)}
            <span class="muted small"> now · {formatCount(c.connections)} total</span>
          </dd>
        </div>
        <div>
          <dt>Log</dt>
          <dd>
            {formatCount(m.log.length)}
            <span class="muted small"> lines</span>
          </dd>
        </div>
      </dl>
    </section>
  );
}

/** The right column for a session. */
export function SidePanel({ m }: { m: SessionModel }): JSX.Element {
  if (m.info.kind === 'proxy') {
    return (
      <aside class="side" aria-label="Connections, faults and traffic">
        <RelayConnections m={m} />
        {!(m.info.spec.kind === 'proxy' && m.info.spec.ws) && <FaultControls m={m} />}
        <Traffic m={m} />
      </aside>
    );
  }
  return (
    <aside class={`side${store.drawer === 'side' ? ' open' : ''}`} aria-label="Clients and traffic" id="side-panel">
      <Clients m={m} />
      <Traffic m={m} />
    </aside>
  );
}
