// The send box as a message builder: the source it stands for (checksums appended like NetAssist's 附加位), and a preview of its exact bytes by the core's own compiler.
import type { LineEnding, Payload, WireRule } from '../bridge/protocol.js';
import { writeUint } from '../wire/checksums.js';
import { canonicalEncoding } from '../wire/encoding-name.js';
import { compileMessage } from '../wire/message.js';
import { hexMessageSource } from '../wire/hex.js';
import { checkRule } from './validate.js';

/** The checksums the send box offers as chips, in NetAssist's order, with their short labels. */
export const APPEND_CHOICES: readonly { name: string; label: string; title: string }[] = [
  { name: 'sum8', label: 'Sum', title: 'sum of the bytes, modulo 256 (1 byte)' },
  { name: 'xor8', label: 'XOR', title: 'XOR of the bytes, BCC (1 byte)' },
  { name: 'lrc', label: 'LRC', title: "two's complement of the byte sum, Modbus ASCII (1 byte)" },
  { name: 'crc8', label: 'CRC8', title: 'CRC-8/SMBUS (1 byte)' },
  { name: 'crc16modbus', label: 'CRC16 Modbus', title: 'CRC-16/MODBUS, low byte first (2 bytes)' },
  { name: 'crc16xmodem', label: 'CRC16 XMODEM', title: 'CRC-16/XMODEM, high byte first (2 bytes)' },
  { name: 'crc32', label: 'CRC32', title: 'CRC-32 as zip and Ethernet compute it, high byte first (4 bytes)' },
];

/** What of the send box decides the bytes. */
export interface BuilderInput {
  mode: 'text' | 'hex';
  text: string;
  eol: LineEnding;
  escapes: boolean;
  /** The text is a message builder: `{hex:…}`, `{counter}`, `{crc16modbus}`, escapes. */
  builder: boolean;
  /** A checksum appended to what is typed (a builder's name), or ''. */
  append: string;
}

/** True when the send box is sent as a builder message (the bridge compiles it, as the CLI compiles --send). */
export function usesBuilder(d: BuilderInput): boolean {
  return d.append !== '' || (d.mode === 'text' && d.builder);
}

/** The builder source the send box stands for (only when {@link usesBuilder}, or in hex mode); throws on hex it cannot read. */
export function builderSource(d: BuilderInput): string {
  let body: string;
  if (d.mode === 'hex') body = hexMessageSource(d.text, 'hex');
  else if (d.builder) body = d.text;
  // typed text stays text: only its escapes (when asked for) are read, never a brace
  else body = d.escapes ? d.text.replace(/[{}]/g, '\\$&') : d.text.replace(/[\\{}]/g, '\\$&');
  return d.append ? `${body}{${d.append}}` : body;
}

/** The payload the send box sends. */
export function builderPayload(d: BuilderInput): Payload {
  const eol = d.mode === 'hex' ? 'none' : d.eol;
  return { kind: 'message', source: builderSource(d), eol, ...(d.mode === 'hex' ? { hex: true } : {}) };
}

const LATIN1 = new Set(['latin1', 'iso88591', 'l1', 'binary']);
const utf8 = new TextEncoder();

class NotHere extends Error {}

/** Text in a session's encoding, where the page can encode it itself (UTF-8, Latin-1, UTF-16LE); undefined elsewhere. */
function encoderFor(encoding: string): ((t: string) => Uint8Array) | undefined {
  const key = canonicalEncoding(encoding);
  if (key === 'utf8') return (t) => utf8.encode(t);
  if (LATIN1.has(key)) return (t) => Uint8Array.from(t, (c) => (c.charCodeAt(0) <= 0xff ? c.charCodeAt(0) : 0x3f));
  if (key === 'utf16le' || key === 'ucs2') {
    return (t) => {
      const out = new Uint8Array(t.length * 2);
      for (let i = 0; i < t.length; i++) writeUint(out, i * 2, t.charCodeAt(i), 2, 'le');
      return out;
    };
  }
  return undefined;
}

/** What the preview shows: the bytes (and whether later sends differ), a problem, or why it cannot be shown. */
export type Preview = { bytes: Uint8Array; varies: boolean; prefix: number } | { error: string } | { unavailable: string };

/**
 * The exact bytes a send would put on the wire, compiled by the same compileMessage the bridge
 * and the CLI use: the message, its line ending, and a length prefix for len16/len32 framing.
 * Messages with variables show their first rendering.
 */
export function previewOf(source: string, eol: LineEnding, encoding: string, frame: string | undefined): Preview {
  const local = encoderFor(encoding);
  const encode = (t: string): Uint8Array => {
    if (!local) throw new NotHere();
    return local(t);
  };
  try {
    const message = compileMessage(source, { encode, name: 'message' });
    const body = message.render();
    const ending = eol === 'lf' ? '\n' : eol === 'crlf' ? '\r\n' : '';
    const end = ending ? encode(ending) : new Uint8Array(0);
    const prefix = frame === 'len16' ? 2 : frame === 'len32' ? 4 : 0;
    const out = new Uint8Array(prefix + body.length + end.length);
    if (prefix) writeUint(out, 0, body.length + end.length, prefix as 2 | 4, 'be');
    out.set(body, prefix);
    out.set(end, prefix + body.length);
    return { bytes: out, varies: !message.isConstant, prefix };
  } catch (err) {
    if (err instanceof NotHere) return { unavailable: `sockit encodes ${encoding} text as it sends; the page previews UTF-8, Latin-1 and hex` };
    return { error: (err as Error).message };
  }
}

/** A rule as the rules table edits it (strings, as typed). */
export interface RuleRow {
  match: string;
  action: 'reply' | 'close' | 'reset' | 'ignore';
  reply: string;
  delayMs: string;
  enabled: boolean;
}

/** An empty rule, as "Add rule" makes it. */
export const NEW_RULE: RuleRow = { match: '', action: 'reply', reply: '', delayMs: '', enabled: true };

/** Rows as the bridge takes them. */
export function wireRules(rows: readonly RuleRow[]): WireRule[] {
  return rows.map((r) => ({
    match: r.match,
    ...(r.action === 'reply' ? { reply: r.reply } : { action: r.action }),
    ...(r.delayMs.trim() ? { delayMs: Number(r.delayMs.trim()) } : {}),
    ...(r.enabled ? {} : { enabled: false }),
  }));
}

/** The bridge's rules as rows. */
export function ruleRows(rules: readonly WireRule[] | undefined): RuleRow[] {
  return (rules ?? []).map((r) => ({
    match: r.match, action: r.action ?? 'reply', reply: r.reply ?? '', delayMs: r.delayMs ? String(r.delayMs) : '', enabled: r.enabled !== false,
  }));
}

/** Every row's problems, by `rules.<i>.<field>`, checked by the core's rule parser as the bridge checks them. */
export function checkRuleRows(rows: readonly RuleRow[]): Record<string, string> {
  const errs: Record<string, string> = {};
  rows.forEach((r, i) => Object.assign(errs, checkRule(r, i)));
  return errs;
}
