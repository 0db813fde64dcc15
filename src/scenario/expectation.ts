// What an `expect` step waits for, checked against the bytes a connection has received so far: pass, wait for more, or fail at a byte.
import { UsageError } from '../errors.js';
import { decodeText, encodeText } from '../wire/codec.js';
import { compileMessage } from '../wire/message.js';
import type { ExpectSpec } from './scenario-format.js';

/** How a check came out. `consumed` bytes are taken from the connection; `at` is the first byte that differs. */
export type CheckResult =
  | { status: 'pass'; consumed: number; captures?: Record<string, string> }
  | { status: 'wait' }
  | { status: 'fail'; at?: number; why: string };

/** A compiled expectation. */
export interface Expectation {
  /** In words, for reports: `text "Hello, bob!"`, `/^220 /`, `hex 01 03 ?? ??`, `12 bytes`, `closed`. */
  readonly description: string;
  /** The bytes expected, where they are known (text and hex; `??` shown as 00). */
  readonly bytes?: Buffer;
  /** Which of {@link bytes} are wildcards. */
  readonly wildcard?: boolean[];
  /**
   * Checks what has arrived (`whole`: one datagram or WebSocket message, matched whole). `closed`:
   * nothing more will come.
   */
  check(arrived: Buffer, closed: boolean, whole: boolean): CheckResult;
}

function prefixCheck(expected: Buffer, wild: boolean[] | undefined, arrived: Buffer, closed: boolean, whole: boolean): CheckResult {
  const n = Math.min(expected.length, arrived.length);
  for (let i = 0; i < n; i++) {
    if (!wild?.[i] && expected[i] !== arrived[i]) return { status: 'fail', at: i, why: `byte ${i} differs` };
  }
  if (arrived.length < expected.length) {
    if (whole) return { status: 'fail', at: arrived.length, why: `the message is ${arrived.length} bytes, ${expected.length} were expected` };
    return closed ? { status: 'fail', at: arrived.length, why: `the connection closed after ${arrived.length} of ${expected.length} bytes` } : { status: 'wait' };
  }
  if (whole && arrived.length > expected.length) return { status: 'fail', at: expected.length, why: `the message is ${arrived.length} bytes, ${expected.length} were expected` };
  return { status: 'pass', consumed: expected.length };
}

function parsePattern(text: string, where: string): { bytes: Buffer; wild: boolean[] } {
  const tokens = text.trim().split(/[\s,]+/).filter(Boolean).flatMap((t) => (t === '??' ? [t] : t.replace(/^0x/i, '').match(/.{1,2}/g) ?? []));
  if (tokens.length === 0) throw new UsageError(`${where}: a hex pattern needs at least one byte`);
  const bytes = Buffer.alloc(tokens.length);
  const wild = tokens.map((t, i) => {
    if (t === '??') return true;
    if (!/^[0-9a-fA-F]{2}$/.test(t)) throw new UsageError(`${where}: '${t}' is not a byte (two hex digits, or ?? for any byte)`);
    bytes[i] = parseInt(t, 16);
    return false;
  });
  return { bytes, wild };
}

/**
 * Compiles an expectation. Text is a message builder rendered with the variables now (so
 * `{name}` and `{hex:..}` work); `encoding` turns text into the bytes expected.
 */
export function compileExpectation(spec: ExpectSpec, vars: Record<string, string>, encoding: string, where: string): Expectation {
  if (spec instanceof RegExp) spec = { regex: String(spec) };
  if (typeof spec === 'string') {
    if (spec === 'closed') spec = { closed: true };
    else if (/^\/.*\/[a-z]*$/s.test(spec)) spec = { regex: spec };
    else spec = { text: spec };
  }
  if (spec.closed) {
    return {
      description: 'the connection to close',
      check: (arrived, closed) => (arrived.length ? { status: 'fail', at: 0, why: `${arrived.length} bytes arrived instead` } : closed ? { status: 'pass', consumed: 0 } : { status: 'wait' }),
    };
  }
  if (spec.bytes !== undefined) {
    const n = spec.bytes;
    return {
      description: `${n} bytes`,
      check: (arrived, closed, whole) => {
        if (whole) return arrived.length === n ? { status: 'pass', consumed: n } : { status: 'fail', why: `the message is ${arrived.length} bytes` };
        if (arrived.length >= n) return { status: 'pass', consumed: n };
        return closed ? { status: 'fail', at: arrived.length, why: `the connection closed after ${arrived.length} bytes` } : { status: 'wait' };
      },
    };
  }
  if (spec.hex !== undefined) {
    const { bytes, wild } = parsePattern(spec.hex, `${where}.hex`);
    return { description: `hex ${spec.hex.trim()}`, bytes, wildcard: wild, check: (a, c, w) => prefixCheck(bytes, wild, a, c, w) };
  }
  if (spec.regex !== undefined) {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(spec.regex);
    let re: RegExp;
    try {
      re = m ? new RegExp(m[1]!, m[2]!.replace(/[gy]/g, '')) : new RegExp(spec.regex);
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
    return {
      description: m ? spec.regex : `/${spec.regex}/`,
      check: (arrived, closed, whole) => {
        const text = decodeText(arrived, encoding);
        const hit = re.exec(text);
        if (!hit) {
          if (whole) return { status: 'fail', why: 'the message does not match' };
          return closed ? { status: 'fail', why: 'nothing that arrived matches' } : { status: 'wait' };
        }
        // what came before the match and the match itself are taken; the rest stays for the next step
        const end = hit.index + hit[0].length;
        const captures: Record<string, string> = {};
        hit.slice(1).forEach((v, i) => v !== undefined && (captures[String(i + 1)] = v));
        for (const [k, v] of Object.entries(hit.groups ?? {})) if (v !== undefined) captures[k] = v;
        return { status: 'pass', consumed: whole ? arrived.length : encodeText(text.slice(0, end), encoding).length, captures };
      },
    };
  }
  const message = compileMessage(spec.text!, { name: `${where}.text`, encode: (t) => encodeText(t, encoding), captureNames: Object.keys(vars) });
  const bytes = Buffer.from(message.render({ captures: vars }));
  return { description: `text ${JSON.stringify(decodeText(bytes, encoding))}`, bytes, check: (a, c, w) => prefixCheck(bytes, undefined, a, c, w) };
}
