// The typed event model every session emits, and its NDJSON form.
import { formatHex } from '../wire/hex.js';
import { isOwnText, isPlainAscii, OWN_TEXT_MAX } from '../wire/escape.js';
import type { CloseEvent, ConnectEvent, ControlShape, DataShape, ErrorEvent, EventBase, FaultsEvent, ListeningEvent, RequestEvent, RetryEvent, SendShape, SummaryEvent, TargetEvent } from '../wire/events.js';

export type * from '../wire/events.js';

/** One message arrived, its bytes in `payload` (which may share memory with other messages: copy it to keep it long). */
export interface DataEvent extends DataShape {
  payload: Buffer;
}

/** Bytes were written to a peer, in `payload`. */
export interface SendEvent extends SendShape {
  payload: Buffer;
}

/** A WebSocket ping or pong, its payload in `payload`. */
export interface ControlEvent extends ControlShape {
  payload: Buffer;
}

/** Every event a session can emit. */
export type SessionEvent = ListeningEvent | ConnectEvent | TargetEvent | DataEvent | SendEvent | ControlEvent | CloseEvent | RetryEvent | ErrorEvent | SummaryEvent | RequestEvent | FaultsEvent;

/** An event as a session builds it: `ts` (now, unless given) and `session` are stamped on emit. */
export type EventInput = SessionEvent extends infer E ? (E extends EventBase ? Omit<E, 'ts' | 'session'> & Partial<EventBase> : never) : never;

/** How payload bytes appear in an NDJSON event: a `hex` field (the default), a `base64` field (far cheaper on long messages), or none. */
export type PayloadForm = 'hex' | 'base64' | 'none';

/** The payload forms, for checking a face's option. */
export const PAYLOAD_FORMS: readonly PayloadForm[] = ['hex', 'base64', 'none'];

/** The NDJSON shape of an event: ISO `ts`, payloads as `hex` (or `base64`, or left out), and `text` where decoded. */
export function toJsonEvent(e: SessionEvent, payload: PayloadForm = 'hex'): Record<string, unknown> {
  const out: Record<string, unknown> = { event: e.event, ts: new Date(e.ts).toISOString(), session: e.session };
  // for..in and native hex: this runs twice per echoed message under --json
  const fields = e as unknown as Record<string, unknown>;
  for (const k in fields) {
    if (k === 'ts' || k === 'session' || k === 'event') continue;
    const v = fields[k];
    if (k === 'payload') {
      if (payload === 'hex') out.hex = Buffer.isBuffer(v) ? v.toString('hex') : formatHex(v as Uint8Array, '');
      else if (payload === 'base64') out.base64 = Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength).toString('base64');
    }
    else if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Where an NDJSON line is written piece by piece: text, bytes that are already its UTF-8, and payload bytes as hex. */
export interface JsonSink {
  write(text: string): void;
  /** Bytes that are the line's text as UTF-8, copied in as they are. */
  raw(bytes: Uint8Array): void;
  /** A whole number's digits. */
  number(n: number): void;
  hex(bytes: Uint8Array): void;
}

/** Base64 is written in slices of this many bytes (a multiple of 3), so no slice's text is a large string. */
const BASE64_SLICE = 48 * 1024;

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const DATA_HEAD = utf8('{"event":"data","ts":"');
const SEND_HEAD = utf8('{"event":"send","ts":"');
const HEX_OPEN = utf8(',"hex":"');
const TEXT_OPEN = utf8('","text":"');
const N_FIELD = utf8(',"n":');
const BYTES_FIELD = utf8(',"bytes":');
const BRACE = utf8('}');
const QUOTE_BRACE = utf8('"}');

/**
 * One event as an NDJSON line into a sink: the same text as `JSON.stringify(toJsonEvent(e, payload))`.
 * Messages, the bulk of a busy log, are written in their fixed field order from parts kept per
 * connection and per millisecond, their payload as bytes (a 64 KiB payload's hex would be a string
 * large enough to be slow to make), and text that is the payload's own ASCII as those bytes.
 * With `impliedText` (a session that decodes `unless-utf8`), a received message without text is
 * UTF-8 on its own, and its text is written from its bytes.
 */
export function writeJsonLine(e: SessionEvent, payload: PayloadForm, sink: JsonSink, impliedText = false): void {
  if (e.event !== 'data' && e.event !== 'send') {
    sink.write(JSON.stringify(toJsonEvent(e, payload)));
    return;
  }
  const p = e.payload;
  sink.raw(headAt(e.event, e.ts));
  sink.raw(connectionJson(e.session, e.peer, e.id));
  if (e.event === 'data') {
    sink.raw(N_FIELD);
    sink.number(e.n);
  }
  let s = '';
  if (payload === 'hex') {
    sink.raw(sizeAndHex(e.bytes));
    sink.hex(p);
    s = '"';
  } else {
    sink.raw(BYTES_FIELD);
    sink.number(e.bytes);
    if (payload === 'base64') {
      if (p.length <= BASE64_SLICE) s = `,"base64":"${p.toString('base64')}"`;
      else {
        sink.write(',"base64":"');
        for (let i = 0; i < p.length; i += BASE64_SLICE) sink.write(p.subarray(i, i + BASE64_SLICE).toString('base64'));
        s = '"';
      }
    }
  }
  // a message the session left without text, its bytes being UTF-8 on their own: they spell it
  const implied = e.text === undefined && impliedText && e.event === 'data';
  if (e.text !== undefined || implied) {
    if (s === '"' && (implied ? isPlainAscii(p, 'json') : p.length <= OWN_TEXT_MAX && isOwnText(p, e.text!, 'json'))) {
      sink.raw(TEXT_OPEN);
      sink.raw(p);
    } else s += `,"text":${JSON.stringify(e.text ?? p.toString('utf8'))}`;
  }
  if (e.opcode !== undefined) s += `,"opcode":"${e.opcode}"`;
  if (e.event === 'data') {
    if (e.direction !== undefined) s += `,"direction":"${e.direction}"`;
  } else if (e.fin !== undefined) s += `,"fin":${e.fin}`;
  if (s === '"' || s === '') sink.raw(s === '' ? BRACE : QUOTE_BRACE);
  else sink.write(s + '}');
}

const sizesAndHex: (Buffer | undefined)[] = [];

/** `,"bytes":64,"hex":"`, kept for the sizes a busy log repeats. */
function sizeAndHex(bytes: number): Buffer {
  if (bytes >= 2048) return utf8(`,"bytes":${bytes},"hex":"`);
  return (sizesAndHex[bytes] ??= utf8(`,"bytes":${bytes},"hex":"`));
}

/** One event as an NDJSON line (without its line break), as a string; `impliedText` as {@link writeJsonLine} takes it. */
export function toJsonLine(e: SessionEvent, payload: PayloadForm = 'hex', impliedText = false): string {
  let line = '';
  writeJsonLine(e, payload, {
    write: (text) => (line += text),
    raw: (bytes) => (line += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')),
    number: (n) => (line += n),
    hex: (bytes) => (line += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')),
  }, impliedText);
  return line;
}

interface ConnectionJson {
  session: string;
  peer: string;
  /** `","session":…,"peer":…,"id":…` as UTF-8. */
  bytes: Buffer;
}

const connections = new Map<number, ConnectionJson>();

/** The fields that name a message's connection, kept per connection: a busy log names the same few again and again. */
function connectionJson(session: string, peer: string, id: number): Buffer {
  let c = connections.get(id);
  if (c === undefined || c.peer !== peer || c.session !== session) {
    // bounded: a long run meets many connections, and ids are per session
    if (connections.size >= 4096) connections.clear();
    c = { session, peer, bytes: utf8(`","session":${JSON.stringify(session)},"peer":${JSON.stringify(peer)},"id":${id}`) };
    connections.set(id, c);
  }
  return c.bytes;
}

let lastTs = NaN;
let dataHead = Buffer.alloc(0);
let sendHead = Buffer.alloc(0);

/** `{"event":"data","ts":"<ISO time>` (or send) as ASCII; events come many to a millisecond, so the last one's are kept. */
function headAt(event: 'data' | 'send', ts: number): Buffer {
  if (ts !== lastTs) {
    lastTs = ts;
    const iso = new Date(ts).toISOString();
    dataHead = Buffer.concat([DATA_HEAD, Buffer.from(iso, 'latin1')]);
    sendHead = Buffer.concat([SEND_HEAD, Buffer.from(iso, 'latin1')]);
  }
  return event === 'data' ? dataHead : sendHead;
}
