// The scenario file: steps that connect, listen, send and expect, read from YAML or JSON and checked with the path of every bad field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SockitError, UsageError } from '../errors.js';
import { resolveEncoding } from '../wire/codec.js';

/** The transports a scenario speaks. */
export type ScenarioProtocol = 'tcp' | 'udp' | 'ws';

/** Where to connect: `tcp://host:port`, `udp://host:port`, `ws://host:port/path`, or its fields. */
export type ConnectTarget = string | { protocol?: ScenarioProtocol; host?: string; port?: number | string; url?: string };

/** What to listen on: a port, or its fields. */
export type ListenTarget = number | string | { protocol?: ScenarioProtocol; port?: number | string; host?: string; path?: string };

/** What to send: a message builder (`text {hex:01 02}{crc16modbus}`, variables `{name}`), or hex, or a file. */
export type SendSpec = string | { text?: string; hex?: string; file?: string };

/**
 * What must arrive: text (a message builder, so `{name}` and `{hex:..}` work), `/regex/flags`
 * (named groups become variables), `hex` with `??` for any byte, a count of `bytes`, or `closed`.
 */
export type ExpectSpec = string | RegExp | { text?: string; regex?: string; hex?: string; bytes?: number; closed?: true };

/** One step. Each step is an object with one of these keys (or the bare words `close`, `reset`). */
export type StepSpec =
  | 'close' | 'reset'
  | { connect: ConnectTarget; as?: string }
  | { listen: ListenTarget; as?: string }
  | { accept?: string | null; within?: number }
  | { send: SendSpec }
  | { expect: ExpectSpec; within?: number }
  | { sleep: number }
  | { repeat: number | 'forever'; steps: StepSpec[] }
  | { parallel: number | StepSpec[][]; steps?: StepSpec[] }
  | { close: null | true }
  | { reset: null | true };

/** A whole scenario. */
export interface ScenarioSpec {
  name?: string;
  /** Variables and their defaults; `--var name=value` and regex captures add and replace them. */
  vars?: Record<string, string | number>;
  /** How text is encoded and decoded (default utf8). */
  encoding?: string;
  /** How long an `expect` waits by default, in ms (default 5000). */
  within?: number;
  steps: StepSpec[];
}

const STEP_KEYS = ['connect', 'listen', 'accept', 'send', 'expect', 'sleep', 'repeat', 'parallel', 'close', 'reset'] as const;
/** The kind of a step, from its key. */
export type StepKind = (typeof STEP_KEYS)[number];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The kind of a checked step. */
export function stepKind(step: StepSpec): StepKind {
  if (typeof step === 'string') return step;
  return STEP_KEYS.find((k) => k in step)!;
}

function bad(path: string, what: string): never {
  throw new UsageError(`${path}: ${what}`, { field: path });
}

function checkMs(v: unknown, path: string): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) bad(path, `${JSON.stringify(v)} is not a number of milliseconds`);
}

function checkStep(step: unknown, path: string): void {
  if (step === 'close' || step === 'reset') return;
  if (typeof step === 'string') bad(path, `'${step}' is not a step; a step is close, reset, or an object with one of ${STEP_KEYS.join(', ')}`);
  if (!isObject(step)) bad(path, 'a step is an object such as { send: "PING" } or { expect: "PONG" }');
  const keys = STEP_KEYS.filter((k) => k in step);
  if (keys.length !== 1) bad(path, keys.length ? `one step at a time: it has ${keys.join(' and ')}` : `unknown step with ${Object.keys(step).join(', ') || 'no fields'}; use one of ${STEP_KEYS.join(', ')}`);
  const kind = keys[0]!;
  const v = step[kind];
  const at = `${path}.${kind}`;
  checkMs(step.within, `${path}.within`);
  switch (kind) {
    case 'connect':
      if (typeof v !== 'string' && !isObject(v)) bad(at, 'give tcp://host:port, udp://host:port, ws://host:port/path, or { host, port, protocol }');
      break;
    case 'listen':
      if (typeof v !== 'string' && typeof v !== 'number' && !isObject(v)) bad(at, 'give a port, or { port, host, protocol }');
      break;
    case 'send':
      if (typeof v !== 'string' && !(isObject(v) && ['text', 'hex', 'file'].some((k) => typeof v[k] === 'string'))) bad(at, 'give text (a message builder), or { hex: "01 02" }, or { file: path }');
      break;
    case 'expect':
      if (typeof v === 'string' || v instanceof RegExp) break;
      if (!isObject(v)) bad(at, 'give text, /regex/, closed, or { text | regex | hex | bytes | closed }');
      if (v.bytes !== undefined && (!Number.isSafeInteger(v.bytes) || (v.bytes as number) < 1)) bad(`${at}.bytes`, `${JSON.stringify(v.bytes)} is not a whole number above 0`);
      if (!['text', 'regex', 'hex', 'bytes', 'closed'].some((k) => v[k] !== undefined)) bad(at, 'give one of text, regex, hex, bytes, closed');
      break;
    case 'sleep':
      checkMs(v, at);
      break;
    case 'repeat':
      if (v !== 'forever' && (!Number.isSafeInteger(v) || (v as number) < 1)) bad(at, `${JSON.stringify(v)} is not a whole number above 0 (or forever)`);
      checkSteps(step.steps, `${path}.steps`);
      break;
    case 'parallel':
      if (Array.isArray(v)) v.forEach((branch, i) => checkSteps(branch, `${at}[${i}]`));
      else if (!Number.isSafeInteger(v) || (v as number) < 1) bad(at, `${JSON.stringify(v)} is neither a number of branches nor a list of step lists`);
      else checkSteps(step.steps, `${path}.steps`);
      break;
    default:
  }
}

function checkSteps(steps: unknown, path: string): void {
  if (!Array.isArray(steps)) bad(path, 'steps must be a list');
  steps.forEach((s, i) => checkStep(s, `${path}[${i}]`));
}

/** Checks a parsed scenario; errors name the field's path (`steps[2].expect.bytes: ...`). */
export function checkScenario(value: unknown, where = 'scenario'): ScenarioSpec {
  if (!isObject(value)) bad(where, 'a scenario is an object with steps');
  const s = value as Record<string, unknown>;
  if (s.vars !== undefined && !isObject(s.vars)) bad('vars', 'must be a map of names to values');
  for (const [k, v] of Object.entries((s.vars ?? {}) as object)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) bad(`vars.${k}`, 'a variable name is letters, digits and _');
    if (typeof v !== 'string' && typeof v !== 'number') bad(`vars.${k}`, 'a variable is text or a number');
  }
  if (s.encoding !== undefined) resolveEncoding(String(s.encoding), 'encoding');
  checkMs(s.within, 'within');
  checkSteps(s.steps, 'steps');
  return value as unknown as ScenarioSpec;
}

/** Reads a scenario file (YAML, or JSON which YAML includes); errors name the file and the field. */
export function loadScenario(path: string): ScenarioSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SockitError('SOCKIT_ERR_FILE', `${path}: cannot read it: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err, exitCode: 2 });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${path}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return checkScenario(value);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}
