// What the page remembers between visits, in localStorage: settings, saved quick messages, the last form values.
import { checkSequences, type LineEnding, type QuickMessage, type Sequence } from '../wire/quick.js';

export type { QuickMessage } from '../wire/quick.js';

/** Preferences that outlive a session. */
export interface Settings {
  theme: 'system' | 'light' | 'dark';
  /** How new sessions show data. */
  mode: 'text' | 'hex';
  /** New sessions' logs wrap long lines. */
  wrap: boolean;
  /** New sessions' logs show the time column. */
  times: boolean;
  /** The throughput chart's window in seconds. */
  chartWindowS: number;
  eol: LineEnding;
  sendMode: 'text' | 'hex';
  escapes: boolean;
  intervalMs: string;
  /** Last values typed in the new-session form, per kind. */
  forms: Record<string, Record<string, string | boolean>>;
  lastKind: string;
}

const KEY_SETTINGS = 'sockit.settings.v1';
const KEY_QUICK = 'sockit.quick.v1';
const KEY_SEQUENCES = 'sockit.sequences.v1';

/** Defaults for a first visit. */
export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  mode: 'text',
  wrap: false,
  times: true,
  chartWindowS: 60,
  eol: 'none',
  sendMode: 'text',
  escapes: false,
  intervalMs: '1000',
  forms: {},
  lastKind: 'tcp-server',
};

/** Examples shown until the person saves their own. */
export const DEFAULT_QUICK: QuickMessage[] = [
  { id: 'q1', label: 'Hello', mode: 'text', text: 'Hello', eol: 'lf', escapes: false },
  { id: 'q2', label: 'AT\\r\\n', mode: 'text', text: 'AT', eol: 'crlf', escapes: false },
  { id: 'q3', label: 'Modbus read', mode: 'hex', text: '01 03 00 00 00 0a c5 cd', eol: 'none', escapes: false },
];

function read<T>(key: string): T | undefined {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // private mode or full storage: the page still works, it just forgets
  }
}

/** The saved settings merged over the defaults. */
export function loadSettings(): Settings {
  const saved = read<Partial<Settings>>(KEY_SETTINGS) ?? {};
  return { ...DEFAULT_SETTINGS, ...saved, forms: { ...(saved.forms ?? {}) } };
}

/** Saves the settings. */
export function saveSettings(s: Settings): void {
  write(KEY_SETTINGS, s);
}

/** The saved quick messages (the examples on a first visit). */
export function loadQuick(): QuickMessage[] {
  const saved = read<QuickMessage[]>(KEY_QUICK);
  return Array.isArray(saved) ? saved.filter((q) => q && typeof q.text === 'string') : DEFAULT_QUICK;
}

/** Saves the quick messages. */
export function saveQuick(list: QuickMessage[]): void {
  write(KEY_QUICK, list);
}

/** The saved sequences (none on a first visit, or when what was saved no longer reads). */
export function loadSequences(): Sequence[] {
  try {
    return checkSequences(read<unknown>(KEY_SEQUENCES) ?? []);
  } catch {
    return [];
  }
}

/** Saves the sequences. */
export function saveSequences(list: Sequence[]): void {
  write(KEY_SEQUENCES, list);
}
