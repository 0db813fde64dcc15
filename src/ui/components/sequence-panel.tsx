// Sequences in the left column (run one on the current session, watch its step, stop it) and the dialog that edits one.
import type { JSX } from 'preact';
import { store } from '../store.js';
import type { StepRow } from '../sequences.js';
import { Icon } from './icons.js';

/** The sequences section of the left column. */
export function SequencePanel(): JSX.Element {
  const seqs = store.sequences;
  const current = store.current;
  const running = current ? seqs.runs.get(current.id) : undefined;
  return (
    <>
      <div class="section-title with-action">
        <span id="sequences-title">Sequences</span>
        <button type="button" class="icon-btn" onClick={() => seqs.edit()} title="New sequence: messages sent in order, each with its pause" aria-label="New sequence" data-testid="new-sequence">
          <Icon name="plus" size={14} />
        </button>
      </div>
      <ul class="quick" aria-labelledby="sequences-title" data-testid="sequences">
        {seqs.list.map((s) => {
          const mine = running?.sequence === s.id ? running : undefined;
          return (
            <li key={s.id} class="quick-row">
              {mine ? (
                <button type="button" class="quick-item running" onClick={() => seqs.stop(mine.session)} title="Stop the sequence" data-testid={`stop-sequence-${s.label}`}>
                  <span class="tag stop">STOP</span>
                  <span class="quick-label">{s.label}</span>
                  <span class="muted small" data-testid="sequence-progress">{mine.step}/{mine.total}</span>
                </button>
              ) : (
                <button
                  type="button"
                  class="quick-item"
                  onClick={() => void seqs.run(s.id)}
                  disabled={!current || current.info.state === 'closed' || !store.online || Boolean(running)}
                  title={`Send its ${s.steps.length} step${s.steps.length === 1 ? '' : 's'} in order to this session`}
                  data-testid={`run-sequence-${s.label}`}
                >
                  <span class="tag seq">SEQ</span>
                  <span class="quick-label">{s.label}</span>
                </button>
              )}
              <button type="button" class="icon-btn quick-del" onClick={() => seqs.edit(s.id)} aria-label={`Edit sequence ${s.label}`} title="Edit">
                <Icon name="list" size={12} />
              </button>
              <button type="button" class="icon-btn quick-del" onClick={() => seqs.remove(s.id)} aria-label={`Delete sequence ${s.label}`} title="Delete">
                <Icon name="x" size={12} />
              </button>
            </li>
          );
        })}
        {seqs.list.length === 0 && <li class="muted small pad">Press + to list messages to send in order, each with its pause.</li>}
      </ul>
    </>
  );
}

function StepEditor({ row, i, error }: { row: StepRow; i: number; error: string | undefined }): JSX.Element {
  const seqs = store.sequences;
  const set = (patch: Partial<StepRow>) => seqs.changeStep(i, patch);
  const value = row.source === 'quick' ? `quick:${row.quick}` : row.source;
  return (
    <li class={`step${error ? ' invalid' : ''}`} data-testid="sequence-step">
      <span class="step-n">{i + 1}</span>
      <select
        value={value}
        aria-label={`Step ${i + 1}: what it sends`}
        onChange={(e) => {
          const v = (e.currentTarget as HTMLSelectElement).value;
          set(v.startsWith('quick:') ? { source: 'quick', quick: v.slice(6) } : { source: v as 'text' | 'hex' });
        }}
        data-testid="step-source"
      >
        <option value="text">text</option>
        <option value="hex">hex</option>
        {store.quick.list.map((q) => (
          <option key={q.id} value={`quick:${q.id}`}>
            ☆ {q.label}
          </option>
        ))}
      </select>
      {row.source !== 'quick' ? (
        <input class="mono" value={row.text} placeholder={row.source === 'hex' ? '01 03 "AT" \\r\\n' : 'AT+GMR\\r\\n'} aria-label={`Step ${i + 1}: the message`} onInput={(e) => set({ text: (e.currentTarget as HTMLInputElement).value })} spellcheck={false} data-testid="step-text" />
      ) : (
        <span class="spacer" />
      )}
      <label class="check-inline" title="the pause after this step, before the next">
        then
        <input class="interval mono" value={row.delayMs} inputMode="numeric" aria-label={`Step ${i + 1}: pause in milliseconds`} onInput={(e) => set({ delayMs: (e.currentTarget as HTMLInputElement).value })} data-testid="step-delay" />
        ms
      </label>
      <button type="button" class="icon-btn" aria-label={`Remove step ${i + 1}`} onClick={() => seqs.removeStep(i)}>
        <Icon name="x" size={12} />
      </button>
      {error && <span class="field-error step-error">{error}</span>}
    </li>
  );
}

/** The dialog that edits a sequence. */
export function SequenceDialog(): JSX.Element | null {
  const seqs = store.sequences;
  const e = seqs.editor;
  if (!e) return null;
  return (
    <div class="overlay" onMouseDown={(ev) => ev.target === ev.currentTarget && seqs.cancel()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="seq-title" data-testid="sequence-dialog" onKeyDown={(ev) => ev.key === 'Escape' && seqs.cancel()}>
        <form
          class="dialog-form"
          onSubmit={(ev) => {
            ev.preventDefault();
            seqs.save();
          }}
          noValidate
        >
          <header class="dialog-head">
            <h2 id="seq-title">{e.id ? 'Edit sequence' : 'New sequence'}</h2>
            <button type="button" class="icon-btn" onClick={() => seqs.cancel()} aria-label="Close">
              <Icon name="x" />
            </button>
          </header>
          <div class="dialog-body">
            <label class={`field${e.errors.name ? ' invalid' : ''}`}>
              <span class="field-label">Name</span>
              <input value={e.label} onInput={(ev) => seqs.change({ label: (ev.currentTarget as HTMLInputElement).value })} placeholder="boot the modem" autoFocus data-testid="sequence-name" />
              {e.errors.name && <span class="field-error">{e.errors.name}</span>}
            </label>
            <p class="muted small">Each step is sent to the session's target, then the next waits its pause. Text reads \r \n \t \xHH; hex reads "quoted text" too.</p>
            <ol class="steps">
              {e.rows.map((row, i) => (
                <StepEditor key={i} row={row} i={i} error={e.errors[`steps.${i}`]} />
              ))}
            </ol>
            <button type="button" class="btn small" onClick={() => seqs.addStep()} data-testid="add-step">
              <Icon name="plus" size={12} /> Add step
            </button>
          </div>
          <footer class="dialog-foot">
            <span class="spacer" />
            <button type="button" class="btn" onClick={() => seqs.cancel()}>
              Cancel
            </button>
            <button type="submit" class="btn primary" data-testid="save-sequence">
              Save
            </button>
          </footer>
        </form>
      </div>
    </div>
  );
}
