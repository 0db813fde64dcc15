// The send box's builder line: checksum chips appended to each send (NetAssist's 附加位), and the exact bytes a send puts on the wire.
import type { JSX } from 'preact';
import { store } from '../store.js';
import type { SessionModel } from '../session-model.js';
import { APPEND_CHOICES, builderSource, previewOf, usesBuilder } from '../builder.js';
import { formatHex } from '../../wire/hex.js';

/** The checksum chips: one at most, clicked again to take it off. */
export function AppendChips({ m }: { m: SessionModel }): JSX.Element {
  const d = m.draft;
  return (
    <div class="builder-line" role="group" aria-label="Append to each send" data-testid="append">
      <span class="label-inline">Append</span>
      {APPEND_CHOICES.map((c) => (
        <button
          type="button"
          key={c.name}
          class={`chip append${d.append === c.name ? ' on' : ''}`}
          aria-pressed={d.append === c.name}
          title={`${c.title}: {${c.name}}`}
          onClick={() => store.sending.setDraft(m.id, { append: d.append === c.name ? '' : c.name })}
          data-append={c.name}
        >
          {c.label}
        </button>
      ))}
    </div>
  );
}

/** What the next send puts on the wire, as hex, computed by the core's message compiler. */
export function PreviewBytes({ m }: { m: SessionModel }): JSX.Element | null {
  const d = m.draft;
  if (d.text === '') return null;
  const builder = usesBuilder(d);
  let source: string;
  try {
    source = builderSource({ ...d, builder: builder && d.builder });
  } catch {
    return null; // the send box's own check says what is wrong
  }
  const spec = m.info.spec;
  const frame = 'frame' in spec ? spec.frame : undefined;
  const p = previewOf(source, d.mode === 'hex' ? 'none' : d.eol, m.info.encoding, frame);
  if ('error' in p) return null; // the send box's own check says what is wrong
  if ('unavailable' in p) return builder ? <span class="muted preview-note" data-testid="preview-unavailable">{p.unavailable}</span> : null;
  const hex = formatHex(p.bytes, ' ', 512);
  const count = `${p.bytes.length} byte${p.bytes.length === 1 ? '' : 's'}`;
  return (
    <span class="preview" title={`${formatHex(p.bytes)}${p.prefix ? ` (with its ${p.prefix}-byte length prefix)` : ''}`}>
      <code class="preview-hex mono" data-testid="preview" data-hex={formatHex(p.bytes, '')}>
        {hex}
      </code>
      <span class="muted" data-testid="send-count">
        {count}
        {p.varies ? ', the first of its kind: variables change each send' : ''}
      </span>
    </span>
  );
}
