// Draws the benchmark results as one SVG: each scenario's servers as bars relative to bare Node, and idle-connection RSS.

const COLORS = { c: '#7a7a7a', node: '#3c873a', 'ws-bare': '#3c873a', 'py-websockets': '#d97706', sockit: '#2563eb', 'sockit-ws': '#2563eb', 'py-asyncio': '#d97706', 'py-threads': '#b45309', socat: '#7c3aed' };
const colorOf = (id) => COLORS[id] ?? (id.startsWith('sockit') ? '#93b4f5' : '#999');

const W = 960;
const LABEL_W = 250;
const BAR_H = 16;
const GAP = 5;
const PANEL_PAD = 44;
const PLOT_W = W - LABEL_W - 150;

/** Returns an SVG document for the results object that bench/run.mjs writes. */
export function renderChart(results) {
  const panels = [];
  for (const s of Object.values(results.scenarios ?? {})) {
    // WebSocket scenarios are measured against the bare ws server, TCP ones against bare Node
    const refLabel = s.ref ? results.servers[s.ref] ?? s.ref : 'bare Node';
    const ratio = (v) => (s.ref ? v.vsRef : v.vsNode);
    panels.push({
      title: `${s.label} — % of ${refLabel} (same run)`,
      rows: Object.entries(s.servers).map(([id, v]) => ({ id, label: results.servers[id], value: ratio(v), text: `${pctText(ratio(v))}  ${rateText(v.median, s.unit)}` })),
      reference: 1, referenceLabel: refLabel, bar: s.bar, barLabel: s.bar ? `bar ${Math.round(s.bar * 100)}%` : undefined,
    });
  }
  if (results.idle) {
    const idle = results.idle;
    const nodeRss = idle.servers.node?.rssMB;
    panels.push({
      title: `${idle.connections.toLocaleString('en')} idle connections, each answered — RSS relative to bare Node`,
      rows: Object.entries(idle.servers).map(([id, v]) => ({
        id, label: results.servers[id], value: v.vsNode,
        text: `${v.rssMB.toFixed(0)} MB  ${v.answered === idle.connections ? `${v.answerS.toFixed(1)} s` : `${v.answered} answered`}`,
      })),
      reference: 1, referenceLabel: nodeRss ? `bare Node ${nodeRss.toFixed(0)} MB` : 'bare Node', bar: 1.25, barLabel: 'bar 1.25×', lowerIsBetter: true,
    });
  }
  let y = 48;
  const parts = [];
  for (const p of panels) {
    const max = Math.max(1.3, ...p.rows.map((r) => (Number.isFinite(r.value) ? r.value : 0))) * 1.05;
    const x = (v) => LABEL_W + (Math.min(v, max) / max) * PLOT_W;
    const h = p.rows.length * (BAR_H + GAP);
    parts.push(`<text x="12" y="${y}" class="t">${esc(p.title)}</text>`);
    const top = y + 18;
    p.rows.forEach((r, i) => {
      const ry = top + i * (BAR_H + GAP);
      const v = Number.isFinite(r.value) ? r.value : 0;
      parts.push(`<text x="${LABEL_W - 8}" y="${ry + BAR_H - 4}" class="l">${esc(r.label)}</text>`);
      parts.push(`<rect x="${LABEL_W}" y="${ry}" width="${(x(v) - LABEL_W).toFixed(1)}" height="${BAR_H}" fill="${colorOf(r.id)}" rx="2"/>`);
      parts.push(`<text x="${(x(v) + 6).toFixed(1)}" y="${ry + BAR_H - 4}" class="v">${esc(Number.isFinite(r.value) ? r.text : 'failed')}</text>`);
    });
    const line = (v, label, cls, below) => {
      parts.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top - 4}" y2="${top + h}" class="${cls}"/>`);
      // the reference is labelled under the bars, the bar line over them, so the two never collide
      parts.push(`<text x="${x(v).toFixed(1)}" y="${below ? top + h + 12 : top - 6}" class="r${below ? '' : ' b'}">${esc(label)}</text>`);
    };
    line(p.reference, p.referenceLabel, 'ref', true);
    if (p.bar) line(p.bar, p.barLabel, 'bar', false);
    y = top + h + PANEL_PAD;
  }
  const m = results.machine ?? {};
  const foot = `${results.date?.slice(0, 10) ?? ''} · ${m.cpus ?? '?'} × ${m.cpu ?? 'CPU'} · Node ${m.node ?? ''} · Linux ${m.kernel ?? ''} · loopback · npm run bench`;
  parts.push(`<text x="12" y="${y - 14}" class="f">${esc(foot)}</text>`);
  const height = y;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
.t{font-size:14px;font-weight:600;fill:#111}.l{font-size:12px;text-anchor:end;fill:#222}.v{font-size:11px;fill:#333}
.r{font-size:10px;text-anchor:middle;fill:#555}.b{text-anchor:end;fill:#dc2626}.f{font-size:11px;fill:#666}
.ref{stroke:#3c873a;stroke-width:1.5}.bar{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:4 3}
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" font-size="16" font-weight="700" fill="#111">sockit TCP echo benchmark</text>
${parts.join('\n')}
</svg>
`;
}

function pctText(v) {
  return Number.isFinite(v) ? `${Math.round(v * 100)}%` : '-';
}

function rateText(v, unit) {
  if (!Number.isFinite(v)) return '';
  if (unit === 'B/s') return `${(v / 1e6).toFixed(0)} MB/s`;
  return v >= 1000 ? `${(v / 1000).toFixed(1)}k msg/s` : `${Math.round(v)} msg/s`;
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
