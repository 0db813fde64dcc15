// Faults a relay can inflict, per direction: their settings, their values as people type them, and the command lines that change them.
import { UsageError } from '../errors.js';
import { parseSize } from './endpoint.js';

/**
 * Faults of one direction of a relay; 0 or absent means off. Sizes in bytes, times in
 * milliseconds, probabilities from 0 to 1.
 */
export interface FaultSpec {
  /** Added to each piece's travel time in this direction. */
  latencyMs?: number;
  /** Each piece's delay varies by up to this much either way (TCP keeps the order). */
  jitterMs?: number;
  /** Bytes per second this direction may carry. */
  bandwidth?: number;
  /** Writes are split into pieces of at most this many bytes, each its own write, 1 ms apart. */
  chunkBytes?: number;
  /** After this many bytes the relay closes both ends gracefully (FIN). */
  dropAfter?: number;
  /** After this many bytes the relay resets both ends (RST). */
  resetAfter?: number;
  /** After this many bytes the relay stops forwarding this direction, keeping the connection open. */
  stallAfter?: number;
  /** UDP: probability that a datagram is lost. */
  loss?: number;
  /** UDP: probability that a datagram is sent twice. */
  duplicate?: number;
  /** UDP: probability that a datagram is held back and sent after the next one. */
  reorder?: number;
}

/** Every fault of a relay: each direction's, and the refusal of new connections. */
export interface FaultSettings {
  /** From the client to the target. */
  up: FaultSpec;
  /** From the target back to the client. */
  down: FaultSpec;
  /** Probability that a new connection is refused (reset at once). */
  refuse: number;
}

/** A change to a relay's faults: the fields given replace the current ones (0 turns a fault off). */
export interface FaultPatch {
  up?: FaultSpec;
  down?: FaultSpec;
  refuse?: number;
}

/** The fields of a {@link FaultSpec}, in the order they are shown. */
export const FAULT_FIELDS = ['latencyMs', 'jitterMs', 'bandwidth', 'chunkBytes', 'dropAfter', 'resetAfter', 'stallAfter', 'loss', 'duplicate', 'reorder'] as const;

/** One field of a {@link FaultSpec}. */
export type FaultField = (typeof FAULT_FIELDS)[number];

const PROBABILITIES = new Set<FaultField>(['loss', 'duplicate', 'reorder']);
/** A day: no delay or jitter longer than this is meant. */
const MAX_DELAY_MS = 86_400_000;

/** No faults at all. */
export function noFaults(): FaultSettings {
  return { up: {}, down: {}, refuse: 0 };
}

/** Checks one value of a spec; `where` names it in the error (`up.latencyMs`, `--latency`). */
function checkValue(field: FaultField, value: unknown, where: string): number {
  const n = typeof value === 'number' ? value : Number.NaN;
  if (PROBABILITIES.has(field)) {
    if (!(n >= 0 && n <= 1)) throw new UsageError(`${where} must be a probability from 0 to 1, got '${value}'`);
    return n;
  }
  const max = field === 'latencyMs' || field === 'jitterMs' ? MAX_DELAY_MS : Number.MAX_SAFE_INTEGER;
  if (!(Number.isFinite(n) && n >= 0 && n <= max)) throw new UsageError(`${where} must be a number from 0 to ${max}, got '${value}'`);
  if (field !== 'latencyMs' && field !== 'jitterMs' && !Number.isInteger(n)) throw new UsageError(`${where} must be a whole number, got '${value}'`);
  return n;
}

/** A spec with every value checked and the zeros left out. */
export function checkFaultSpec(spec: FaultSpec | undefined, where: string): FaultSpec {
  const out: FaultSpec = {};
  if (spec === undefined || spec === null) return out;
  if (typeof spec !== 'object') throw new UsageError(`${where} must be an object of faults`);
  for (const key of Object.keys(spec)) {
    if (!(FAULT_FIELDS as readonly string[]).includes(key)) throw new UsageError(`${where}: unknown fault '${key}'; known: ${FAULT_FIELDS.join(', ')}`);
    const v = (spec as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const n = checkValue(key as FaultField, v, `${where}.${key}`);
    if (n !== 0) out[key as FaultField] = n;
  }
  return out;
}

/** Checks a probability of refusing a connection. */
export function checkRefuse(value: unknown, where = 'refuse'): number {
  const n = typeof value === 'number' ? value : Number.NaN;
  if (!(n >= 0 && n <= 1)) throw new UsageError(`${where} must be a probability from 0 to 1, got '${value}'`);
  return n;
}

/** The settings after a patch: each direction's given fields replace the current ones. */
export function applyFaultPatch(current: FaultSettings, patch: FaultPatch): FaultSettings {
  return {
    up: patch.up ? checkFaultSpec({ ...current.up, ...patch.up }, 'up') : current.up,
    down: patch.down ? checkFaultSpec({ ...current.down, ...patch.down }, 'down') : current.down,
    refuse: patch.refuse === undefined ? current.refuse : checkRefuse(patch.refuse),
  };
}

/** True when a spec asks for nothing: bytes pass straight through. */
export function isClear(spec: FaultSpec): boolean {
  for (const k in spec) if (spec[k as FaultField]) return false;
  return true;
}

/** A delay as typed: `200`, `200±20` or `200+-20` (milliseconds). */
export function parseDelay(value: string, name = '--latency'): { latencyMs: number; jitterMs: number } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:(?:±|\+-|\+\/-)\s*(\d+(?:\.\d+)?))?\s*(?:ms)?\s*$/.exec(value);
  if (!m) throw new UsageError(`${name} must be milliseconds with an optional jitter, such as 200 or 200±20 (or 200+-20), got '${value}'`);
  const latencyMs = Number(m[1]);
  const jitterMs = m[2] === undefined ? 0 : Number(m[2]);
  if (latencyMs > MAX_DELAY_MS || jitterMs > MAX_DELAY_MS) throw new UsageError(`${name} must be at most ${MAX_DELAY_MS} ms, got '${value}'`);
  return { latencyMs, jitterMs };
}

/** A rate as typed: bytes per second such as `64k`, `1.5m`, `64k/s` (k = 1024). */
export function parseRate(value: string, name = '--bandwidth'): number {
  const text = value.trim().replace(/\/s$/i, '').replace(/ps$/i, '');
  const n = parseSize(text, name, 1);
  return n;
}

/** A probability as typed: `0.1` or `10%`. */
export function parseProbability(value: string, name: string): number {
  const text = value.trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  if (!(n >= 0 && n <= 1)) throw new UsageError(`${name} must be a probability from 0 to 1 (or 0% to 100%), got '${value}'`);
  return n;
}

/** The faults a command line names, with the flag spelling of each. */
const FAULT_WORDS: Record<string, { fields: FaultField[]; parse: (v: string, name: string) => number[] }> = {
  latency: { fields: ['latencyMs', 'jitterMs'], parse: (v, n) => Object.values(parseDelay(v, n)) },
  bandwidth: { fields: ['bandwidth'], parse: (v, n) => [parseRate(v, n)] },
  chunk: { fields: ['chunkBytes'], parse: (v, n) => [parseSize(v, n, 1)] },
  'drop-after': { fields: ['dropAfter'], parse: (v, n) => [parseSize(v, n, 1)] },
  'reset-after': { fields: ['resetAfter'], parse: (v, n) => [parseSize(v, n, 1)] },
  'stall-after': { fields: ['stallAfter'], parse: (v, n) => [parseSize(v, n, 1)] },
  loss: { fields: ['loss'], parse: (v, n) => [parseProbability(v, n)] },
  duplicate: { fields: ['duplicate'], parse: (v, n) => [parseProbability(v, n)] },
  reorder: { fields: ['reorder'], parse: (v, n) => [parseProbability(v, n)] },
};

/** The fault names a command line or a flag may use (`--latency`, `--up-latency`, `latency 300`). */
export const FAULT_NAMES = Object.keys(FAULT_WORDS);

const ALIASES: Record<string, string> = { drop: 'drop-after', reset: 'reset-after', stall: 'stall-after', dup: 'duplicate', rate: 'bandwidth', delay: 'latency' };

/**
 * The patch one fault sets: `name` as in {@link FAULT_NAMES}, for `up`, `down` or `both`.
 * For both directions a delay counts the round trip, as ping does: `latency 200` delays each
 * way by 100 ms. `off` (or 0) turns the fault off.
 */
export function faultPatch(name: string, value: string, direction: 'up' | 'down' | 'both', flag = name): FaultPatch {
  const word = FAULT_WORDS[ALIASES[name] ?? name];
  if (!word) throw new UsageError(`unknown fault '${name}'; known: ${FAULT_NAMES.join(', ')}, refuse`);
  const off = /^\s*(off|none|0)\s*$/i.test(value);
  const values = off ? word.fields.map(() => 0) : word.parse(value, flag);
  const spec: FaultSpec = {};
  word.fields.forEach((f, i) => {
    const v = values[i]!;
    spec[f] = direction === 'both' && (f === 'latencyMs' || f === 'jitterMs') ? v / 2 : v;
  });
  if (direction === 'up') return { up: spec };
  if (direction === 'down') return { down: spec };
  return { up: { ...spec }, down: { ...spec } };
}

/** What a typed fault line asks: a change, every fault off, or the current faults shown. */
export type FaultCommand = { kind: 'patch'; patch: FaultPatch } | { kind: 'clear' } | { kind: 'show' };

/**
 * Reads a line typed while a relay runs: `latency 300`, `up latency 300±20`,
 * `down bandwidth 64k`, `reset 4`, `stall off`, `refuse 0.5`, `clear`, `show`.
 */
export function parseFaultLine(line: string): FaultCommand {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || (words.length === 1 && /^(show|faults|status)$/i.test(words[0]!))) return { kind: 'show' };
  if (words.length === 1 && /^(clear|off|none)$/i.test(words[0]!)) return { kind: 'clear' };
  let direction: 'up' | 'down' | 'both' = 'both';
  if (/^(up|down|both)$/i.test(words[0]!)) direction = words.shift()!.toLowerCase() as 'up' | 'down' | 'both';
  const [name, value, ...rest] = words;
  if (name === undefined || value === undefined || rest.length) {
    throw new UsageError(`'${line.trim()}' is not a fault: type [up|down] <fault> <value|off>, such as 'latency 300' or 'down bandwidth 64k', or 'clear' or 'show'`);
  }
  const lower = name.toLowerCase();
  if (lower === 'refuse') {
    if (direction !== 'both') throw new UsageError('refuse applies to new connections, not to one direction');
    return { kind: 'patch', patch: { refuse: /^off$/i.test(value) ? 0 : parseProbability(value, 'refuse') } };
  }
  return { kind: 'patch', patch: faultPatch(lower, value, direction, lower) };
}

/** The patch that turns every current fault off. */
export function clearingPatch(current: FaultSettings): FaultPatch {
  const off = (spec: FaultSpec): FaultSpec => Object.fromEntries(Object.keys(spec).map((k) => [k, 0]));
  return { up: off(current.up), down: off(current.down), refuse: 0 };
}

/** Merges patches: later fields win. */
export function mergeFaultPatches(...patches: FaultPatch[]): FaultPatch {
  const out: FaultPatch = {};
  for (const p of patches) {
    if (p.up) out.up = { ...out.up, ...p.up };
    if (p.down) out.down = { ...out.down, ...p.down };
    if (p.refuse !== undefined) out.refuse = p.refuse;
  }
  return out;
}

function formatRate(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / 1024 / 1024}M/s`;
  if (n % 1024 === 0) return `${n / 1024}k/s`;
  return `${n} B/s`;
}

/** One direction's faults in words: `latency 100±10 ms, bandwidth 64k/s`, or `none`. */
export function describeFaultSpec(spec: FaultSpec): string {
  const parts: string[] = [];
  if (spec.latencyMs || spec.jitterMs) parts.push(`latency ${spec.latencyMs ?? 0}${spec.jitterMs ? `±${spec.jitterMs}` : ''} ms`);
  if (spec.bandwidth) parts.push(`bandwidth ${formatRate(spec.bandwidth)}`);
  if (spec.chunkBytes) parts.push(`chunks of ${spec.chunkBytes} B`);
  if (spec.dropAfter) parts.push(`FIN after ${spec.dropAfter} B`);
  if (spec.resetAfter) parts.push(`RST after ${spec.resetAfter} B`);
  if (spec.stallAfter) parts.push(`stall after ${spec.stallAfter} B`);
  if (spec.loss) parts.push(`loss ${+(spec.loss * 100).toFixed(2)}%`);
  if (spec.duplicate) parts.push(`duplicate ${+(spec.duplicate * 100).toFixed(2)}%`);
  if (spec.reorder) parts.push(`reorder ${+(spec.reorder * 100).toFixed(2)}%`);
  return parts.length ? parts.join(', ') : 'none';
}

/** Every fault in words, one direction after the other. */
export function describeFaults(f: FaultSettings): string {
  const refuse = f.refuse ? `; refuse ${+(f.refuse * 100).toFixed(2)}% of connections` : '';
  return `up: ${describeFaultSpec(f.up)}; down: ${describeFaultSpec(f.down)}${refuse}`;
}
