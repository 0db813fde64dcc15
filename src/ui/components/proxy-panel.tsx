// The right column of a proxy: each relayed connection with close and reset buttons, and the faults as live sliders per direction.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { store } from '../store.js';
import type { SessionModel } from '../session-model.js';
import { clockShort, since } from '../format.js';
import { formatBytes, formatCount } from '../../wire/format-bytes.js';
import { clearingPatch, describeFaultSpec, type FaultField, type FaultSpec } from '../../wire/faults.js';
import { Icon } from './icons.js';

/** The relayed connections: who, to where, bytes each way, and a graceful close or a reset for each. */
export function RelayConnections({ m }: { m: SessionModel }): JSX.Element {
  const i = m.info;
  const udp = i.spec.kind === 'proxy' && i.spec.udp === true;
  const list = m.clients;
  const now = Date.now();
  return (
    <section class="card clients" aria-label="Connections">
      <h2>
        {udp ? 'Clients' : 'Connections'} <span class="count">{formatCount(m.clientsTotal || list.length)}</span>
      </h2>
      {list.length === 0 ? (
        <p class="muted small">{i.state === 'closed' ? 'The proxy is stopped.' : `Waiting for clients on port ${i.port ?? ''}…`}</p>
      ) : (
        <ul class="client-list" data-testid="relay-connections">
          {list.map((c) => (
            <li key={c.id} class="client relay-conn" data-id={c.id}>
              <div class="client-top">
                <span class="client-id">#{c.id}</span>
                <span class="client-peer mono" title={`${c.peer} → ${c.target ?? i.peer ?? ''}`}>
                  {c.peer}
                </span>
                <button type="button" class="icon-btn" onClick={() => void store.relay.end(m.id, c.id, false)} aria-label={`Close #${c.id} (FIN to both ends)`} title={udp ? 'Forget this client' : 'Close both ends (FIN)'} data-testid={`relay-close-${c.id}`}>
                  <Icon name="unplug" size={14} />
                </button>
                {!udp && (
                  <button type="button" class="icon-btn danger-hover" onClick={() => void store.relay.end(m.id, c.id, true)} aria-label={`Reset #${c.id} (RST to both ends)`} title="Reset both ends (RST)" data-testid={`relay-reset-${c.id}`}>
                    <Icon name="reset" size={14} />
                  </button>
                )}
              </div>
              <div class="client-stats">
                <span class="client-since" title={`since ${clockShort(c.since)}`}>for {since(c.since, now)}</span>
                <span class="in" title="from the client to the target">→ {formatBytes(c.bytesIn)}</span>
                <span class="out" title="from the target to the client">← {formatBytes(c.bytesOut)}</span>
                {c.stalled?.length ? <span class="warn-chip small" title="held by the stall fault">stalled {c.stalled.join(', ')}</span> : null}
              </div>
            </li>
          ))}
          {m.clientsTotal > list.length && <li class="muted small">…and {formatCount(m.clientsTotal - list.length)} more</li>}
        </ul>
      )}
    </section>
  );
}

/** A slider's steps: the values it can take, and how each is shown. */
interface SliderSpec {
  field: FaultField;
  label: string;
  steps: number[];
  show: (v: number) => string;
  udpOnly?: boolean;
  tcpOnly?: boolean;
}

const range = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
const ms = (v: number) => (v ? `${v} ms` : 'off');
const pct = (v: number) => (v ? `${Math.round(v * 100)}%` : 'off');
const rate = (v: number) => (v ? (v >= 1024 * 1024 ? `${v / 1024 / 1024} MiB/s` : `${v / 1024} KiB/s`) : 'off');
const bytes = (v: number) => (v ? `${formatCount(v)} B` : 'off');
const K = 1024;

const SLIDERS: SliderSpec[] = [
  { field: 'latencyMs', label: 'Latency', steps: [...range(0, 100, 5), ...range(120, 500, 20), ...range(600, 3000, 100)], show: ms },
  { field: 'jitterMs', label: 'Jitter', steps: [...range(0, 50, 5), ...range(60, 500, 20)], show: ms },
  { field: 'bandwidth', label: 'Bandwidth', steps: [0, K, 2 * K, 4 * K, 8 * K, 16 * K, 32 * K, 64 * K, 128 * K, 256 * K, 512 * K, K * K, 4 * K * K, 16 * K * K], show: rate },
  { field: 'chunkBytes', label: 'Split writes', steps: [0, 1, 2, 3, 4, 8, 16, 64, 256, 1024], show: bytes, tcpOnly: true },
  { field: 'loss', label: 'Loss', steps: range(0, 100, 5).map((x) => x / 100), show: pct, udpOnly: true },
  { field: 'duplicate', label: 'Duplicate', steps: range(0, 100, 5).map((x) => x / 100), show: pct, udpOnly: true },
  { field: 'reorder', label: 'Reorder', steps: range(0, 100, 5).map((x) => x / 100), show: pct, udpOnly: true },
];

/** Byte limits, typed: after this many bytes in the direction shown, the proxy acts. */
const LIMITS: { field: FaultField; label: string }[] = [
  { field: 'dropAfter', label: 'FIN after' },
  { field: 'resetAfter', label: 'RST after' },
  { field: 'stallAfter', label: 'Stall after' },
];

/** The step nearest a value (a value set elsewhere may fall between steps). */
function nearest(steps: number[], v: number): number {
  let best = 0;
  for (let i = 1; i < steps.length; i++) if (Math.abs(steps[i]! - v) < Math.abs(steps[best]! - v)) best = i;
  return best;
}

function Slider({ m, dir, spec, value }: { m: SessionModel; dir: 'up' | 'down'; spec: SliderSpec; value: number }): JSX.Element {
  // what the slider shows while it is dragged; the proxy hears the value when it is let go
  const [dragging, setDragging] = useState<number | undefined>(undefined);
  const index = dragging ?? nearest(spec.steps, value);
  const id = `fault-${dir}-${spec.field}`;
  return (
    <div class="fault-row">
      <label for={id}>{spec.label}</label>
      <input
        id={id}
        type="range"
        min={0}
        max={spec.steps.length - 1}
        step={1}
        value={index}
        data-testid={`fault-${spec.field}`}
        onInput={(e) => setDragging(Number((e.currentTarget as HTMLInputElement).value))}
        onChange={(e) => {
          const v = spec.steps[Number((e.currentTarget as HTMLInputElement).value)] ?? 0;
          setDragging(undefined);
          void store.relay.setFaults(m.id, { [dir]: { [spec.field]: v } });
        }}
      />
      <output for={id} class="mono">{spec.show(spec.steps[index] ?? 0)}</output>
    </div>
  );
}

function Limit({ m, dir, field, label, value }: { m: SessionModel; dir: 'up' | 'down'; field: FaultField; label: string; value: number }): JSX.Element {
  const id = `fault-${dir}-${field}`;
  return (
    <div class="fault-row">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="number"
        min={0}
        step={1}
        value={value || ''}
        placeholder="off"
        data-testid={`fault-${field}`}
        onChange={(e) => {
          const text = (e.currentTarget as HTMLInputElement).value.trim();
          const v = text === '' ? 0 : Number(text);
          if (!Number.isInteger(v) || v < 0) return store.flash(`${label}: a whole number of bytes, or empty for off`, 'error');
          void store.relay.setFaults(m.id, { [dir]: { [field]: v } });
        }}
      />
      <span class="muted small">bytes</span>
    </div>
  );
}

/** The faults of the proxy, one direction at a time, changed as the sliders are let go. */
export function FaultControls({ m }: { m: SessionModel }): JSX.Element {
  const [dir, setDir] = useState<'up' | 'down'>('up');
  const i = m.info;
  const udp = i.spec.kind === 'proxy' && i.spec.udp === true;
  const faults = i.faults ?? { up: {}, down: {}, refuse: 0 };
  const spec: FaultSpec = faults[dir];
  const live = i.state !== 'closed';
  return (
    <section class="card faults" aria-label="Faults" data-testid="faults">
      <h2>Faults</h2>
      <div class="seg" role="radiogroup" aria-label="Direction">
        {(['up', 'down'] as const).map((d) => (
          <button type="button" role="radio" aria-checked={dir === d} class={dir === d ? 'on' : ''} key={d} onClick={() => setDir(d)} data-testid={`fault-dir-${d}`}>
            {d === 'up' ? '→ client to target' : '← target to client'}
          </button>
        ))}
      </div>
      <fieldset class="fault-grid" disabled={!live}>
        {SLIDERS.filter((s) => (udp ? !s.tcpOnly : !s.udpOnly)).map((s) => (
          <Slider key={`${dir}-${s.field}`} m={m} dir={dir} spec={s} value={spec[s.field] ?? 0} />
        ))}
        {!udp && LIMITS.map((l) => <Limit key={`${dir}-${l.field}`} m={m} dir={dir} field={l.field} label={l.label} value={spec[l.field] ?? 0} />)}
        {!udp && (
          <div class="fault-row">
            <label for="fault-refuse">Refuse</label>
            <input
              id="fault-refuse"
              type="range"
              min={0}
              max={20}
              step={1}
              value={Math.round(faults.refuse * 20)}
              data-testid="fault-refuse"
              onChange={(e) => void store.relay.setFaults(m.id, { refuse: Number((e.currentTarget as HTMLInputElement).value) / 20 })}
            />
            <output for="fault-refuse" class="mono">{pct(faults.refuse)}</output>
          </div>
        )}
      </fieldset>
      <p class="muted small fault-summary" data-testid="fault-summary">
        → {describeFaultSpec(faults.up)} · ← {describeFaultSpec(faults.down)}
      </p>
      <button
        type="button"
        class="btn small"
        disabled={!live}
        onClick={() => void store.relay.setFaults(m.id, clearingPatch(faults))}
        data-testid="fault-clear"
      >
        Clear all
      </button>
    </section>
  );
}
