// Message builders bound to a text encoding, producing Buffers for Node's sockets.
import { encodeText } from './codec.js';
import { applyEscapes, compileMessage, type Message, type MessageContext } from './message.js';
import { hexMessageSource } from './hex.js';

/** What a template may refer to (see {@link MessageContext}). */
export type TemplateContext = MessageContext;

/** A compiled message whose text parts are encoded in one encoding. */
export interface Template extends Omit<Message, 'render'> {
  render(ctx?: MessageContext): Buffer;
}

const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

/**
 * Compiles a message builder (`{data}`, `{hex:…}`, `{crc16modbus}`, escapes, …). Literal text is
 * encoded with `encoding`; `\xHH` and `{hex:…}` are raw bytes whatever the encoding.
 */
export function compileTemplate(source: string, encoding = 'utf8', name = '--reply', captureNames?: readonly string[]): Template {
  const message = compileMessage(source, { encode: (t) => encodeText(t, encoding), name, captureNames });
  return { source, isConstant: message.isConstant, readsText: message.readsText, render: (ctx) => asBuffer(message.render(ctx)) };
}

/** Applies only the escapes (braces stay as typed): for lines typed at a prompt. */
export function unescapeText(source: string, encoding = 'utf8', name = '--send'): Buffer {
  return asBuffer(applyEscapes(source, (t) => encodeText(t, encoding), name));
}

/**
 * Hex as `--send-hex` and the page's hex mode take it: hex bytes, `\r \n \t \0 \\` escapes and
 * `"quoted text"` in `encoding` (see {@link hexMessageSource}).
 */
export function encodeHexText(source: string, encoding = 'utf8', name = 'hex'): Buffer {
  return compileTemplate(hexMessageSource(source, name), encoding, name).render();
}
