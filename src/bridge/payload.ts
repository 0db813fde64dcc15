// The bytes a page's message stands for: text in the session's encoding (escapes optional), hex or base64, then its framing.
import { UsageError } from '../errors.js';
import { encodeText } from '../wire/codec.js';
import { encodeFrame, type FrameSpec } from '../wire/framing.js';
import { parseHex } from '../wire/hex.js';
import { unescapeText } from '../wire/template.js';
import { describeValue } from './hub-error.js';
import type { Payload } from './protocol.js';

// What a line ending appends; a switch, so no inherited property can pass for one.
function lineEnding(eol: unknown): string | undefined {
  switch (eol) {
    case undefined:
    case null:
    case 'none':
      return '';
    case 'lf':
      return '\n';
    case 'crlf':
      return '\r\n';
    default:
      return undefined;
  }
}

function textField(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new UsageError(`message: the ${what} must be text, got ${describeValue(value)}`);
  return value;
}

/** The bytes a payload stands for, in a session's encoding and framing. */
export function encodePayload(payload: Payload, encoding: string, frame: FrameSpec): Buffer {
  if (!payload || typeof payload !== 'object') throw new UsageError('message: nothing to send');
  if (payload.kind === 'base64') return Buffer.from(textField(payload.data, 'base64 data'), 'base64');
  let body: Buffer;
  // hex is exactly the bytes typed: a line ending is a text-mode setting
  if (payload.kind === 'hex') body = Buffer.from(parseHex(textField(payload.hex, 'hex'), 'hex'));
  else if (payload.kind === 'text') {
    const eol = lineEnding(payload.eol);
    if (eol === undefined) throw new UsageError(`line ending must be none, lf or crlf, got ${describeValue(payload.eol)}`);
    const t = textField(payload.text, 'text');
    body = payload.escapes ? unescapeText(t, encoding, 'message') : encodeText(t, encoding);
    if (eol) body = Buffer.concat([body, encodeText(eol, encoding)]);
  } else throw new UsageError(`message: unknown payload kind ${describeValue((payload as { kind?: unknown }).kind)}`);
  // a length-prefixed protocol needs its prefix; delimiters and lines are the line-ending option's business
  return frame.kind === 'len16' || frame.kind === 'len32' ? encodeFrame(frame, body) : body;
}
