// A batch of session events as one binary WebSocket message: messages as their raw bytes behind a
// compact header, every other event as JSON. The bridge writes it, the page (and any script) reads it.
import type { WsOpcode } from './events.js';

/**
 * The layout, little-endian:
 *
 *   header   u8 'S' · u8 version · u32 seq · f64 dropped · u32 records
 *   string   u8 4 · u16 index · u16 length · UTF-8   (a session's name or a peer, defined where first used in the batch)
 *   message  u8 1 (data) or 2 (send) · u8 flags · u8 opcode · u16 session · u16 peer · u32 id
 *            · f64 n · f64 ts · f64 bytes · u32 length · the bytes [· u32 length · the text as UTF-8]
 *   other    u8 3 · u32 length · the event as JSON
 *
 * A message's text travels only when the page cannot decode the bytes itself (an encoding the
 * browser lacks); the bytes are cut to the bridge's payload limit (`truncated`).
 */
export const BATCH_MAGIC = 0x53;
export const BATCH_VERSION = 1;

const HEADER = 18;
const MESSAGE_HEAD = 39;
const KIND_DATA = 1;
const KIND_SEND = 2;
const KIND_JSON = 3;
const KIND_STRING = 4;

const TRUNCATED = 1;
const HEX = 2;
const NOT_FIN = 4;
const HAS_TEXT = 8;
const UP = 16;
const DOWN = 32;

const OPCODES: readonly (WsOpcode | undefined)[] = [undefined, 'text', 'binary'];

/** A message as a batch carries it: its fields, its bytes, and its text when the bytes alone will not do. */
export interface BatchMessage {
  event: 'data' | 'send';
  ts: number;
  session: string;
  id: number;
  peer: string;
  /** The message's number on its connection (data only). */
  n?: number;
  bytes: number;
  /** The bytes carried: all of them, or the first ones when `truncated`. */
  raw: Uint8Array;
  truncated?: boolean;
  /** Decoded by the server, for an encoding the page does not decode itself. */
  text?: string;
  opcode?: WsOpcode;
  direction?: 'up' | 'down';
  /** A send of bytes a page typed as hex. */
  hex?: true;
  /** A WebSocket fragment that more of the same message follows. */
  fin?: false;
}

/** One record to write: a message, or any other event as JSON. */
export type BatchRecord = { message: BatchMessage } | { json: string };

/** A batch as read: its number, how many events the page has missed, and the events in order. */
export interface EventBatch {
  seq: number;
  dropped: number;
  /** Messages as {@link BatchMessage}; other events as parsed from their JSON. */
  events: (BatchMessage | { event: string; [key: string]: unknown })[];
}

const encoder = new TextEncoder();
const utf8 = new TextDecoder();

/** Messages' bytes from this long on are not copied by {@link encodeEventBatchParts}: they become parts of their own. */
const REFERENCE_FROM = 8 * 1024;

/**
 * Writes a batch as parts whose concatenation is the batch: the bytes of a message of
 * `referenceFrom` bytes or more are a part themselves (the message's own memory, not a copy: keep
 * it unchanged until the parts are written), everything else is copied into memory from `alloc`
 * (Node's `Buffer.allocUnsafe` spares zeroing it: a zeroed large array is slow to make). A
 * WebSocket message can carry the parts as its fragments, so long messages reach a page without
 * being copied on the way. Nothing of the records is kept.
 */
export function encodeEventBatchParts(
  seq: number,
  dropped: number,
  records: readonly BatchRecord[],
  alloc: (size: number) => Uint8Array = (n) => new Uint8Array(n),
  referenceFrom = REFERENCE_FROM,
): Uint8Array[] {
  // an upper bound of what is copied: each string at most three bytes a character
  let size = HEADER;
  for (const r of records) {
    if ('json' in r) size += 5 + r.json.length * 3;
    else {
      const m = r.message;
      size += MESSAGE_HEAD + (m.raw.length >= referenceFrom ? 0 : m.raw.length) + 10 + (m.session.length + m.peer.length) * 3 + (m.text === undefined ? 0 : 4 + m.text.length * 3);
    }
  }
  const out = alloc(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const parts: Uint8Array[] = [];
  // where the part being copied began
  let from = 0;
  out[0] = BATCH_MAGIC;
  out[1] = BATCH_VERSION;
  view.setUint32(2, seq, true);
  view.setFloat64(6, dropped, true);
  view.setUint32(14, records.length, true);
  let at = HEADER;
  const strings = new Map<string, number>();
  // a string's index, defining it first in the batch where it is new
  const ref = (s: string): number => {
    let i = strings.get(s);
    if (i !== undefined) return i;
    i = strings.size;
    strings.set(s, i);
    out[at] = KIND_STRING;
    view.setUint16(at + 1, i, true);
    const { written } = encoder.encodeInto(s, out.subarray(at + 5));
    view.setUint16(at + 3, written, true);
    at += 5 + written;
    return i;
  };
  for (const r of records) {
    if ('json' in r) {
      out[at] = KIND_JSON;
      const { written } = encoder.encodeInto(r.json, out.subarray(at + 5));
      view.setUint32(at + 1, written, true);
      at += 5 + written;
      continue;
    }
    const m = r.message;
    const session = ref(m.session);
    const peer = ref(m.peer);
    out[at] = m.event === 'data' ? KIND_DATA : KIND_SEND;
    out[at + 1] = (m.truncated ? TRUNCATED : 0) | (m.hex ? HEX : 0) | (m.fin === false ? NOT_FIN : 0) | (m.text !== undefined ? HAS_TEXT : 0) | (m.direction === 'up' ? UP : m.direction === 'down' ? DOWN : 0);
    out[at + 2] = m.opcode === 'text' ? 1 : m.opcode === 'binary' ? 2 : 0;
    view.setUint16(at + 3, session, true);
    view.setUint16(at + 5, peer, true);
    view.setUint32(at + 7, m.id, true);
    view.setFloat64(at + 11, m.n ?? 0, true);
    view.setFloat64(at + 19, m.ts, true);
    view.setFloat64(at + 27, m.bytes, true);
    view.setUint32(at + 35, m.raw.length, true);
    at += 39;
    if (m.raw.length >= referenceFrom) {
      parts.push(out.subarray(from, at), m.raw);
      from = at;
    } else {
      out.set(m.raw, at);
      at += m.raw.length;
    }
    if (m.text !== undefined) {
      const { written } = encoder.encodeInto(m.text, out.subarray(at + 4));
      view.setUint32(at, written, true);
      at += 4 + written;
    }
  }
  if (at > from || parts.length === 0) parts.push(out.subarray(from, at));
  return parts;
}

/** Writes a batch as one array (see {@link encodeEventBatchParts}; here every byte is copied). */
export function encodeEventBatch(seq: number, dropped: number, records: readonly BatchRecord[]): Uint8Array {
  const parts = encodeEventBatchParts(seq, dropped, records, undefined, Infinity);
  return parts[0]!;
}

/**
 * Reads a batch. Messages' `raw` bytes are views into `bytes`: copy what is kept for long, or the
 * whole batch stays in memory with it. Throws on bytes that are not a batch.
 */
export function decodeEventBatch(bytes: Uint8Array): EventBatch {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER || bytes[0] !== BATCH_MAGIC) throw new Error('not an event batch');
  if (bytes[1] !== BATCH_VERSION) throw new Error(`event batch version ${bytes[1]}, expected ${BATCH_VERSION}`);
  const seq = view.getUint32(2, true);
  const dropped = view.getFloat64(6, true);
  const count = view.getUint32(14, true);
  const strings: string[] = [];
  const events: EventBatch['events'] = [];
  let at = HEADER;
  // every length is checked against what arrived: a batch cut short is refused, never read past its end
  const need = (end: number) => {
    if (end > bytes.length) throw new Error('event batch cut short');
  };
  while (events.length < count) {
    need(at + 5);
    const kind = bytes[at];
    if (kind === KIND_STRING) {
      const length = view.getUint16(at + 3, true);
      need(at + 5 + length);
      strings[view.getUint16(at + 1, true)] = utf8.decode(bytes.subarray(at + 5, at + 5 + length));
      at += 5 + length;
    } else if (kind === KIND_JSON) {
      const length = view.getUint32(at + 1, true);
      need(at + 5 + length);
      events.push(JSON.parse(utf8.decode(bytes.subarray(at + 5, at + 5 + length))));
      at += 5 + length;
    } else if (kind === KIND_DATA || kind === KIND_SEND) {
      need(at + 39);
      const flags = bytes[at + 1]!;
      const length = view.getUint32(at + 35, true);
      need(at + 39 + length);
      const m: BatchMessage = {
        event: kind === KIND_DATA ? 'data' : 'send',
        ts: view.getFloat64(at + 19, true),
        session: strings[view.getUint16(at + 3, true)] ?? '',
        id: view.getUint32(at + 7, true),
        peer: strings[view.getUint16(at + 5, true)] ?? '',
        bytes: view.getFloat64(at + 27, true),
        raw: bytes.subarray(at + 39, at + 39 + length),
      };
      if (kind === KIND_DATA) m.n = view.getFloat64(at + 11, true);
      if (flags & TRUNCATED) m.truncated = true;
      if (flags & HEX) m.hex = true;
      if (flags & NOT_FIN) m.fin = false;
      if (flags & UP) m.direction = 'up';
      else if (flags & DOWN) m.direction = 'down';
      const opcode = OPCODES[bytes[at + 2]!];
      if (opcode) m.opcode = opcode;
      at += 39 + length;
      if (flags & HAS_TEXT) {
        need(at + 4);
        const textLength = view.getUint32(at, true);
        need(at + 4 + textLength);
        m.text = utf8.decode(bytes.subarray(at + 4, at + 4 + textLength));
        at += 4 + textLength;
      }
      events.push(m);
    } else {
      throw new Error(`unknown record ${kind} in an event batch`);
    }
  }
  return { seq, dropped, events };
}
