// Sending a file from the send box: its progress row, with cancel, under the message.
import type { JSX } from 'preact';
import { store } from '../store.js';
import type { SessionModel } from '../session-model.js';
import { formatBytes } from '../../wire/format-bytes.js';
import { Icon } from './icons.js';

/** The file being sent (or just sent): name, bar, bytes, and cancel or dismiss. */
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
          {formatBytes(file.sent)} / {formatBytes(file.size)} {file.state === 'done' ? '· sent' : file.state === 'cancelled' ? '· cancelled' : file.state === 'failed' ? '· failed' : ''}
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
