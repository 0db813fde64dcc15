// Sequences (a command list): named steps of quick or typed messages, each followed by its pause, sent in order to the current session; edited in a dialog, kept in localStorage, stoppable.
import type { MessageBody, QuickMessage, Sequence, SequenceStep } from '../wire/quick.js';
import { checkSequences, MAX_STEP_DELAY_MS } from '../wire/quick.js';
import { loadSequences, saveSequences } from './persist.js';
import { payloadOf, targetOf } from './sending.js';
import { checkHex } from './validate.js';
import type { Store } from './store.js';

/** One step as the editor holds it (strings, as typed): a quick message by id, or `text` / `hex` typed here. */
export interface StepRow {
  source: 'quick' | 'text' | 'hex';
  quick: string;
  text: string;
  delayMs: string;
}

/** The sequence being edited: its name and rows, problems by `name` or `steps.<i>`. */
export interface SequenceEditor {
  id: string | undefined;
  label: string;
  rows: StepRow[];
  errors: Record<string, string>;
}

/** A sequence running on a session: the step being sent or waited after, of how many. */
export interface SequenceRun {
  sequence: string;
  session: string;
  step: number;
  total: number;
  stop: () => void;
}

const NEW_ROW: StepRow = { source: 'text', quick: '', text: '', delayMs: '500' };

function rowOf(step: SequenceStep): StepRow {
  if ('quick' in step) return { source: 'quick', quick: step.quick, text: '', delayMs: String(step.delayMs) };
  return { source: step.message.mode, quick: '', text: step.message.text, delayMs: String(step.delayMs) };
}

/** The saved sequences and what a person does with them. */
export class Sequences {
  list: Sequence[] = loadSequences();
  editor: SequenceEditor | undefined;
  /** Runs in progress, by session. */
  readonly runs = new Map<string, SequenceRun>();

  constructor(private readonly store: Store) {}

  /** Opens the editor on a sequence, or on a new one. */
  edit(id?: string): void {
    const s = id ? this.list.find((x) => x.id === id) : undefined;
    this.editor = { id: s?.id, label: s?.label ?? '', rows: s ? s.steps.map(rowOf) : [{ ...NEW_ROW }], errors: {} };
    this.store.notify();
  }

  /** Changes the editor's name or rows. */
  change(patch: Partial<Pick<SequenceEditor, 'label' | 'rows'>>): void {
    if (!this.editor) return;
    this.editor = { ...this.editor, ...patch, errors: {} };
    this.store.notify();
  }

  /**
   * Changes one step. It reads the rows as they are now, not as last drawn: two fields edited
   * before the next frame (a paste and a tab, a script) must both stay.
   */
  changeStep(i: number, patch: Partial<StepRow>): void {
    if (this.editor) this.change({ rows: this.editor.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  }

  /** Removes one step. */
  removeStep(i: number): void {
    if (this.editor) this.change({ rows: this.editor.rows.filter((_, j) => j !== i) });
  }

  /** Adds an empty step at the end. */
  addStep(): void {
    if (this.editor) this.change({ rows: [...this.editor.rows, { ...NEW_ROW }] });
  }

  /** Closes the editor without saving. */
  cancel(): void {
    this.editor = undefined;
    this.store.notify();
  }

  /** Checks the editor and saves its sequence (plain JSON, as a workspace keeps it). */
  save(): void {
    const e = this.editor;
    if (!e) return;
    const errors: Record<string, string> = {};
    if (!e.label.trim()) errors.name = 'give the sequence a name';
    if (e.rows.length === 0) errors.name = 'add a step first';
    const steps: SequenceStep[] = e.rows.map((r, i) => {
      const at = `steps.${i}`;
      const delay = r.delayMs.trim() || '0';
      if (!/^\d+$/.test(delay) || Number(delay) > MAX_STEP_DELAY_MS) errors[at] = `step ${i + 1}: the pause is whole milliseconds from 0 to ${MAX_STEP_DELAY_MS}`;
      if (r.source === 'quick') {
        if (!this.store.quick.list.some((q) => q.id === r.quick)) errors[at] = `step ${i + 1}: choose a quick message`;
        return { quick: r.quick, delayMs: Number(delay) };
      }
      if (r.source === 'hex') {
        const h = checkHex(r.text);
        if ('error' in h) errors[at] = `step ${i + 1}: ${h.error}`;
      } else if (r.text === '') errors[at] = `step ${i + 1}: type the message`;
      const message: MessageBody = { mode: r.source, text: r.text, eol: 'none', escapes: r.source === 'text' };
      return { message, delayMs: Number(delay) };
    });
    if (Object.keys(errors).length) {
      this.editor = { ...e, errors };
      this.store.notify();
      return;
    }
    const seq: Sequence = { id: e.id ?? `s${Date.now().toString(36)}`, label: e.label.trim(), steps };
    // the shape a workspace file reads back
    checkSequences([seq]);
    this.list = e.id ? this.list.map((s) => (s.id === e.id ? seq : s)) : [...this.list, seq];
    saveSequences(this.list);
    this.editor = undefined;
    this.store.flash(`saved the sequence “${seq.label}”`);
  }

  /** Forgets a sequence. */
  remove(id: string): void {
    this.list = this.list.filter((s) => s.id !== id);
    saveSequences(this.list);
    this.store.notify();
  }

  /** The message a step sends, or why it cannot. */
  private bodyOf(step: SequenceStep): MessageBody | string {
    if ('message' in step) return step.message;
    const q: QuickMessage | undefined = this.store.quick.list.find((x) => x.id === step.quick);
    return q ?? 'its quick message is no longer saved';
  }

  /** Sends a sequence's steps in order to the current session's chosen target, each followed by its pause; stops on the first refusal. */
  async run(id: string): Promise<void> {
    const store = this.store;
    const seq = this.list.find((s) => s.id === id);
    const m = store.current;
    if (!seq || !m) return store.flash('choose a session first', 'error');
    if (this.runs.has(m.id)) return store.flash('a sequence is already running on this session', 'error');
    let stopped = false;
    let wake: (() => void) | undefined;
    const run: SequenceRun = { sequence: seq.id, session: m.id, step: 0, total: seq.steps.length, stop: () => {
      stopped = true;
      wake?.();
    } };
    this.runs.set(m.id, run);
    store.notify();
    let failure: string | undefined;
    for (const [i, step] of seq.steps.entries()) {
      if (stopped) break;
      run.step = i + 1;
      store.notify();
      const body = this.bodyOf(step);
      if (typeof body === 'string') {
        failure = `step ${i + 1}: ${body}`;
        break;
      }
      const r = await store.request({ type: 'send', session: m.id, target: targetOf(m), payload: payloadOf(body) });
      if (!r.ok) {
        failure = `step ${i + 1}: ${r.error.message}`;
        break;
      }
      if (step.delayMs > 0 && i < seq.steps.length - 1) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, step.delayMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
    this.runs.delete(m.id);
    if (failure) store.flash(`the sequence “${seq.label}” stopped at ${failure}`, 'error');
    else store.flash(stopped ? `stopped the sequence “${seq.label}” at step ${run.step} of ${run.total}` : `sent the sequence “${seq.label}”`);
  }

  /** Stops the sequence running on a session. */
  stop(session: string): void {
    this.runs.get(session)?.stop();
  }
}
