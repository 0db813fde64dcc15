// The bytes a page's message stands for: text in the session's encoding (escapes optional), hex, base64 or a message builder, then its framing.
import { UsageError } from '../errors.js';
import { encodeText } from '../wire/codec.js';
import { encodeFrame, type FrameSpec } from '../wire/framing.js';
import { encodeHexText, unescapeText } from '../wire/template.js';
import { compileMessage, type Message } from '../wire/message.js';
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
  return compilePayload(payload, encoding, frame)();
}

/** Compiled builder messages kept per session, so `{counter}` counts across sends of the same message. */
export type MessageCache = Map<string, Message>;
const CACHED_MESSAGES = 32;

/**
 * Compiles a payload once and returns what renders its bytes: the same bytes every time, except
 * for a builder message with variables (`{counter}`, `{now}`, …), rendered anew each call. Throws
 * a usage error for a payload that cannot be sent.
 */
export function compilePayload(payload: Payload, encoding: string, frame: FrameSpec, cache?: MessageCache): () => Buffer {
  if (!payload || typeof payload !== 'object') throw new UsageError('message: nothing to send');
  // a length-prefixed protocol needs its prefix; delimiters and lines are the line-ending option's business
  const framed = (body: Buffer) => (frame.kind === 'len16' || frame.kind === 'len32' ? encodeFrame(frame, body) : body);
  const constant = (bytes: Buffer) => () => bytes;
  if (payload.kind === 'base64') return constant(Buffer.from(textField(payload.data, 'base64 data'), 'base64'));
  // hex is exactly the bytes typed (with its "text" pieces and escapes): a line ending is a text-mode setting
  if (payload.kind === 'hex') {
    return constant(framed(encodeHexText(textField(payload.hex, 'hex'), encoding, 'hex')));
  }
  if (payload.kind !== 'text' && payload.kind !== 'message') throw new UsageError(`message: unknown payload kind ${describeValue((payload as { kind?: unknown }).kind)}`);
  const eol = lineEnding(payload.eol);
  if (eol === undefined) throw new UsageError(`line ending must be none, lf or crlf, got ${describeValue(payload.eol)}`);
  const ending = eol ? encodeText(eol, encoding) : undefined;
  const withEnding = (body: Buffer) => framed(ending ? Buffer.concat([body, ending]) : body);
  if (payload.kind === 'text') {
    const t = textField(payload.text, 'text');
    return constant(withEnding(payload.escapes ? unescapeText(t, encoding, 'message') : encodeText(t, encoding)));
  }
  const source = textField(payload.source, 'message');
  const key = `${encoding}\0${source}`;
  let message = cache?.get(key);
  if (!message) {
    message = compileMessage(source, { encode: (t) => encodeText(t, encoding), name: 'message' });
    if (cache) {
      if (cache.size >= CACHED_MESSAGES) cache.delete(cache.keys().next().value!);
      cache.set(key, message);
    }
  }
  const m = message;
  const render = () => {
    const u = m.render();
    return withEnding(Buffer.from(u.buffer, u.byteOffset, u.byteLength));
  };
  return m.isConstant ? constant(render()) : render;
}
