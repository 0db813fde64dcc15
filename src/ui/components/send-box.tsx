// The send box: text or hex, line ending, target, cyclic sending with a visible stop, files with progress.
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import { store } from '../store.js';
import type { SessionModel } from '../session-model.js';
import { Icon } from './icons.js';
import { isClientKind } from '../ws-kinds.js';
import { FileProgressRow, FileSetupRow } from './file-send.js';
import { AppendChips, PreviewBytes } from './builder-line.js';

function TargetPicker({ m }: { m: SessionModel }): JSX.Element | null {
  const d = m.draft;
  const kind = m.info.kind;
  if (isClientKind(kind)) return null;
  const error = d.error?.field === 'target';
  const set = (target: string) => store.sending.setDraft(m.id, { target });
  const peers = m.clients;
  const remote = m.info.spec.kind === 'udp' ? m.info.spec.remote : undefined;
  return (
    <>
      <label class={`select-wrap${error ? ' invalid' : ''}`}>
        <span class="label-inline">To</span>
        <select value={d.target} onChange={(e) => set((e.currentTarget as HTMLSelectElement).value)} data-testid="target" aria-invalid={error ? 'true' : undefined}>
          {kind === 'udp' && remote && <option value="remote">{remote}</option>}
          {(d.picked.length > 0 || d.target === 'picked') && <option value="picked">{`ticked ${kind === 'udp' ? 'peers' : 'clients'} (${d.picked.length})`}</option>}
          <option value="all">
            {kind === 'udp' ? `every peer heard (${peers.length})` : `all clients (${peers.length})`}
          </option>
          {peers.map((c) => (
            <option value={String(c.id)} key={c.id}>
              #{c.id} {c.peer}
            </option>
          ))}
          {kind === 'udp' && <option value="address">address…</option>}
          {d.target !== 'all' && d.target !== 'remote' && d.target !== 'address' && d.target !== 'picked' && !peers.some((c) => String(c.id) === d.target) && <option value={d.target}>#{d.target} (gone)</option>}
        </select>
      </label>
      {kind === 'udp' && d.target === 'address' && (
        <input
          class={`address mono${error ? ' invalid' : ''}`}
          placeholder="host:port"
          value={d.address}
          aria-label="Send to address"
          onInput={(e) => store.sending.setDraft(m.id, { address: (e.currentTarget as HTMLInputElement).value })}
          spellcheck={false}
          data-testid="address"
        />
      )}
    </>
  );
}

/** The send box of one session. */
export function SendBox({ m }: { m: SessionModel }): JSX.Element {
  const d = m.draft;
  const fileInput = useRef<HTMLInputElement>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const historyAt = useRef(-1);
  // nothing can be sent to a closed session, nor without sockit
  const closed = m.info.state === 'closed' || !store.online;
  const cyclic = m.info.cyclic;
  const live = store.sending.problem(m);
  const problem = d.error ?? (d.text ? live : undefined);
  const file = d.file;

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void store.sending.send(m.id);
      historyAt.current = -1;
      return;
    }
    // shell-like history, one press a step, while the box is empty or shows a message as sent
    // (an edited message keeps the arrows for moving in it)
    const at = historyAt.current;
    // the draft as it is now, not as it was drawn: a second press can come before the page redraws
    const d = m.draft;
    const asSent = at >= 0 ? d.history[at] === d.text : d.text === '' || d.text === d.history[d.history.length - 1];
    if (!asSent || d.history.length === 0 || e.shiftKey || e.altKey) return;
    if (e.key === 'ArrowUp') {
      let next = at < 0 ? d.history.length - 1 : at - 1;
      // the box still holds the last message sent: one step back is the one before it
      if (at < 0 && d.text !== '' && d.text === d.history[next]) next--;
      if (next < 0) return;
      e.preventDefault();
      historyAt.current = next;
      store.sending.setDraft(m.id, { text: d.history[next]! });
    } else if (e.key === 'ArrowDown' && at >= 0) {
      e.preventDefault();
      const next = at + 1;
      historyAt.current = next < d.history.length ? next : -1;
      store.sending.setDraft(m.id, { text: next < d.history.length ? d.history[next]! : '' });
    }
  };

  return (
    <section class={`sendbox${closed ? ' disabled' : ''}`} aria-label="Send">
      <div class="send-controls">
        <TargetPicker m={m} />
        <div class="seg" role="radiogroup" aria-label="Type the message as">
          {(['text', 'hex'] as const).map((mode) => (
            <button type="button" role="radio" aria-checked={d.mode === mode} class={d.mode === mode ? 'on' : ''} key={mode} onClick={() => store.sending.setDraft(m.id, { mode })} data-testid={`send-${mode}`}>
              {mode === 'text' ? 'Text' : 'Hex'}
            </button>
          ))}
        </div>
        {d.mode === 'text' ? (
          <>
            <label class="select-wrap">
              <span class="label-inline">End</span>
              <select value={d.eol} onChange={(e) => store.sending.setDraft(m.id, { eol: (e.currentTarget as HTMLSelectElement).value as typeof d.eol })} data-testid="eol">
                <option value="none">none</option>
                <option value="lf">LF \n</option>
                <option value="crlf">CRLF \r\n</option>
              </select>
            </label>
            <label class="check-inline" title="read \n \r \t \\ \xHH in the text as escapes">
              <input type="checkbox" checked={d.escapes || d.builder} disabled={d.builder} onChange={(e) => store.sending.setDraft(m.id, { escapes: (e.currentTarget as HTMLInputElement).checked })} />
              <span class="mono">\x</span>
              <span class="hint-long"> escapes</span>
            </label>
            <label class="check-inline" title="a message builder: escapes, {hex:01 03}, {counter}, {now:HH:mm:ss}, {random:4}, {crc16modbus} and the rest, as --send takes them">
              <input type="checkbox" checked={d.builder} onChange={(e) => store.sending.setDraft(m.id, { builder: (e.currentTarget as HTMLInputElement).checked })} data-testid="builder" />
              <span class="mono">{'{…}'}</span>
              <span class="hint-long"> builder</span>
            </label>
          </>
        ) : (
          <span class="label-inline" title={'hex sends exactly the bytes typed, with no line ending: 01 03 ff, \\r \\n \\t \\0 as those bytes, "quoted text" in the session\'s encoding'} data-testid="exact-bytes">
            exact bytes<span class="hint-long">, no line ending</span>
          </span>
        )}
        <span class="spacer" />
        <input
          ref={fileInput}
          type="file"
          class="sr-only"
          tabIndex={-1}
          onChange={(e) => {
            const f = (e.currentTarget as HTMLInputElement).files?.[0];
            if (f) void store.sending.sendFile(m.id, f);
            (e.currentTarget as HTMLInputElement).value = '';
          }}
          data-testid="file-input"
        />
        <button type="button" class={`icon-btn${d.fileSetup ? ' on' : ''}`} disabled={closed || file?.state === 'sending'} onClick={() => store.sending.setDraft(m.id, { fileSetup: !d.fileSetup })} title="Send a file" aria-label="Send a file" aria-expanded={d.fileSetup} data-testid="send-file">
          <Icon name="clip" />
        </button>
        <button type="button" class="icon-btn" onClick={() => store.quick.save(m.id)} title="Save as a quick message" aria-label="Save as a quick message" data-testid="save-quick">
          <Icon name="star" />
        </button>
      </div>

      <div class="send-row">
        <textarea
          ref={area}
          class={`mono${problem?.field === 'message' ? ' invalid' : ''}`}
          rows={2}
          placeholder={!store.online ? 'Not connected to sockit.' : closed ? 'This session is closed.' : d.mode === 'hex' ? 'Hex: 01 03 ff, \\r\\n, "text"  ·  Enter sends, Shift+Enter is a new line' : 'Message  ·  Enter sends, Shift+Enter is a new line, ↑ recalls'}
          value={d.text}
          disabled={closed}
          aria-label="Message"
          aria-invalid={problem?.field === 'message' ? 'true' : undefined}
          aria-describedby="send-status"
          onInput={(e) => store.sending.setDraft(m.id, { text: (e.currentTarget as HTMLTextAreaElement).value })}
          onKeyDown={onKey}
          spellcheck={false}
          data-testid="message"
        />
        {cyclic ? (
          <button type="button" class="btn danger send-btn" onClick={() => void store.sending.stopCyclic(m.id)} disabled={!store.online} data-testid="stop-cyclic">
            <span class="pulse" aria-hidden="true" />
            Stop
            <span class="send-sub">{cyclic.sent.toLocaleString('en-US')} sent · {cyclic.intervalMs} ms</span>
          </button>
        ) : (
          <button type="button" class="btn primary send-btn" disabled={closed || d.busy || Boolean(live)} onClick={() => void store.sending.send(m.id)} data-testid="send">
            <Icon name={d.repeat ? 'repeat' : 'send'} />
            {d.repeat ? 'Start' : 'Send'}
            <span class="send-sub">{d.repeat ? `every ${d.intervalMs} ms` : 'Enter'}</span>
          </button>
        )}
      </div>

      <AppendChips m={m} />
      <div class="send-line" id="send-status" aria-live="polite">
        {problem ? (
          <span class="field-error" data-testid="send-error">
            {problem.message}
          </span>
        ) : (
          <PreviewBytes m={m} />
        )}
        <span class="spacer" />
        <label class={`check-inline${d.error?.field === 'interval' ? ' invalid' : ''}`}>
          <input type="checkbox" checked={d.repeat} disabled={Boolean(cyclic)} onChange={(e) => store.sending.setDraft(m.id, { repeat: (e.currentTarget as HTMLInputElement).checked })} data-testid="repeat" />
          every
          <input
            class="interval mono"
            value={d.intervalMs}
            inputMode="numeric"
            aria-label="Interval in milliseconds"
            disabled={Boolean(cyclic)}
            onInput={(e) => store.sending.setDraft(m.id, { intervalMs: (e.currentTarget as HTMLInputElement).value })}
            data-testid="interval"
          />
          ms
        </label>
      </div>
      <FileSetupRow m={m} choose={() => fileInput.current?.click()} />
      {file && <FileProgressRow m={m} />}
    </section>
  );
}
