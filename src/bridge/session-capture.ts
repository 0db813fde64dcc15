// Captures pages start and stop on sessions: one file per session in a folder of the bridge's own, exported to pcap when a page downloads one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureWriter } from '../capture/capture-writer.js';
import { exportPcap } from '../capture/pcap.js';
import type { Session } from '../net/session.js';
import { usage } from './hub-error.js';
import type { CaptureDownload, WireCapture } from './protocol-capture.js';

interface Running {
  writer: CaptureWriter | undefined;
  path: string;
  info: WireCapture;
}

/** The captures of a hub's sessions, by session id. The files live in a temporary folder removed by {@link closeAll}. */
export class SessionCaptures {
  private dir: string | undefined;
  private readonly captures = new Map<string, Running>();
  private runs = 0;

  private folder(): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'sockit-captures-'));
    return this.dir;
  }

  /** Starts capturing `session` under `id`; a capture it had is stopped and replaced. */
  async start(id: string, session: Session): Promise<WireCapture> {
    await this.stop(id).catch(() => undefined);
    const path = join(this.folder(), `${id}-${++this.runs}.ndjson`);
    const old = this.captures.get(id);
    if (old) rmSync(old.path, { force: true });
    const writer = CaptureWriter.open(path);
    writer.attach(session);
    const info: WireCapture = { state: 'running', startedAt: Date.now(), records: 0, bytes: 0, droppedRecords: 0 };
    this.captures.set(id, { writer, path, info });
    return info;
  }

  /** True while `id` is being captured. */
  running(id: string): boolean {
    return this.captures.get(id)?.writer !== undefined;
  }

  /** Stops the capture of `id` (its file stays); resolves with what it holds. */
  async stop(id: string): Promise<WireCapture> {
    const c = this.captures.get(id);
    if (!c) throw usage('this session is not being captured');
    if (c.writer) {
      const writer = c.writer;
      c.writer = undefined;
      const s = await writer.close();
      c.info = { ...c.info, state: 'stopped', records: s.records, bytes: s.bytes, droppedRecords: s.droppedRecords };
    }
    return c.info;
  }

  /** The file a page downloads: the capture itself, or a pcap exported from it now. */
  async file(id: string, form: CaptureDownload): Promise<string> {
    const c = this.captures.get(id);
    if (!c) throw usage(`session ${id} has no capture: start one first`);
    if (c.writer) throw usage(`the capture of ${id} is still running: stop it first`);
    if (form === 'ndjson') return c.path;
    const pcap = c.path.replace(/\.ndjson$/, '.pcap');
    await exportPcap(c.path, pcap);
    return pcap;
  }

  /** Stops and deletes the capture of a session that is gone. */
  async forget(id: string): Promise<void> {
    const c = this.captures.get(id);
    if (!c) return;
    this.captures.delete(id);
    await c.writer?.close();
    rmSync(c.path, { force: true });
    rmSync(c.path.replace(/\.ndjson$/, '.pcap'), { force: true });
  }

  /** Stops every capture and removes the folder. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.captures.values()].map((c) => c.writer?.close()));
    this.captures.clear();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
