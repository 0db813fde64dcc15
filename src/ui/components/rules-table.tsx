// The rules table of server sessions, in the new-session form and in the session's pane: add, edit, reorder, toggle, hit counts, each problem beside its field.
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import { NEW_RULE, type RuleRow } from '../builder.js';
import { Icon } from './icons.js';
import { store } from '../store.js';
import type { DialogState } from '../form.js';

interface TableProps {
  rows: readonly RuleRow[];
  errors: Readonly<Record<string, string>>;
  /** How often each rule fired (the pane of a running session). */
  hits?: readonly number[];
  /** A change; `commit` is false while a field is being typed in (applied on Enter or leaving it). */
  onChange(rows: RuleRow[], commit: boolean): void;
  disabled?: boolean;
}

const ACTIONS: RuleRow['action'][] = ['reply', 'close', 'reset', 'ignore'];

/** The rules, one row each, and a button to add one. */
export function RulesTable({ rows, errors, hits, onChange, disabled }: TableProps): JSX.Element {
  // edits build on the last rows handed on, not the last rendered: two fields typed before a render must both count
  const latest = useRef(rows);
  latest.current = rows;
  const emit = (next: RuleRow[], commit: boolean) => {
    latest.current = next;
    onChange(next, commit);
  };
  const set = (i: number, patch: Partial<RuleRow>, commit: boolean) => emit(latest.current.map((r, j) => (j === i ? { ...r, ...patch } : r)), commit);
  const move = (i: number, by: number) => {
    const next = [...latest.current];
    const [r] = next.splice(i, 1);
    next.splice(i + by, 0, r!);
    emit(next, true);
  };
  const onKey = (e: KeyboardEvent) => {
    // in the pane Enter applies the rules; in the form it starts the session, which applies them too
    if (e.key === 'Enter' && hits) {
      e.preventDefault();
      emit([...latest.current], true);
    }
  };
  const text = (i: number, field: 'match' | 'reply' | 'delayMs', props: { label: string; placeholder: string; cls?: string; off?: boolean }) => {
    const name = `rules.${i}.${field}`;
    return (
      <input
        type="text"
        name={name}
        class={`mono${props.cls ? ` ${props.cls}` : ''}${errors[name] ? ' invalid' : ''}`}
        value={rows[i]![field]}
        placeholder={props.placeholder}
        aria-label={`Rule ${i + 1}: ${props.label}`}
        aria-invalid={errors[name] ? 'true' : undefined}
        disabled={disabled || props.off}
        spellcheck={false}
        autoComplete="off"
        onInput={(e) => set(i, { [field]: (e.currentTarget as HTMLInputElement).value }, false)}
        onBlur={() => emit([...latest.current], true)}
        onKeyDown={onKey}
        data-testid={`rule-${field === 'delayMs' ? 'delay' : field}`}
      />
    );
  };
  return (
    <div class="rules" data-testid="rules">
      {rows.map((r, i) => {
        const problems = (['match', 'reply', 'delayMs'] as const).map((f) => errors[`rules.${i}.${f}`]).filter(Boolean);
        const n = hits?.[i] ?? 0;
        return (
          <div class={`rule${r.enabled ? '' : ' off'}`} role="group" aria-label={`Rule ${i + 1}`} data-testid="rule" key={i}>
            <input type="checkbox" checked={r.enabled} disabled={disabled} aria-label={`Rule ${i + 1} on`} title={r.enabled ? 'On: click to skip this rule' : 'Off: click to use this rule'} onChange={(e) => set(i, { enabled: (e.currentTarget as HTMLInputElement).checked }, true)} data-testid="rule-enabled" />
            {text(i, 'match', { label: 'match', placeholder: 'PING · hex:01 03 ?? ?? · /^GET (\\w+)/' })}
            <select value={r.action} disabled={disabled} aria-label={`Rule ${i + 1}: action`} onChange={(e) => set(i, { action: (e.currentTarget as HTMLSelectElement).value as RuleRow['action'] }, true)} data-testid="rule-action">
              {ACTIONS.map((a) => (
                <option value={a} key={a}>
                  {a === 'reply' ? '⇒ reply' : a}
                </option>
              ))}
            </select>
            {text(i, 'reply', { label: 'reply', placeholder: r.action === 'reply' ? 'PONG\\n · {hex:01 03 02 00 2a}{crc16modbus}' : '', off: r.action !== 'reply' })}
            {text(i, 'delayMs', { label: 'delay in milliseconds', placeholder: 'delay ms', cls: 'rule-delay' })}
            <span class={`rule-hits${n ? ' hit' : ''}`} data-testid="rule-hits" title="how often this rule answered">
              {hits ? `${n.toLocaleString('en-US')} hit${n === 1 ? '' : 's'}` : ''}
            </span>
            <span class="rule-tools">
              <button type="button" class="icon-btn" disabled={disabled || i === 0} onClick={() => move(i, -1)} aria-label={`Move rule ${i + 1} up`} title="Earlier: checked before the ones below" data-testid="rule-up">
                <Icon name="up" size={13} />
              </button>
              <button type="button" class="icon-btn" disabled={disabled || i === rows.length - 1} onClick={() => move(i, 1)} aria-label={`Move rule ${i + 1} down`} title="Later" data-testid="rule-down">
                <Icon name="down" size={13} />
              </button>
              <button type="button" class="icon-btn" disabled={disabled} onClick={() => emit(latest.current.filter((_, j) => j !== i), true)} aria-label={`Delete rule ${i + 1}`} title="Delete this rule" data-testid="rule-delete">
                <Icon name="x" size={13} />
              </button>
            </span>
            {problems.length > 0 && (
              <div class="rule-error" role="alert" data-testid="rule-error">
                {problems[0]}
              </div>
            )}
          </div>
        );
      })}
      <div class="rules-head">
        <button type="button" class="btn small" disabled={disabled} onClick={() => emit([...latest.current, { ...NEW_RULE }], false)} data-testid="add-rule">
          <Icon name="plus" size={13} /> Add rule
        </button>
        <span class="muted small">First match wins; unmatched messages get the reply or echo, if any.</span>
      </div>
    </div>
  );
}

/** A server's rules in the form: the table of the session's pane, applied as it starts. */
export function FormRules({ d }: { d: DialogState }): JSX.Element {
  return (
    <div class="form-rules">
      <div class="form-rules-title">
        Rules <span class="muted small">match what arrives, answer it</span>
      </div>
      <RulesTable rows={d.rules} errors={d.errors} onChange={(rows, commit) => store.form.setRules(rows, commit)} />
    </div>
  );
}
