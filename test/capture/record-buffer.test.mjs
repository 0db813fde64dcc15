// Capture records written as bytes give the same lines as JSON.stringify, for every payload length and across chunks.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RECORD_CHUNK, RecordBuffer, writeBase64 } from '../../dist/capture/record-buffer.js';

function collect() {
  const parts = [];
  const records = new RecordBuffer((bytes, written) => {
    parts.push(Buffer.from(bytes));
    written();
  });
  return { records, text: () => (records.flush(), Buffer.concat(parts).toString('utf8')) };
}

const line = (us, conn, dir, payload, opcode) => `${JSON.stringify({ us, event: 'data', conn, dir, b64: payload.toString('base64'), ...(opcode ? { opcode } : {}) })}\n`;

test('base64 of every length up to 100 bytes, both paddings, as Node writes it', () => {
  for (let n = 0; n <= 100; n++) {
    const src = randomBytes(n);
    const out = Buffer.alloc(Math.ceil(n / 3) * 4);
    assert.equal(writeBase64(src, out, 0), out.length);
    assert.equal(out.toString('latin1'), src.toString('base64'), `${n} bytes`);
  }
});

test('data records of short, long and sliced payloads, an opcode, and text records, crossing many chunks', () => {
  const { records, text } = collect();
  let expected = '';
  const us = 1796285126887608;
  for (let i = 0; i < 4000; i++) {
    // mostly short messages, with lengths that take the byte-by-byte path, Node's, and several slices
    const n = i % 500 === 0 ? 100_000 + i : i % 97 === 0 ? 1025 + i : i % 70;
    const payload = randomBytes(n);
    const dir = i % 2 ? 'out' : 'in';
    const opcode = i % 11 === 0 ? 'binary' : undefined;
    records.data(us + i, 1 + (i % 13), dir, payload, opcode);
    expected += line(us + i, 1 + (i % 13), dir, payload, opcode);
    if (i % 400 === 0) {
      const other = `${JSON.stringify({ us: us + i, event: 'close', conn: 3, reason: 'peer said "bye" ☃' })}\n`;
      records.line(other);
      expected += other;
    }
  }
  assert.ok(expected.length > 4 * RECORD_CHUNK, 'many chunks');
  assert.equal(text(), expected);
});
