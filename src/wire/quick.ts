// Saved messages and sequences of them, as plain JSON the page keeps and a workspace file stores.
import { UsageError } from '../errors.js';

/** What is appended to a typed text message. */
export type LineEnding = 'none' | 'lf' | 'crlf';

/** A message as typed in the send box: text (with its line ending and escapes) or hex. */
export interface MessageBody {
  mode: 'text' | 'hex';
  text: string;
  eol: LineEnding;
  escapes: boolean;
}

/** A saved message, one click away. */
export interface QuickMessage extends MessageBody {
  id: string;
  label: string;
}

/** One step of a sequence: a saved quick message (by id) or a message of its own, then a pause before the next step. */
export type SequenceStep =
  | { quick: string; delayMs: number }
  | { message: MessageBody; delayMs: number };

/** A named list of steps sent in order (a command list). */
export interface Sequence {
  id: string;
  label: string;
  steps: SequenceStep[];
}

/** The longest pause a sequence step may have: an hour. */
export const MAX_STEP_DELAY_MS = 3_600_000;

const ENDINGS: readonly string[] = ['none', 'lf', 'crlf'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(where: string, what: string): never {
  throw new UsageError(`${where}: ${what}`);
}

function checkBody(v: unknown, where: string): MessageBody {
  if (!isRecord(v)) fail(where, 'must be an object with mode, text, eol and escapes');
  if (v.mode !== 'text' && v.mode !== 'hex') fail(where, `mode must be text or hex, got ${JSON.stringify(v.mode)}`);
  if (typeof v.text !== 'string') fail(where, 'text must be a string');
  const eol = v.eol ?? 'none';
  if (typeof eol !== 'string' || !ENDINGS.includes(eol)) fail(where, `eol must be none, lf or crlf, got ${JSON.stringify(v.eol)}`);
  return { mode: v.mode, text: v.text, eol: eol as LineEnding, escapes: v.escapes === true };
}

function checkName(v: Record<string, unknown>, where: string): { id: string; label: string } {
  if (typeof v.id !== 'string' || v.id === '') fail(where, 'id must be a non-empty string');
  if (typeof v.label !== 'string') fail(where, 'label must be a string');
  return { id: v.id, label: v.label };
}

/** Checks a list of quick messages read from JSON; throws a UsageError naming the first bad entry. */
export function checkQuickMessages(value: unknown, where = 'quickMessages'): QuickMessage[] {
  if (!Array.isArray(value)) fail(where, 'must be a list');
  return value.map((q, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(q)) fail(at, 'must be an object');
    return { ...checkName(q, at), ...checkBody(q, at) };
  });
}

/** Checks a list of sequences read from JSON; throws a UsageError naming the first bad entry. */
export function checkSequences(value: unknown, where = 'sequences'): Sequence[] {
  if (!Array.isArray(value)) fail(where, 'must be a list');
  return value.map((s, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(s)) fail(at, 'must be an object');
    if (!Array.isArray(s.steps)) fail(at, 'steps must be a list');
    const steps = s.steps.map((step, j): SequenceStep => {
      const sat = `${at}.steps[${j}]`;
      if (!isRecord(step)) fail(sat, 'must be an object');
      const delayMs = step.delayMs ?? 0;
      if (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_STEP_DELAY_MS) {
        fail(sat, `delayMs must be a whole number from 0 to ${MAX_STEP_DELAY_MS}, got ${JSON.stringify(step.delayMs)}`);
      }
      if (typeof step.quick === 'string') return { quick: step.quick, delayMs };
      return { message: checkBody(step.message, `${sat}.message`), delayMs };
    });
    return { ...checkName(s, at), steps };
  });
}
