// A message's log line written from kept parts and its own bytes reads exactly as one made from its text, and the NDJSON writer's bytes are the generic line's.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { LineWriter, createEventRenderer, clock, escapeControl } from '../../dist/cli/output.js';
import { toJsonEvent, encodeText, decodeText } from '../../dist/index.js';

/** Renders events through a LineWriter and returns what it wrote. */
function render(events, options) {
  const out = new PassThrough();
  const chunks = [];
  out.on('data', (b) => chunks.push(b));
  const writer = new LineWriter(out);
  const show = createEventRenderer(writer, options);
  for (const e of events) show(e);
  writer.flush();
  return Buffer.concat(chunks).toString('utf8');
}

const ts = Date.UTC(2026, 0, 2, 3, 4, 5, 67);
const base = { ts, session: 'tcp-server', peer: '127.0.0.1:40000', id: 7 };
const data = (payload, text, more = {}) => ({ ...base, event: 'data', n: 1, bytes: payload.length, payload, text, ...more });
const send = (payload, more = {}) => ({ ...base, event: 'send', bytes: payload.length, payload, ...more });

test('plain ASCII messages both ways, coloured or not, with or without ids, read as text lines', () => {
  const p = Buffer.from('GET / "quoted" \\ back ~ and {braces}');
  const events = [data(p, p.toString('latin1')), send(p), data(p, p.toString('latin1'), { direction: 'up' }), data(p, p.toString('latin1'), { direction: 'down' })];
  const expected = (dim, inC, outC, who) =>
    [`${inC('←')}`, `${outC('→')}`, `${inC('→')}`, `${outC('←')}`].map((arrow) => `${dim(clock(ts))} ${who} ${arrow} ${dim(`${p.length} B`)} ${p}`).join('\n') + '\n';
  const plain = (s) => s;
  const wrap = (open, close) => (s) => `\x1b[${open}m${s}\x1b[${close}m`;
  assert.equal(render(events, { json: false, hex: false, color: false }), expected(plain, plain, plain, `#7 ${base.peer}`));
  assert.equal(render(events, { json: false, hex: false, color: true }), expected(wrap(2, 22), wrap(32, 39), wrap(36, 39), `#7 ${base.peer}`));
  assert.equal(render(events, { json: false, hex: false, color: false, showIds: false }), expected(plain, plain, plain, base.peer));
  // a long message takes the general path, to the same line
  const long = Buffer.alloc(3000, 'x');
  assert.equal(render([data(long, long.toString('latin1')), send(long)], { json: false, hex: false, color: false }), [`←`, `→`].map((a) => `${clock(ts)} #7 ${base.peer} ${a} 3000 B ${long}\n`).join(''));
});

test('text that is not its own printable ASCII keeps the escaped, decoded or dumped line', () => {
  const control = Buffer.from('line\r\nwith\ttabs\x1b[2J');
  const out = render([data(control, control.toString('latin1')), send(control)], { json: false, hex: false, color: false });
  for (const line of [`← ${control.length} B ${escapeControl(control.toString('latin1'))}`, `→ ${control.length} B ${escapeControl(control.toString('latin1'))}`]) {
    assert.ok(out.includes(line), `escaped: ${JSON.stringify(line)} in ${JSON.stringify(out)}`);
  }
  // a read whose text began with a character held from the read before: the text, not the bytes, is shown
  const held = data(Buffer.from('bc'), '€bc');
  assert.match(render([held], { json: false, hex: false, color: false }), /← 2 B €bc\n$/);
  // in UTF-16 the same ASCII bytes are other characters: a sent message is decoded, not copied
  const ascii = Buffer.from('abcd');
  const utf16 = render([send(ascii)], { json: false, hex: false, color: false, encoding: 'utf16le' });
  assert.ok(utf16.includes(decodeText(ascii, 'utf16le')), `UTF-16 text of the bytes: ${JSON.stringify(utf16)}`);
  assert.ok(!utf16.includes('abcd'), 'not the bytes as ASCII');
  // GBK keeps ASCII: a sent ASCII message is the bytes
  assert.match(render([send(ascii)], { json: false, hex: false, color: false, encoding: 'gbk' }), /→ 4 B abcd\n$/);
  // WebSocket frames name their type, and --hex dumps
  assert.match(render([data(ascii, 'abcd', { opcode: 'text' })], { json: false, hex: false, color: false }), /← text 4 B abcd\n$/);
  assert.match(render([data(ascii, 'abcd')], { json: false, hex: true, color: false }), /← 4 B\n {4}00000000: 6162 6364 +abcd\n$/);
  // past --show, the clipped form with its note
  assert.match(render([data(Buffer.from('abcdef'), 'abcdef')], { json: false, hex: false, color: false, showBytes: 4 }), /← 6 B abcd … 2 B more/);
});

test('a closed connection id that comes back with another peer is shown with the new peer', () => {
  const p = Buffer.from('hi');
  const out = render([data(p, 'hi'), { ...base, event: 'close', reason: 'peer closed', bytesIn: 2, bytesOut: 0 }, data(p, 'hi', { peer: '[::1]:5000' }), data(p, 'hi', { peer: '[::1]:6000' })], { json: false, hex: false, color: false });
  const lines = out.trim().split('\n');
  assert.match(lines[0], /#7 127\.0\.0\.1:40000 ← 2 B hi$/);
  assert.match(lines[2], /#7 \[::1\]:5000 ← 2 B hi$/);
  assert.match(lines[3], /#7 \[::1\]:6000 ← 2 B hi$/);
});

test('--json through the CLI writer: the same bytes as the generic line, for every payload form', () => {
  const gbk = encodeText('你好 "q"', 'gbk');
  const events = [
    data(Buffer.from('plain ascii'), 'plain ascii', { n: 4294967296 }),
    data(Buffer.from('with "quotes" and \\'), 'with "quotes" and \\'),
    data(Buffer.from('bc'), '€bc'),
    data(gbk, decodeText(gbk, 'gbk')),
    data(Buffer.from([0, 1, 0xff]), '\u0000\u0001\ufffd', { opcode: 'binary' }),
    send(Buffer.from('sent'), { opcode: 'text', fin: false }),
    send(Buffer.alloc(2100, 0x61)),
    data(Buffer.from('up'), 'up', { direction: 'up', session: 'a "named" relay ☃', peer: '[::1]:9' }),
    { ...base, event: 'close', reason: 'peer closed', bytesIn: 1, bytesOut: 2 },
  ];
  for (const payload of ['hex', 'base64', 'none']) {
    const expected = events.map((e) => JSON.stringify(toJsonEvent(e, payload)) + '\n').join('');
    assert.equal(render(events, { json: true, hex: false, color: false, payload }), expected, `--payload ${payload}`);
  }
});

test('--json through the CLI writer: an echo\'s send repeats its message\'s hex or base64, right across the writer\'s chunks', () => {
  // 3,000 messages and their echoes (one payload object each, as an echo writes what it read), ~1.3 MB of lines
  const events = [];
  for (let i = 0; i < 3000; i++) {
    const payload = Buffer.from(`message ${i} `.padEnd(100 + (i % 37), String.fromCharCode(0x41 + (i % 26))));
    events.push(data(payload, undefined, { n: i + 1 }), send(payload));
  }
  for (const payload of ['hex', 'base64']) {
    const expected = events.map((e) => JSON.stringify(toJsonEvent(e, payload)) + '\n').join('');
    assert.equal(render(events, { json: true, hex: false, color: false, payload }), expected, `--payload ${payload}`);
  }
});

test('--json through the CLI writer: long echoes copy their digits from the chunk before, never from one being filled again', () => {
  // 60 echoes of 8 to 120 KiB: digits start whole in a chunk, and the send line often needs the next one
  const events = [];
  for (let i = 0; i < 60; i++) {
    const payload = randomBytes(8 * 1024 + ((i * 7919) % (112 * 1024)));
    events.push(data(payload, undefined, { n: i + 1 }), send(payload));
  }
  const expected = events.map((e) => JSON.stringify(toJsonEvent(e, 'hex')) + '\n').join('');
  assert.ok(render(events, { json: true, hex: false, color: false, payload: 'hex' }) === expected, 'the same bytes as the generic lines');
});

test('a long message goes out in whole chunks: the line\'s short head is not a write of its own', () => {
  const out = new PassThrough();
  const writes = [];
  out.on('data', (b) => writes.push(b.length));
  const writer = new LineWriter(out);
  const show = createEventRenderer(writer, { json: false, hex: false, color: false });
  const long = Buffer.alloc(600 * 1024, 'y');
  show(data(long, undefined));
  show(send(long));
  writer.flush();
  const total = writes.reduce((a, b) => a + b, 0);
  assert.ok(total > 2 * long.length, `both lines written (${total} bytes)`);
  assert.ok(writes.length > 2 && writes[0] >= 64 * 1024, `written in chunks: ${writes.join(', ')}`);
  assert.ok(writes.slice(0, -1).every((n) => n === writes[0]), `every write but the last is a whole chunk: ${writes.join(', ')}`);
});

test('--json through the CLI writer: digits kept for an echo are not copied once their chunk is being filled again', async () => {
  const out = new PassThrough();
  const chunks = [];
  out.on('data', (b) => chunks.push(Buffer.from(b)));
  const writer = new LineWriter(out);
  const show = createEventRenderer(writer, { json: true, hex: false, color: false, payload: 'hex' });
  const payload = randomBytes(100 * 1024);
  show(data(payload, undefined));
  // the chunk with the digits goes out and comes back; a long line fills the next one, and the
  // chunk after that is the one that held the digits
  writer.flush();
  await new Promise((resolve) => setImmediate(resolve));
  writer.line('z'.repeat(256 * 1024 - 1));
  writer.line('q'.repeat(4096));
  show(send(payload));
  writer.flush();
  await new Promise((resolve) => setImmediate(resolve));
  const lines = Buffer.concat(chunks).toString('utf8').split('\n');
  assert.equal(lines[3], JSON.stringify(toJsonEvent(send(payload), 'hex')), 'the send line has its own bytes\' digits');
});
