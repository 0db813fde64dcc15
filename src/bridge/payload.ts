// The bytes a page's message stands for: text in the session's encoding (escapes optional), hex or base64, then its framing.
import { UsageError } from '../errors.js';
import { encodeText } from '../wire/codec.js';
import { encodeFrame, type FrameSpec } from '../wire/framing.js';
import { parseHex } from '../wire/hex.js';
import { unescapeText } from '../wire/template.js';
import type { Payload } from './protocol.js';

const EOL: Record<string, string> = { none: '', lf: '\n', crlf: '\r\n' };

/** The bytes a payload stands for, in a session's encoding and framing. */
export function encodePayload(payload: Payload, encoding: string, frame: FrameSpec): Buffer {
  if (!payload || typeof payload !== 'object') throw new UsageError('message: nothing to send');
  if (payload.kind === 'base64') return Buffer.from(String(payload.data ?? ''), 'base64');
  const eol = EOL[payload.eol ?? 'none'];
  if (eol === undefined) throw new UsageError(`line ending must be none, lf or crlf, got '${payload.eol}'`);
  let body: Buffer;
  if (payload.kind === 'hex') body = Buffer.from(parseHex(String(payload.hex ?? ''), 'hex'));
  else if (payload.kind === 'text') {
    const t = String(payload.text ?? '');
    body = payload.escapes ? unescapeText(t, encoding, 'message') : encodeText(t, encoding);
  } else throw new UsageError(`message: unknown payload kind '${(payload as { kind?: string }).kind}'`);
  if (eol) body = Buffer.concat([body, encodeText(eol, encoding)]);
  // a length-prefixed protocol needs its prefix; delimiters and lines are the line-ending option's business
  return frame.kind === 'len16' || frame.kind === 'len32' ? encodeFrame(frame, body) : body;
}
