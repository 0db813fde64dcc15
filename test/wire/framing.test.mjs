import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { createFrameDecoder, encodeFrame, parseFrame, FrameTooLargeError } from '../../dist/index.js';

const feed = (decoder, chunks) => chunks.flatMap((c) => decoder.push(Buffer.from(c))).map((b) => b.toString());

test('raw: one read is one message', () => {
  assert.deepEqual(feed(createFrameDecoder(parseFrame('raw')), ['ab', 'c']), ['ab', 'c']);
});

test('line: LF and CRLF, split anywhere', () => {
  const d = createFrameDecoder(parseFrame('line'));
  assert.deepEqual(feed(d, ['one\r', '\ntw', 'o\nthr', 'ee']), ['one', 'two']);
  assert.equal(d.flush().toString(), 'three');
  assert.equal(d.flush(), undefined);
});

test('a multi-byte delimiter straddling chunks', () => {
  const d = createFrameDecoder(parseFrame('\\r\\n\\r\\n'));
  assert.deepEqual(feed(d, ['head1\r\n', '\r', '\nhead2\r\n\r\n']), ['head1', 'head2']);
  assert.deepEqual(feed(createFrameDecoder(parseFrame('||')), ['a|', '|b||c|', '|']), ['a', 'b', 'c']);
});

test('len16 and len32 round trip, split across chunks', () => {
  for (const kind of ['len16', 'len32']) {
    const spec = parseFrame(kind);
    const wire = Buffer.concat([encodeFrame(spec, Buffer.from('hello')), encodeFrame(spec, Buffer.alloc(0)), encodeFrame(spec, Buffer.from('世界'))]);
    const d = createFrameDecoder(spec);
    const out = [];
    for (const b of wire) out.push(...d.push(Buffer.from([b])));
    assert.deepEqual(out.map(String), ['hello', '', '世界'], kind);
  }
});

test('an announced length over the limit is refused before it is buffered', () => {
  const d = createFrameDecoder(parseFrame('len32'), 1024);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(0xfffffff0);
  assert.throws(() => d.push(head), (e) => e instanceof FrameTooLargeError && /4294967280 bytes/.test(e.message));
});

test('a line longer than the limit is refused', () => {
  const d = createFrameDecoder(parseFrame('line'), 10);
  d.push(Buffer.from('12345'));
  assert.throws(() => d.push(Buffer.from('678901')), FrameTooLargeError);
});

test('encodeFrame terminates typed lines for line and delimiter framing', () => {
  assert.equal(encodeFrame(parseFrame('line'), Buffer.from('hi'), true).toString(), 'hi\n');
  assert.equal(encodeFrame(parseFrame('line'), Buffer.from('hi')).toString(), 'hi');
  assert.equal(encodeFrame(parseFrame(';'), Buffer.from('hi'), true).toString(), 'hi;');
  assert.throws(() => encodeFrame(parseFrame('len16'), Buffer.alloc(70000)), /at most 65535/);
});
