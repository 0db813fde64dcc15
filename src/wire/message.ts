// Message builders: text, escapes, hex, variables and checksums in one syntax for everything sockit sends.
import { UsageError } from '../errors.js';
import { AMBIGUOUS_BUILDERS, builderKind, builderNames, writeUint, type BuilderKind } from './checksums.js';
import { parseHex } from './hex.js';

/** What a message may refer to when it is rendered. */
export interface MessageContext {
  /** The message being answered, as text (a single trailing newline left out in raw framing). */
  data?: string;
  /** The message being answered, its exact bytes. */
  raw?: Uint8Array;
  peer?: string;
  /** The answered message's number on its connection. */
  n?: number;
  /** A rule's captures: `0`…`9` by position, and names. */
  captures?: Readonly<Record<string, string | undefined>>;
}

/** How a message is compiled. */
export interface MessageOptions {
  /** Encodes text (default UTF-8). */
  encode?: (text: string) => Uint8Array;
  /** What the message is, for errors: an option (`--reply`) or a field. */
  name?: string;
  /** Capture names a rule's pattern defines, allowed as `{name}`. */
  captureNames?: readonly string[];
}

/** A compiled message: parsed once, rendered per use. */
export interface Message {
  readonly source: string;
  /** True when every render gives the same bytes (no variables). */
  readonly isConstant: boolean;
  /** True when it uses `{data}` (the caller then decodes what it answers). */
  readonly readsText: boolean;
  render(ctx?: MessageContext): Uint8Array;
}

type Variable = 'data' | 'peer' | 'n' | 'now' | 'unix' | 'unixms' | 'counter' | 'randint' | 'capture';
type Part =
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'text'; name: Variable; arg: string }
  | { kind: 'raw' }
  | { kind: 'random'; count: number }
  | { kind: 'builder'; builder: BuilderKind; order: 'be' | 'le'; hex: boolean; from?: number; to?: number };

const VARIABLES = ['data', 'raw', 'peer', 'n', 'counter', 'now', 'unix', 'unixms', 'random', 'randint', 'hex'];
// an identifier or a capture number, then optional arguments; stops at the next brace, so parsing stays linear
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*|\d)(?::([^{}\n]*))?\}/y;
const utf8 = new TextEncoder();

function escapeOf(c: string | undefined): string | undefined {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case '0': return '\0';
    case '\\': return '\\';
    case '{': return '{';
    case '}': return '}';
    default: return undefined;
  }
}

/** The list of known placeholders, for error messages. */
function known(captures: readonly string[]): string {
  const caps = captures.length ? `, captures {0}-{9} ${captures.map((c) => `{${c}}`).join(' ')}` : ', captures {0}-{9}';
  return `${VARIABLES.map((v) => `{${v}}`).join(' ')}${caps}, builders ${builderNames().map((b) => `{${b}}`).join(' ')}`;
}

/**
 * Compiles a message. Literal text is encoded with `encode`; `\xHH` and `{hex:…}` are raw bytes
 * whatever the encoding, so binary protocols can be spoken too. Errors name the column.
 */
export function compileMessage(source: string, options: MessageOptions = {}): Message {
  const name = options.name ?? 'message';
  const encode = options.encode ?? ((t: string) => utf8.encode(t));
  const captureNames = options.captureNames ?? [];
  const parts: Part[] = [];
  // text pieces are joined once per run: appending to one string a piece at a time costs more than linear time
  let text: string[] = [];
  let raw: number[] = [];
  const flushText = () => {
    if (text.length === 0) return;
    parts.push({ kind: 'bytes', value: encode(text.join('')) });
    text = [];
  };
  const flushRaw = () => {
    if (raw.length === 0) return;
    parts.push({ kind: 'bytes', value: Uint8Array.from(raw) });
    raw = [];
  };
  const fail = (what: string, at: number, hint?: string): never => {
    throw new UsageError(`${name}: ${what} at column ${at + 1}${hint ? `; ${hint}` : ''}`, { field: name });
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      const simple = escapeOf(next);
      if (simple !== undefined) {
        flushRaw();
        text.push(simple);
        i++;
      } else if (next === 'x' && /^[0-9a-f]{2}$/i.test(source.slice(i + 2, i + 4))) {
        flushText();
        raw.push(parseInt(source.slice(i + 2, i + 4), 16));
        i += 3;
      } else {
        fail(`unknown escape '\\${next ?? ''}'`, i, 'use \\n \\r \\t \\0 \\\\ \\{ \\} or \\xHH');
      }
      continue;
    }
    if (c !== '{') {
      // a run of plain text up to the next escape or brace, in one step
      flushRaw();
      let end = i + 1;
      while (end < source.length && source[end] !== '\\' && source[end] !== '{') end++;
      text.push(source.slice(i, end));
      i = end - 1;
      continue;
    }
    PLACEHOLDER.lastIndex = i;
    const m = PLACEHOLDER.exec(source);
    if (!m) {
      // a brace that starts no placeholder is text, as in JSON payloads
      flushRaw();
      text.push(c);
      continue;
    }
    flushRaw();
    flushText();
    parts.push(placeholder(m[1]!, m[2], i, captureNames, fail));
    i += m[0].length - 1;
  }
  flushRaw();
  flushText();
  return build(source, parts, encode);
}

type Fail = (what: string, at: number, hint?: string) => never;

function placeholder(id: string, arg: string | undefined, at: number, captureNames: readonly string[], fail: Fail): Part {
  const word = id.toLowerCase();
  const noArg = () => {
    if (arg !== undefined) fail(`{${id}} takes no argument`, at);
  };
  if (/^\d$/.test(id)) return { kind: 'text', name: 'capture', arg: id };
  if (captureNames.includes(id)) return { kind: 'text', name: 'capture', arg: id };
  switch (word) {
    case 'data':
    case 'peer':
    case 'n':
    case 'unix':
    case 'unixms':
      noArg();
      return { kind: 'text', name: word, arg: '' };
    case 'raw':
      noArg();
      return { kind: 'raw' };
    case 'counter':
      if (arg !== undefined && !/^\d{1,2}$/.test(arg)) fail(`{counter:${arg}}: the argument is a width, such as {counter:5}`, at);
      return { kind: 'text', name: 'counter', arg: arg ?? '' };
    case 'now':
      return { kind: 'text', name: 'now', arg: arg ?? '' };
    case 'random': {
      const count = arg !== undefined && /^\d{1,5}$/.test(arg) ? Number(arg) : NaN;
      if (!(count >= 1 && count <= 65536)) fail(`{random:N} needs a byte count from 1 to 65536`, at);
      return { kind: 'random', count };
    }
    case 'randint': {
      const r = /^(\d{1,15})-(\d{1,15})$/.exec(arg ?? '');
      if (!r || Number(r[1]) > Number(r[2])) fail(`{randint:A-B} needs a range such as {randint:1-100}`, at);
      return { kind: 'text', name: 'randint', arg: arg! };
    }
    case 'hex':
      try {
        return { kind: 'bytes', value: parseHex(arg ?? '', `{hex:…} at column ${at + 1}`) };
      } catch (err) {
        return fail((err as Error).message, at);
      }
  }
  const ambiguous = AMBIGUOUS_BUILDERS.get(word);
  if (ambiguous) fail(`{${id}} is ambiguous`, at, ambiguous);
  const builder = builderKind(word);
  const what = /^(crc|len|sum|xor|lrc|bcc|chk)/.test(word) ? 'builder' : 'variable';
  if (!builder) fail(`unknown ${what} {${id}}`, at, `known: ${known(captureNames)} (write \\{ for a literal brace)`);
  return builderPart(builder!, id, arg, at, fail);
}

function builderPart(builder: BuilderKind, id: string, arg: string | undefined, at: number, fail: Fail): Part {
  const part: Part = { kind: 'builder', builder, order: builder.order, hex: false };
  for (const option of (arg ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d*)-(\d*)$/.exec(option);
    if (option === 'le' || option === 'be') part.order = option;
    else if (option === 'hex') part.hex = true;
    else if (range && (range[1] || range[2])) {
      if (range[1]) part.from = Number(range[1]);
      if (range[2]) part.to = Number(range[2]);
      if (part.from !== undefined && part.to !== undefined && part.from > part.to) fail(`{${id}:${arg}}: the range starts after it ends`, at);
    } else fail(`{${id}}: unknown option '${option}'; use a byte range (2-, 0-5), le, be or hex`, at);
  }
  return part;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DD HH:mm:ss.SSS` tokens in local time. */
function formatTime(ts: number, format: string): string {
  const d = new Date(ts);
  return format.replace(/YYYY|MM|DD|HH|mm|ss|SSS/g, (t) => {
    switch (t) {
      case 'YYYY': return String(d.getFullYear());
      case 'MM': return pad(d.getMonth() + 1);
      case 'DD': return pad(d.getDate());
      case 'HH': return pad(d.getHours());
      case 'mm': return pad(d.getMinutes());
      case 'ss': return pad(d.getSeconds());
      default: return pad(d.getMilliseconds(), 3);
    }
  });
}

function randomBytes(count: number): Uint8Array {
  const out = new Uint8Array(count);
  // getRandomValues fills at most 65,536 bytes at a time
  for (let i = 0; i < count; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(count, i + 65536)));
  return out;
}

function build(source: string, parts: Part[], encode: (t: string) => Uint8Array): Message {
  let counter = 0;
  const hasBuilders = parts.some((p) => p.kind === 'builder');
  const isConstant = parts.every((p) => p.kind === 'bytes' || p.kind === 'builder');
  const readsText = parts.some((p) => p.kind === 'text' && p.name === 'data');
  const textOf = (p: Extract<Part, { kind: 'text' }>, ctx: MessageContext, count: number, now: number): string => {
    switch (p.name) {
      case 'data': return ctx.data ?? '';
      case 'peer': return ctx.peer ?? '';
      case 'n': return String(ctx.n ?? 0);
      case 'unix': return String(Math.floor(now / 1000));
      case 'unixms': return String(now);
      case 'now': return p.arg ? formatTime(now, p.arg) : new Date(now).toISOString();
      case 'counter': return p.arg ? String(count).padStart(Number(p.arg), '0') : String(count);
      case 'capture': return ctx.captures && Object.hasOwn(ctx.captures, p.arg) ? ctx.captures[p.arg] ?? '' : '';
      case 'randint': {
        const [a, b] = p.arg.split('-').map(Number) as [number, number];
        return String(a + Math.floor(Math.random() * (b - a + 1)));
      }
    }
  };
  const render = (ctx: MessageContext = {}): Uint8Array => {
    const count = ++counter;
    const now = Date.now();
    const chunks: Uint8Array[] = [];
    const slots: { at: number; part: Extract<Part, { kind: 'builder' }> }[] = [];
    let total = 0;
    for (const p of parts) {
      let chunk: Uint8Array;
      if (p.kind === 'bytes') chunk = p.value;
      else if (p.kind === 'text') chunk = encode(textOf(p, ctx, count, now));
      else if (p.kind === 'raw') chunk = ctx.raw ?? new Uint8Array(0);
      else if (p.kind === 'random') chunk = randomBytes(p.count);
      else {
        chunk = new Uint8Array(p.builder.width * (p.hex ? 2 : 1));
        slots.push({ at: total, part: p });
      }
      chunks.push(chunk);
      total += chunk.length;
    }
    const out = chunks.length === 1 && !hasBuilders ? chunks[0]! : concat(chunks, total);
    // lengths first (they do not depend on content), then checksums left to right
    for (const pass of ['after', 'before'] as const) {
      for (const { at, part } of slots) if (part.builder.covers === pass) fill(out, at, part);
    }
    return out;
  };
  if (isConstant) {
    const bytes = render();
    return { source, isConstant, readsText, render: () => bytes };
  }
  return { source, isConstant, readsText, render };
}

/** Computes one builder over its range and writes it at `at`. */
function fill(out: Uint8Array, at: number, part: Extract<Part, { kind: 'builder' }>): void {
  const { builder } = part;
  const width = builder.width * (part.hex ? 2 : 1);
  let from: number;
  let to: number; // exclusive
  if (part.from === undefined && part.to === undefined) {
    [from, to] = builder.covers === 'before' ? [0, at] : [at + width, out.length];
  } else {
    from = part.from ?? 0;
    // `a-` runs up to the builder when it starts before it, else to the end
    to = part.to !== undefined ? part.to + 1 : from < at ? at : out.length;
  }
  from = Math.min(from, out.length);
  to = Math.max(from, Math.min(to, out.length));
  const value = builder.compute(out.subarray(from, to));
  if (!part.hex) {
    writeUint(out, at, value, builder.width, part.order);
    return;
  }
  const bytes = new Uint8Array(builder.width);
  writeUint(bytes, 0, value, builder.width, part.order);
  const digits = Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  for (let i = 0; i < digits.length; i++) out[at + i] = digits.charCodeAt(i);
}

/** Applies only the escapes (braces stay as typed): for lines typed at a prompt. */
export function applyEscapes(source: string, encode: (t: string) => Uint8Array = (t) => utf8.encode(t), name = 'text'): Uint8Array {
  let text: string[] = [];
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (c: Uint8Array) => {
    chunks.push(c);
    total += c.length;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c !== '\\') {
      let end = i + 1;
      while (end < source.length && source[end] !== '\\') end++;
      text.push(source.slice(i, end));
      i = end - 1;
      continue;
    }
    const next = source[i + 1];
    const simple = escapeOf(next);
    if (simple !== undefined) {
      text.push(simple);
      i++;
    } else if (next === 'x' && /^[0-9a-f]{2}$/i.test(source.slice(i + 2, i + 4))) {
      if (text.length) push(encode(text.join('')));
      text = [];
      push(Uint8Array.of(parseInt(source.slice(i + 2, i + 4), 16)));
      i += 3;
    } else {
      throw new UsageError(`${name}: unknown escape '\\${next ?? ''}' at column ${i + 1}; use \\n \\r \\t \\0 \\\\ or \\xHH`, { field: name });
    }
  }
  if (text.length) push(encode(text.join('')));
  return concat(chunks, total);
}
