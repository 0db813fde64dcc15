// Removing a session: a button that asks first, in a small panel below it, so no click lands on the session that takes its place.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { store } from '../store.js';
import { titleOf, type SessionModel } from '../session-model.js';
import { Icon } from './icons.js';

/**
 * Removing asks first, in a small panel below the button: a double click cannot remove this
 * session and then the one that takes its place under the pointer.
 */
export function RemoveButton({ m }: { m: SessionModel }): JSX.Element {
  const [asking, setAsking] = useState(false);
  const i = m.info;
  const running = i.state !== 'closed';
  return (
    <div class="menu-wrap">
      <button type="button" class="icon-btn" onClick={() => setAsking(true)} disabled={!store.online} title="Close and remove this session" aria-label="Remove session" aria-expanded={asking} data-testid="remove">
        <Icon name="trash" />
      </button>
      {asking && (
        <div class="menu confirm" role="alertdialog" aria-labelledby="remove-q" onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
          <p id="remove-q">
            Remove <strong>{titleOf(i)}</strong>? {running ? (i.kind === 'tcp-client' ? 'It disconnects' : 'It stops, and its clients are disconnected') : 'Its log goes'}
            {running ? '; its log goes too.' : ' with it.'}
          </p>
          <div class="confirm-actions">
            <button type="button" class="btn small" onClick={() => setAsking(false)} autoFocus>
              Cancel
            </button>
            <button
              type="button"
              class="btn small danger"
              onClick={() => {
                setAsking(false);
                void store.remove(i.id);
              }}
              data-testid="confirm-remove"
            >
              Remove
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

