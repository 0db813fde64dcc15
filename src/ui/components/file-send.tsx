// Sending a file from the send box: its progress row, with cancel, under the message.
import type { JSX } from 'preact';
import { store } from '../store.js';
import type { SessionModel } from '../session-model.js';
import { formatBytes } from '../../wire/format-bytes.js';
import { Icon } from './icons.js';

/** The file row before a send: packet size and the pause between packets, then the file to pick (`choose` opens the picker). */
export function FileSetupRow({ m, choose }: { m: SessionModel; choose: () => void }): JSX.Element | null {
  const d = m.draft;
  if (!d.fileSetup || d.file?.state === 'sending') return null;
  const set = (patch: Partial<SessionModel['draft']>) => store.sending.setDraft(m.id, patch);
  const bad = (field: string) => (d.error?.field === field ? ' invalid' : '');
  return (
    <div class="send-status file-setup" data-testid="file-setup">
      <Icon name="clip" size={13} />
      <label class={`check-inline${bad('packet')}`} title="bytes per packet (1024, 1k); empty: as large as sockit takes">
        packets of
        <input class="interval mono" value={d.filePacket} placeholder={m.info.kind === 'udp' ? '8k' : '48k'} aria-label="Packet size in bytes" onInput={(e) => set({ filePacket: (e.currentTarget as HTMLInputElement).value })} data-testid="file-packet" />
        B
      </label>
      <label class={`check-inline${bad('delay')}`} title="a pause between packets, in milliseconds">
        every
        <input class="interval mono" value={d.fileDelayMs} placeholder="0" inputMode="numeric" aria-label="Delay between packets in milliseconds" onInput={(e) => set({ fileDelayMs: (e.currentTarget as HTMLInputElement).value })} data-testid="file-delay" />
        ms
      </label>
      <span class="spacer" />
      <button type="button" class="btn small primary" onClick={choose} data-testid="choose-file">
        Choose file…
      </button>
      <button type="button" class="icon-btn" aria-label="Close the file row" onClick={() => set({ fileSetup: false })}>
        <Icon name="x" size={12} />
      </button>
    </div>
  );
}

/** The file being sent (or just sent): name, bar, bytes, packets, and cancel or dismiss. */
export function FileProgressRow({ m }: { m: SessionModel }): JSX.Element | null {
  const file = m.draft.file;
  if (!file) return null;
  return (
    <div class="send-status">
      <span class={`file-progress ${file.state}`} data-testid="file-progress">
        <Icon name="clip" size={13} />
        <span class="file-name">{file.name}</span>
        <span class="bar" role="progressbar" aria-label={`Sending ${file.name}`} aria-valuemin={0} aria-valuemax={file.size} aria-valuenow={file.sent}>
          <span class="bar-fill" style={{ width: `${file.size ? Math.round((file.sent / file.size) * 100) : 100}%` }} />
        </span>
        <span class="muted">
          {formatBytes(file.sent)} / {formatBytes(file.size)} · {file.packets}/{file.totalPackets} packets {file.state === 'done' ? '· sent' : file.state === 'cancelled' ? '· cancelled' : file.state === 'failed' ? '· failed' : ''}
        </span>
        {file.state === 'sending' ? (
          <button type="button" class="btn small" onClick={() => store.sending.cancelFile(m.id)}>
            Cancel
          </button>
        ) : (
          <button type="button" class="icon-btn" aria-label="Dismiss" onClick={() => store.sending.setDraft(m.id, { file: undefined })}>
            <Icon name="x" size={12} />
          </button>
        )}
      </span>
    </div>
  );
}
