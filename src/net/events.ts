// The typed event model every session emits, and its NDJSON form.
import { formatHex } from '../wire/hex.js';
import type { CloseEvent, ConnectEvent, ControlShape, DataShape, ErrorEvent, EventBase, FaultsEvent, ListeningEvent, RequestEvent, RetryEvent, SendShape, SummaryEvent, TargetEvent } from '../wire/events.js';

export type * from '../wire/events.js';

/** One message arrived, its bytes in `payload`. */
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
  const out: Record<string, unknown> = { event: e.event, ts: isoTime(e.ts), session: e.session };
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

/** Where an NDJSON line is written piece by piece: text, and payload bytes as hex without an intermediate string. */
export interface JsonSink {
  write(text: string): void;
  hex(bytes: Uint8Array): void;
}

/** Base64 is written in slices of this many bytes (a multiple of 3), so no slice's text is a large string. */
const BASE64_SLICE = 48 * 1024;

/**
 * One event as an NDJSON line into a sink: the same text as `JSON.stringify(toJsonEvent(e, payload))`,
 * but messages, the bulk of a busy log, are written straight in their fixed field order instead of
 * through a generic object, and their payload goes to the sink as bytes (a 64 KiB payload's hex
 * would be a string large enough to be slow to make).
 */
export function writeJsonLine(e: SessionEvent, payload: PayloadForm, sink: JsonSink): void {
  if (e.event !== 'data' && e.event !== 'send') {
    sink.write(JSON.stringify(toJsonEvent(e, payload)));
    return;
  }
  let s = `{"event":"${e.event}","ts":"${isoTime(e.ts)}","session":${jsonName(e.session)},"peer":${jsonPeer(e.peer)},"id":${e.id}`;
  if (e.event === 'data') s += `,"n":${e.n}`;
  s += `,"bytes":${e.bytes}`;
  if (payload === 'hex') {
    sink.write(s + ',"hex":"');
    sink.hex(e.payload);
    s = '"';
  } else if (payload === 'base64') {
    const p = e.payload;
    if (p.length <= BASE64_SLICE) s += `,"base64":"${p.toString('base64')}"`;
    else {
      sink.write(s + ',"base64":"');
      for (let i = 0; i < p.length; i += BASE64_SLICE) sink.write(p.subarray(i, i + BASE64_SLICE).toString('base64'));
      s = '"';
    }
  }
  if (e.text !== undefined) s += `,"text":${JSON.stringify(e.text)}`;
  if (e.opcode !== undefined) s += `,"opcode":"${e.opcode}"`;
  if (e.event === 'data') {
    if (e.direction !== undefined) s += `,"direction":"${e.direction}"`;
  } else if (e.fin !== undefined) s += `,"fin":${e.fin}`;
  sink.write(s + '}');
}

/** One event as an NDJSON line (without its line break), as a string. */
export function toJsonLine(e: SessionEvent, payload: PayloadForm = 'hex'): string {
  let line = '';
  writeJsonLine(e, payload, {
    write: (text) => (line += text),
    hex: (bytes) => (line += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')),
  });
  return line;
}

const peersJson = new Map<string, string>();

/** A peer's address as JSON, kept per peer: a busy log names the same few peers again and again. */
function jsonPeer(peer: string): string {
  let json = peersJson.get(peer);
  if (json === undefined) {
    // bounded: a long run meets many peers
    if (peersJson.size >= 4096) peersJson.clear();
    peersJson.set(peer, (json = JSON.stringify(peer)));
  }
  return json;
}

let lastName = '';
let lastNameJson = '""';

/** A session's name as JSON; events come many to a session, so the last one is kept. */
function jsonName(name: string): string {
  if (name !== lastName) {
    lastName = name;
    lastNameJson = JSON.stringify(name);
  }
  return lastNameJson;
}

let lastTs = NaN;
let lastIso = '';

/** ISO time of a timestamp; events come many to a millisecond, so the last one is kept. */
function isoTime(ts: number): string {
  if (ts !== lastTs) {
    lastTs = ts;
    lastIso = new Date(ts).toISOString();
  }
  return lastIso;
}
