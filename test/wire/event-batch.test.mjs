// The binary event batch: what the bridge writes, the page reads back field for field.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { decodeEventBatch, encodeEventBatch, encodeEventBatchParts } from '../../dist/wire/event-batch.js';

const bytes = (...b) => Uint8Array.from(b);

test('messages, their flags and other events come back as written, in order', () => {
  const messages = [
    { event: 'data', ts: 1764633600123, session: 's1', id: 7, peer: '127.0.0.1:50123', n: 3, bytes: 5, raw: bytes(0x68, 0x65, 0x6c, 0x6c, 0x6f) },
    { event: 'send', ts: 1764633600124, session: 's1', id: 7, peer: '127.0.0.1:50123', bytes: 3, raw: bytes(1, 2, 3), hex: true },
    { event: 'send', ts: 1764633600125, session: 's2', id: 4294967295, peer: '[::1]:443', bytes: 2, raw: bytes(0xe4, 0xbd), opcode: 'text', fin: false },
    { event: 'data', ts: 1764633600126, session: 's3', id: 1, peer: 'client → 你好', n: 2 ** 40, bytes: 1e12, raw: bytes(0xff), truncated: true, text: 'ÿ', direction: 'down', opcode: 'binary' },
    { event: 'data', ts: 1, session: 's1', id: 2, peer: '127.0.0.1:50124', n: 1, bytes: 0, raw: bytes(), direction: 'up' },
  ];
  const other = [
    { event: 'connect', ts: 5, session: 's1', id: 8, peer: '127.0.0.1:50125', local: '127.0.0.1:9000' },
    { event: 'dropped', ts: 6, session: 's1', count: 12 },
  ];
  const records = [{ message: messages[0] }, { json: JSON.stringify(other[0]) }, ...messages.slice(1).map((message) => ({ message })), { json: JSON.stringify(other[1]) }];
  const batch = decodeEventBatch(encodeEventBatch(42, 99, records));
  assert.equal(batch.seq, 42);
  assert.equal(batch.dropped, 99);
  assert.equal(batch.events.length, 7);
  const back = batch.events.map((e) => ('raw' in e ? { ...e, raw: [...e.raw] } : e));
  const want = [messages[0], other[0], ...messages.slice(1), other[1]].map((e) => ('raw' in e ? { ...e, raw: [...e.raw] } : e));
  assert.deepEqual(back, want);
});

test('each session name and peer is written once per batch, however many messages name it', () => {
  const message = (i) => ({ message: { event: 'data', ts: i, session: 'a-long-session-name', id: 1, peer: '127.0.0.1:50000', n: i, bytes: 1, raw: bytes(i) } });
  const one = encodeEventBatch(1, 0, [message(1)]);
  const many = encodeEventBatch(1, 0, Array.from({ length: 100 }, (_, i) => message(i)));
  // a message after the first costs its fixed head and its byte, not the strings again
  assert.equal((many.length - one.length) / 99, 40);
});

test('a long message goes whole, and bytes that are not a batch are refused', () => {
  const raw = new Uint8Array(300 * 1024).map((_, i) => (i * 31) & 0xff);
  const batch = decodeEventBatch(encodeEventBatch(1, 0, [{ message: { event: 'data', ts: 1, session: 's', id: 1, peer: 'p', n: 1, bytes: raw.length, raw } }]));
  assert.deepEqual(batch.events[0].raw, raw);
  assert.throws(() => decodeEventBatch(bytes(1, 2, 3)), /not an event batch/);
  const cut = encodeEventBatch(1, 0, [{ json: '{"event":"x"}' }, { json: '{"event":"y"}' }]);
  assert.throws(() => decodeEventBatch(cut.subarray(0, cut.length - 16)), /cut short|JSON|Unexpected/);
});

test('as parts, long messages are their own memory and the parts joined are the batch', () => {
  const long = (n, fill) => new Uint8Array(n).fill(fill);
  const records = [
    { json: '{"event":"connect","id":1}' },
    { message: { event: 'data', ts: 1, session: 's', id: 1, peer: 'p', n: 1, bytes: 20000, raw: long(20000, 1), text: 'x'.repeat(10) } },
    { message: { event: 'send', ts: 2, session: 's', id: 1, peer: 'p', bytes: 3, raw: bytes(1, 2, 3) } },
    { message: { event: 'send', ts: 3, session: 's', id: 1, peer: 'p', bytes: 8192, raw: long(8192, 2) } },
    { message: { event: 'data', ts: 4, session: 's', id: 1, peer: 'p', n: 2, bytes: 8191, raw: long(8191, 3) } },
  ];
  const parts = encodeEventBatchParts(7, 0, records);
  // head, the 20000 bytes, text + small send + head, the 8192 bytes, the rest with the 8191 bytes copied
  assert.equal(parts.length, 5);
  assert.equal(parts[1], records[1].message.raw, 'the long bytes are not copied');
  assert.equal(parts[3], records[3].message.raw);
  const joined = Buffer.concat(parts);
  assert.deepEqual(new Uint8Array(joined), encodeEventBatch(7, 0, records));
  const back = decodeEventBatch(new Uint8Array(joined));
  assert.deepEqual(back.events.map((e) => e.bytes ?? e.event), ['connect', 20000, 3, 8192, 8191]);
  assert.equal(back.events[1].text, 'x'.repeat(10));
  // a batch of long messages alone ends with its last message's bytes
  const alone = encodeEventBatchParts(8, 0, [records[3]]);
  assert.equal(alone.length, 2);
  assert.equal(decodeEventBatch(new Uint8Array(Buffer.concat(alone))).events[0].raw.length, 8192);
  assert.equal(encodeEventBatchParts(9, 0, []).length, 1);
});
