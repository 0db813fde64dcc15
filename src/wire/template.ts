// Reply templates (`{data}`, `{peer}`, `{n}`) and the escapes `\n \r \t \\ \xHH`, compiled once.
import { UsageError } from '../errors.js';
import { encodeText } from './codec.js';

/** What a template may refer to. */
export interface TemplateContext {
  data: string;
  peer: string;
  n: number;
}

type Part = { kind: 'bytes'; value: Buffer } | { kind: 'field'; name: keyof TemplateContext };

/** A compiled template: literal bytes and fields, rendered per message. */
export interface Template {
  readonly source: string;
  render(ctx: TemplateContext): Buffer;
  /** True when the template never refers to a field (it can be rendered once). */
  readonly isConstant: boolean;
}

const FIELDS = new Set(['data', 'peer', 'n']);

/**
 * Compiles a template. Literal text is encoded with `encoding`; `\xHH` is a raw byte whatever
 * the encoding, so binary protocols can be answered too.
 */
export function compileTemplate(source: string, encoding = 'utf8', name = '--reply'): Template {
  const parts: Part[] = [];
  let text = '';
  const raw: number[] = [];
  const flushText = () => {
    if (text) {
      parts.push({ kind: 'bytes', value: encodeText(text, encoding) });
      text = '';
    }
  };
  const flushRaw = () => {
    if (raw.length) {
      parts.push({ kind: 'bytes', value: Buffer.from(raw) });
      raw.length = 0;
    }
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '0': '\0', '{': '{', '}': '}' };
      if (next !== undefined && simple[next] !== undefined) {
        flushRaw();
        text += simple[next];
        i++;
      } else if (next === 'x' && /^[0-9a-f]{2}$/i.test(source.slice(i + 2, i + 4))) {
        flushText();
        raw.push(parseInt(source.slice(i + 2, i + 4), 16));
        i += 3;
      } else {
        throw new UsageError(`${name}: unknown escape '\\${next ?? ''}' at position ${i + 1}; use \\n \\r \\t \\\\ or \\xHH`);
      }
    } else if (c === '{') {
      const end = source.indexOf('}', i);
      const field = end > i ? source.slice(i + 1, end) : '';
      if (FIELDS.has(field)) {
        flushRaw();
        flushText();
        parts.push({ kind: 'field', name: field as keyof TemplateContext });
        i = end;
      } else {
        flushRaw();
        text += c; // a brace that is not a field is literal text, as in JSON payloads
      }
    } else {
      flushRaw();
      text += c;
    }
  }
  flushRaw();
  flushText();
  const isConstant = parts.every((p) => p.kind === 'bytes');
  const constant = isConstant ? Buffer.concat(parts.map((p) => (p as { value: Buffer }).value)) : undefined;
  return {
    source,
    isConstant,
    render(ctx) {
      if (constant) return constant;
      return Buffer.concat(parts.map((p) => (p.kind === 'bytes' ? p.value : encodeText(String(ctx[p.name]), encoding))));
    },
  };
}

/** Applies only the escapes (no fields): for `--send` texts and typed lines. */
export function unescapeText(source: string, encoding = 'utf8', name = '--send'): Buffer {
  return compileTemplate(source.replace(/\{(data|peer|n)\}/g, '\\{$1\\}'), encoding, name).render({ data: '', peer: '', n: 0 });
}
