// How a session's events reach pages: the JSON form (payloads in base64, sent bytes decoded) and
// the binary batches' records (the bytes themselves; text only where the page cannot decode it).
import { isUtf8 } from 'node:buffer';
import { decodeText } from '../wire/codec.js';
import { canonicalEncoding, pageDecodes } from '../wire/encoding-name.js';
import type { BatchRecord } from '../wire/event-batch.js';
import type { DataEvent, SendEvent, SessionEvent } from '../net/session.js';
import type { HexTagged } from './session-hub.js';
import type { WireDropped, WireEvent } from './protocol.js';

/** An event waiting for a page: the core event and what its session says about reading it. */
export interface QueuedEvent {
  session: string;
  e: SessionEvent;
  encoding: string;
  /** The session reads a byte stream as it comes (raw framing on TCP): a character may be split between two reads. */
  streamed: boolean;
}

/** How pages read an encoding: whether they decode it themselves, and whether it is UTF-8 (asked once per encoding). */
interface Reading {
  page: boolean;
  utf8: boolean;
}

const readings = new Map<string, Reading>();

function readingOf(encoding: string): Reading {
  let r = readings.get(encoding);
  if (r === undefined) readings.set(encoding, (r = { page: pageDecodes(encoding), utf8: canonicalEncoding(encoding) === 'utf8' }));
  return r;
}

/** The bytes of a message pages are sent: all of them, or the first `maxPayloadBytes` (a kept event may already hold fewer than the message had). */
function shownPayload(e: DataEvent | SendEvent, maxPayloadBytes: number): { shown: Buffer; truncated: boolean } {
  const truncated = isTruncated(e, maxPayloadBytes);
  return { shown: truncated ? e.payload.subarray(0, maxPayloadBytes) : e.payload, truncated };
}

/** Whether pages get only the first `maxPayloadBytes` of a message (or a kept event already holds fewer than it had). */
function isTruncated(e: DataEvent | SendEvent, maxPayloadBytes: number): boolean {
  return e.payload.length > maxPayloadBytes || e.bytes > e.payload.length;
}

/** About how many bytes an event takes in a binary batch (for the queue's bounds). */
export function batchSize(e: SessionEvent, encoding: string, maxPayloadBytes: number): number {
  if (e.event !== 'data' && e.event !== 'send') return 200;
  const shown = Math.min(e.bytes, maxPayloadBytes);
  // the bytes always travel; their text too where the page cannot decode them
  return 64 + e.peer.length + shown + (readingOf(encoding).page ? 0 : shown * 2);
}

/** A queued event as a record of a binary batch. */
export function toBatchRecord(q: QueuedEvent | WireDropped, maxPayloadBytes: number): BatchRecord {
  if (!('e' in q)) return { json: JSON.stringify(q) };
  const { e, encoding } = q;
  if (e.event !== 'data' && e.event !== 'send') return { json: JSON.stringify(toWireEvent(q.session, e, encoding, maxPayloadBytes)) };
  // as shownPayload, without an object for the pair: many are made a second
  const truncated = isTruncated(e, maxPayloadBytes);
  const raw = truncated ? e.payload.subarray(0, maxPayloadBytes) : e.payload;
  const reading = readingOf(encoding);
  let text: string | undefined;
  if (!reading.page) {
    text = e.text !== undefined && (!truncated || e.text.length <= maxPayloadBytes) ? e.text : decodeText(raw, encoding);
  } else if (e.event === 'data' && e.text !== undefined && !truncated) {
    // what a read decoded with a character held from the read before (or held for the next) differs
    // from the bytes decoded alone, as the page would: that text goes with them
    if (reading.utf8 ? !isUtf8(raw) : q.streamed) text = e.text;
  }
  // one object of one shape for every message (fields left undefined rather than left out): many are made a second
  const data = e.event === 'data';
  return {
    message: {
      event: e.event, ts: e.ts, session: q.session, id: e.id, peer: e.peer, n: data ? e.n : undefined, bytes: e.bytes, raw,
      truncated: truncated || undefined, text, opcode: e.opcode,
      direction: data ? e.direction : undefined, fin: !data && e.fin === false ? false : undefined, hex: !data && (e as HexTagged).hex ? true : undefined,
    },
  };
}

/** A core event in its wire form: payloads as base64 (cut to `maxPayloadBytes`), sent bytes decoded too. */
export function toWireEvent(session: string, e: SessionEvent, encoding: string, maxPayloadBytes: number): WireEvent {
  const ts = e.ts;
  switch (e.event) {
    case 'data':
    case 'send': {
      const { shown, truncated } = shownPayload(e, maxPayloadBytes);
      let text = e.text;
      if (text === undefined || (truncated && text.length > maxPayloadBytes)) text = decodeText(shown, encoding);
      // UTF-8 text that encodes back to exactly these bytes carries them already
      const implied = !truncated && readingOf(encoding).utf8 && Buffer.byteLength(text) === shown.length && Buffer.from(text, 'utf8').equals(shown);
      const base = {
        ts, session, id: e.id, peer: e.peer, bytes: e.bytes, ...(implied ? {} : { data: shown.toString('base64') }), text,
        ...(truncated ? { truncated: true } : {}), ...(e.opcode ? { opcode: e.opcode } : {}),
      };
      if (e.event === 'send') return { event: 'send', ...base, ...(e.fin === false ? { fin: false } : {}), ...((e as HexTagged).hex ? { hex: true } : {}) };
      return { event: 'data', n: e.n, ...base, ...(e.direction ? { direction: e.direction } : {}) };
    }
    case 'listening':
      return { event: 'listening', ts, session, protocol: e.protocol, address: e.address, port: e.port, addresses: e.addresses };
    case 'connect':
      return {
        event: 'connect', ts, session, id: e.id, peer: e.peer, local: e.local, ...(e.handshake ? { handshake: e.handshake } : {}), ...(e.tls ? { tls: e.tls } : {}),
      };
    case 'target':
      return { event: 'target', ts, session, id: e.id, peer: e.peer, target: e.target, local: e.local, connectMs: e.connectMs, ...(e.tls ? { tls: e.tls } : {}) };
    case 'close':
      return {
        event: 'close', ts, session, id: e.id, peer: e.peer, reason: e.reason, bytesIn: e.bytesIn, bytesOut: e.bytesOut,
        ...(e.closeFrame ? { closeFrame: e.closeFrame } : {}), ...(e.closedBy ? { closedBy: e.closedBy, how: e.how } : {}),
      };
    case 'faults':
      return { event: 'faults', ts, session, up: e.up, down: e.down, refuse: e.refuse };
    case 'control':
      return { event: 'control', ts, session, opcode: e.opcode, direction: e.direction, id: e.id, peer: e.peer, bytes: e.bytes, data: e.payload.toString('base64'), ...(e.rttMs === undefined ? {} : { rttMs: e.rttMs }), ...(e.way ? { way: e.way } : {}) };
    case 'retry':
      return { event: 'retry', ts, session, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason };
    case 'error': {
      const out: WireEvent = { event: 'error', ts, session, code: e.code, message: e.message };
      if (e.hint) out.hint = e.hint;
      if (e.peer !== undefined) out.peer = e.peer;
      if (e.id !== undefined) out.id = e.id;
      return out;
    }
    case 'summary':
      return { event: 'summary', ts, session, connections: e.connections, bytesIn: e.bytesIn, bytesOut: e.bytesOut, messagesIn: e.messagesIn, messagesOut: e.messagesOut, durationMs: e.durationMs };
    case 'request':
      return { event: 'request', ts, session, method: e.method, url: e.url, status: e.status, bytes: e.bytes, ms: e.ms, peer: e.peer, ...(e.note ? { note: e.note } : {}) };
  }
}
