// Auto-reply rules: `<match> => <action>`, parsed once and matched against each framed message.
import { UsageError } from '../errors.js';
import { compileMessage, type Message, type MessageOptions } from './message.js';

/** How a session answers what it reads, its rules written as `R`. Every field is optional. */
export interface AnswerOptions<R> {
  /** Sent to each new peer (a message builder: `{peer}`, escapes, hex, checksums). */
  welcome?: string;
  /** Answer to each message no rule answered (a message builder: `{data}`, `{peer}`, `{n}`, …). */
  reply?: string;
  /** Answer each message no rule answered with its exact bytes. */
  echo?: boolean;
  /** Close a connection after the first reply. */
  closeAfterReply?: boolean;
  /** Close a connection whose message is exactly this word. */
  quit?: string;
  /** Relay each peer's messages to every other peer. */
  chat?: boolean;
  /** Rules, first match wins. */
  rules?: R;
}

/** A rule as a file or the page writes it; `rule` is the one-line form, the other fields its parts. */
export interface RuleSpec {
  /** The whole rule in one line: `<match> => <action>` (instead of `match` and the action fields). */
  rule?: string;
  /** What to match: `text`, `prefix:…`, `contains:…`, `/regex/flags`, `hex:01 03 ?? ??`, `len>N`, `any`; several joined by ` && `. */
  match?: string;
  /** The answer, a message builder. */
  reply?: string;
  /** Instead of a reply: `close`, `reset` or `ignore` (consume the message, answer nothing). */
  action?: 'close' | 'reset' | 'ignore';
  /** Wait this long before acting. */
  delayMs?: number;
  /** Fire at most this many times. */
  count?: number;
  /** After the reply: `close` or `reset` the connection. */
  then?: 'close' | 'reset';
  /** False keeps the rule but skips it. */
  enabled?: boolean;
  name?: string;
}

type Condition =
  | { kind: 'text' | 'prefix' | 'contains'; value: string }
  | { kind: 'regex'; re: RegExp }
  | { kind: 'hex'; bytes: Uint8Array; mask: Uint8Array }
  | { kind: 'len'; op: '<' | '>' | '=' | '<=' | '>='; n: number }
  | { kind: 'any' };

/** A parsed rule. */
export interface Rule {
  /** The rule as written (one line), for lists and counts. */
  readonly source: string;
  readonly name: string | undefined;
  readonly conditions: readonly Condition[];
  readonly action: 'reply' | 'close' | 'reset' | 'ignore';
  readonly message: Message | undefined;
  readonly delayMs: number;
  readonly count: number | undefined;
  readonly then: 'close' | 'reset' | undefined;
  readonly enabled: boolean;
  /** True when matching reads the message's text (not only its bytes). */
  readonly readsText: boolean;
}

function unescapeString(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|[nrt0\\])/g, (_, e: string) => {
    switch (e) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case '0': return '\0';
      case '\\': return '\\';
      default: return String.fromCharCode(parseInt(e.slice(1), 16));
    }
  });
}

function parseHexPattern(text: string, where: string): Condition {
  const tokens = text.trim().split(/[\s,]+/).filter(Boolean);
  const bytes = new Uint8Array(tokens.length);
  const mask = new Uint8Array(tokens.length);
  tokens.forEach((t, i) => {
    if (t === '??') return;
    if (!/^[0-9a-fA-F]{2}$/.test(t)) throw new UsageError(`${where}: '${t}' in a hex pattern is not a byte (write two hex digits, or ?? for any byte)`);
    bytes[i] = parseInt(t, 16);
    mask[i] = 0xff;
  });
  if (tokens.length === 0) throw new UsageError(`${where}: a hex pattern needs at least one byte`);
  return { kind: 'hex', bytes, mask };
}

function parseCondition(text: string, where: string): Condition {
  const t = text.trim();
  if (t === 'any' || t === '*') return { kind: 'any' };
  const re = /^\/(.*)\/([a-z]*)$/s.exec(t);
  if (re) {
    try {
      return { kind: 'regex', re: new RegExp(re[1]!, re[2]!.replace(/[gy]/g, '')) };
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
  }
  const len = /^len\s*(<=|>=|<|>|=)\s*(\d+)$/.exec(t);
  if (len) return { kind: 'len', op: len[1] as '<', n: Number(len[2]) };
  const colon = /^(hex|prefix|contains|text):/.exec(t);
  if (colon) {
    const rest = t.slice(colon[0].length);
    if (colon[1] === 'hex') return parseHexPattern(rest, where);
    return { kind: colon[1] as 'text', value: unescapeString(rest) };
  }
  if (t === '') throw new UsageError(`${where}: nothing to match; write text, prefix:…, contains:…, /regex/, hex:…, len>N or any`);
  return { kind: 'text', value: unescapeString(t) };
}

/** The capture names a rule's patterns define, so its reply may use `{name}`. */
function captureNames(conditions: readonly Condition[]): string[] {
  const names: string[] = [];
  for (const c of conditions) {
    if (c.kind !== 'regex') continue;
    for (const m of c.re.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)) names.push(m[1]!);
  }
  return names;
}

/** Splits `<match> => <action>`; a `/regex/` may itself contain `=>`. */
function splitRule(line: string, where: string): [string, string] {
  let from = 0;
  const trimmed = line.trimStart();
  if (trimmed.startsWith('/')) {
    // skip past the regex: the last '/' followed by flags and then '=>'
    const m = /^\/(?:\\.|[^\\])*?\/[a-z]*\s*(?==>)/s.exec(trimmed);
    if (m) from = line.length - trimmed.length + m[0].length;
  }
  const at = line.indexOf('=>', from);
  if (at < 0) throw new UsageError(`${where}: a rule is '<match> => <action>', for example 'PING => PONG\\n'`);
  return [line.slice(0, at), line.slice(at + 2)];
}

const ACTIONS = new Set(['close', 'reset', 'ignore']);

/** Parses the action side: modifiers (`delay:`, `count:`, `then:`), then `close`, `reset`, `ignore` or a reply (`reply:` forces one). */
function parseAction(text: string, spec: RuleSpec, where: string): RuleSpec {
  let rest = text.trim();
  const out: RuleSpec = { ...spec };
  for (;;) {
    const m = /^(delay|count|then):(\S+)(?:\s+|$)/.exec(rest);
    if (!m) break;
    const [, key, value] = m;
    if (key === 'delay') {
      if (!/^\d+$/.test(value!)) throw new UsageError(`${where}: delay:${value} is not a whole number of milliseconds`);
      out.delayMs = Number(value);
    } else if (key === 'count') {
      if (!/^[1-9]\d*$/.test(value!)) throw new UsageError(`${where}: count:${value} is not a whole number above 0`);
      out.count = Number(value);
    } else {
      if (value !== 'close' && value !== 'reset') throw new UsageError(`${where}: then:${value}: use then:close or then:reset`);
      out.then = value;
    }
    rest = rest.slice(m[0].length);
  }
  if (rest.startsWith('reply:')) out.reply = rest.slice('reply:'.length);
  else if (ACTIONS.has(rest)) out.action = rest as 'close';
  else if (rest === '') throw new UsageError(`${where}: nothing to do; give a reply, or close, reset or ignore`);
  else out.reply = rest;
  return out;
}

/** Parses one rule, from its one-line form or from its fields. Errors name where the rule came from. */
export function parseRule(input: string | RuleSpec, options: MessageOptions & { where?: string } = {}): Rule {
  const where = options.where ?? 'rule';
  let spec: RuleSpec = typeof input === 'string' ? { rule: input } : input;
  if (spec === null || typeof spec !== 'object') throw new UsageError(`${where}: a rule is a line '<match> => <action>' or an object with match and reply`);
  let source: string;
  if (typeof spec.rule === 'string') {
    const [match, action] = splitRule(spec.rule, where);
    spec = parseAction(action, { ...spec, match: match.trim() }, where);
    source = spec.rule!.trim();
  } else {
    if (typeof spec.match !== 'string') throw new UsageError(`${where}: match must be text such as 'PING' or 'hex:01 03 ?? ??'`);
    source = `${spec.match} => ${spec.action ?? spec.reply ?? ''}`;
  }
  const conditions = spec.match!.split(/\s+&&\s+/).map((c) => parseCondition(c, where));
  const hasReply = typeof spec.reply === 'string';
  if (spec.action !== undefined && !ACTIONS.has(spec.action)) throw new UsageError(`${where}: action must be close, reset or ignore, got '${String(spec.action)}'`);
  if (!hasReply && spec.action === undefined) throw new UsageError(`${where}: a rule needs a reply or an action (close, reset, ignore)`);
  for (const [key, v] of [['delayMs', spec.delayMs], ['count', spec.count]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < (key === 'count' ? 1 : 0))) throw new UsageError(`${where}: ${key} must be a whole number${key === 'count' ? ' above 0' : ''}, got '${String(v)}'`);
  }
  if (spec.then !== undefined && spec.then !== 'close' && spec.then !== 'reset') throw new UsageError(`${where}: then must be close or reset`);
  const message = hasReply ? compileMessage(spec.reply!, { ...options, name: `${where} reply`, captureNames: captureNames(conditions) }) : undefined;
  return {
    source, name: typeof spec.name === 'string' ? spec.name : undefined, conditions,
    action: hasReply ? 'reply' : spec.action!, message,
    delayMs: spec.delayMs ?? 0, count: spec.count, then: spec.then, enabled: spec.enabled !== false,
    readsText: conditions.some((c) => c.kind === 'text' || c.kind === 'prefix' || c.kind === 'contains' || c.kind === 'regex') || Boolean(message?.readsText),
  };
}

/**
 * Whether a message matches every condition of a rule. Returns the captures (`0`…`9` and names;
 * empty when the rule has no regex) or undefined. `text` is needed when {@link Rule.readsText}.
 */
export function matchRule(rule: Rule, bytes: Uint8Array, text: string | undefined): Record<string, string | undefined> | undefined {
  let captures: Record<string, string | undefined> = {};
  for (const c of rule.conditions) {
    switch (c.kind) {
      case 'any':
        break;
      case 'text':
        if (text !== c.value) return undefined;
        break;
      case 'prefix':
        if (text === undefined || !text.startsWith(c.value)) return undefined;
        break;
      case 'contains':
        if (text === undefined || !text.includes(c.value)) return undefined;
        break;
      case 'len': {
        const n = bytes.length;
        const ok = c.op === '<' ? n < c.n : c.op === '>' ? n > c.n : c.op === '<=' ? n <= c.n : c.op === '>=' ? n >= c.n : n === c.n;
        if (!ok) return undefined;
        break;
      }
      case 'hex': {
        if (bytes.length < c.bytes.length) return undefined;
        for (let i = 0; i < c.bytes.length; i++) if ((bytes[i]! & c.mask[i]!) !== c.bytes[i]) return undefined;
        break;
      }
      case 'regex': {
        const m = text === undefined ? null : c.re.exec(text);
        if (!m) return undefined;
        captures = { ...captures, ...Object.fromEntries(m.slice(0, 10).map((v, i) => [String(i), v])), ...(m.groups ?? {}) };
        break;
      }
    }
  }
  return captures;
}
