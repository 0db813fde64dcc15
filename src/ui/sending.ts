// The send box: its draft per session, live checks with the core's parsers, single and cyclic sends, files in chunks.
import type { LineEnding, Payload, Target } from '../bridge/protocol.js';
import { saveSettings } from './persist.js';
import { toBase64 } from './format.js';
import { checkEndpoint, checkEscapes, checkFilePacing, checkHex, checkInterval, checkTemplate } from './validate.js';
import { parseSize } from '../wire/endpoint.js';

// a UDP datagram over IPv4 carries at most this; a stream's packet is one page message, under the bridge's 1 MiB
const MAX_DATAGRAM = 65_507;
const MAX_PACKET = 512 * 1024;
import { builderPayload, builderSource, usesBuilder } from './builder.js';
import type { FileProgress, SendDraft, SessionModel } from './session-model.js';
import type { Store } from './store.js';

/** Where the send box's target sends to, in the bridge's terms. */
export function targetOf(m: SessionModel): Target {
  const t = m.draft.target;
  if (m.info.kind === 'udp') {
    if (t === 'remote') return '';
    if (t === 'address') return m.draft.address.trim();
  }
  if (t === 'all' || t === '') return 'all';
  if (t === 'picked') return m.draft.picked;
  return Number(t);
}

/** A typed message (send box or quick message) as the bridge takes it. */
export function payloadOf(q: { mode: 'text' | 'hex'; text: string; eol: LineEnding; escapes: boolean }): Payload {
  // hex sends exactly the bytes typed: the line ending belongs to text mode
  return q.mode === 'hex' ? { kind: 'hex', hex: q.text } : { kind: 'text', text: q.text, eol: q.eol, escapes: q.escapes };
}

/** Sends what a person types or picks, with its checks and progress. */
export class Sending {
  constructor(private readonly store: Store) {}

  /** Changes the send box of a session; the line ending, mode and interval are remembered for next time. */
  setDraft(id: string, patch: Partial<SendDraft>): void {
    const m = this.store.sessions.get(id);
    if (!m) return;
    const clearsError = 'text' in patch || 'mode' in patch || 'builder' in patch || 'append' in patch || 'target' in patch || 'address' in patch || 'intervalMs' in patch || 'filePacket' in patch || 'fileDelayMs' in patch;
    m.draft = { ...m.draft, ...patch, ...(clearsError && !('error' in patch) ? { error: undefined } : {}) };
    this.store.memory.keep(m);
    const s = this.store.settings;
    if (patch.eol || patch.mode || patch.escapes !== undefined || patch.intervalMs) {
      s.eol = m.draft.eol;
      s.sendMode = m.draft.mode;
      s.escapes = m.draft.escapes;
      s.intervalMs = m.draft.intervalMs;
      saveSettings(s);
    }
    this.store.notify();
  }

  /** Ticks or unticks a client in the clients panel: the send box then sends to the ticked ones, or to all when none is left. */
  pick(id: string, client: number, on: boolean): void {
    const m = this.store.sessions.get(id);
    if (!m) return;
    const picked = on ? [...new Set([...m.draft.picked, client])].sort((a, b) => a - b) : m.draft.picked.filter((c) => c !== client);
    const target = picked.length ? 'picked' : m.draft.target === 'picked' ? 'all' : m.draft.target;
    this.setDraft(id, { picked, target });
  }

  /** The problem with the send box as it stands, if any (shown live, before sending). */
  problem(m: SessionModel): { field: string; message: string } | undefined {
    const d = m.draft;
    if (d.mode === 'hex') {
      const r = checkHex(d.text);
      if ('error' in r) return { field: 'message', message: r.error };
    } else if (usesBuilder(d)) {
      const e = checkTemplate(builderSource(d), 'message');
      if (e) return { field: 'message', message: e };
    } else if (d.escapes) {
      const e = checkEscapes(d.text, 'message');
      if (e) return { field: 'message', message: e };
    }
    if (d.target === 'picked' && d.picked.length === 0) return { field: 'target', message: 'tick the clients to send to in the clients panel, or send to all' };
    if (m.info.kind === 'udp' && d.target === 'address') {
      const e = checkEndpoint(d.address, true, 'target');
      if (e) return { field: 'target', message: e };
    }
    if (d.repeat) {
      const e = checkInterval(d.intervalMs, this.store.hello?.limits.minIntervalMs ?? 10);
      if (e) return { field: 'interval', message: e };
    }
    return undefined;
  }

  /** Sends the send box's message (or starts repeating it). */
  async send(id: string): Promise<void> {
    const store = this.store;
    const m = store.sessions.get(id);
    if (!m || m.draft.busy) return;
    const d = m.draft;
    const problem = this.problem(m);
    if (problem) {
      m.draft = { ...d, error: problem };
      store.notify();
      return;
    }
    if (d.text === '' && (d.eol === 'none' || d.mode === 'hex')) {
      m.draft = { ...d, error: { field: 'message', message: 'type a message first' } };
      store.notify();
      return;
    }
    // in the history at once, so ↑ finds it even before sockit answers
    const history = d.text && d.history[d.history.length - 1] !== d.text ? [...d.history.slice(-49), d.text] : d.history;
    m.draft = { ...d, busy: true, history, error: undefined };
    store.notify();
    const payload = usesBuilder(d) ? builderPayload(d) : payloadOf(d);
    const r = await store.request({ type: 'send', session: id, target: targetOf(m), payload, ...(d.repeat ? { repeatMs: Number(d.intervalMs) } : {}) });
    m.draft = { ...m.draft, busy: false, error: r.ok ? undefined : { field: r.error.field ?? 'message', message: r.error.message } };
    store.memory.keep(m);
    store.notify();
  }

  /** Stops a repeating send. */
  async stopCyclic(id: string): Promise<void> {
    const r = await this.store.request({ type: 'stop-cyclic', session: id });
    if (!r.ok) this.store.flash(r.error.message, 'error');
  }

  /**
   * Sends a file in packets of the chosen size with the chosen pause between them, each waiting
   * for the last to be taken: progress is real and memory flat.
   */
  async sendFile(id: string, file: File): Promise<void> {
    const store = this.store;
    const m = store.sessions.get(id);
    if (!m) return;
    const d = m.draft;
    const udp = m.info.kind === 'udp';
    const pacing = checkFilePacing(d.filePacket, d.fileDelayMs, udp ? MAX_DATAGRAM : MAX_PACKET);
    if (pacing) {
      m.draft = { ...d, fileSetup: true, error: { field: pacing.field, message: pacing.message } };
      store.notify();
      return;
    }
    const chunk = d.filePacket.trim() ? parseSize(d.filePacket, 'packet') : udp ? 8192 : 48 * 1024;
    const delayMs = d.fileDelayMs.trim() ? Number(d.fileDelayMs.trim()) : 0;
    const progress: FileProgress = { name: file.name, size: file.size, sent: 0, packets: 0, totalPackets: Math.max(1, Math.ceil(file.size / chunk)), state: 'sending' };
    m.draft = { ...d, file: progress, fileSetup: false, error: undefined };
    store.notify();
    const target = targetOf(m);
    for (let off = 0; off < file.size || (off === 0 && file.size === 0); off += chunk) {
      // the pause comes between packets, so a cancel during it sends nothing more
      if (off > 0 && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (progress.state !== 'sending') break;
      const bytes = new Uint8Array(await file.slice(off, off + chunk).arrayBuffer());
      const r = await store.request({ type: 'send', session: id, target, payload: { kind: 'base64', data: toBase64(bytes) } });
      if (!r.ok) {
        progress.state = 'failed';
        m.draft = { ...m.draft, error: { field: 'file', message: `${file.name}: ${r.error.message}` } };
        break;
      }
      progress.sent += bytes.length;
      progress.packets++;
      store.notify();
      if (file.size === 0) break;
    }
    if (progress.state === 'sending') progress.state = 'done';
    store.notify();
  }

  /** Stops a file being sent. */
  cancelFile(id: string): void {
    const f = this.store.sessions.get(id)?.draft.file;
    if (f && f.state === 'sending') f.state = 'cancelled';
    this.store.notify();
  }
}
