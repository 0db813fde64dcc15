// The NDJSON writer's fast path for messages gives the same line as the generic one, for events from real sessions.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { listenTcp, connectTcp, listenWs, connectWs, startProxy, toJsonEvent, toJsonLine, encodeText } from '../../dist/index.js';
import { waitFor } from '../helpers/index.mjs';

/** Every form of a payload a face can ask for. */
const FORMS = ['hex', 'base64', 'none'];

function assertSameLines(events) {
  for (const e of events) {
    for (const form of FORMS) {
      assert.equal(toJsonLine(e, form), JSON.stringify(toJsonEvent(e, form)), `${e.event} event with --payload ${form}`);
    }
  }
}

test('TCP: messages with quotes, control characters, GBK text and bytes that are not text write the same line as the generic writer', async (t) => {
  const events = [];
  const server = await listenTcp({ port: 0, host: '127.0.0.1', echo: true, frame: { kind: 'line' }, encoding: 'gbk', name: 'a "quoted" name\n' }, (e) => events.push(e));
  t.after(() => server.close(100));
  const client = await connectTcp({ host: '127.0.0.1', port: server.port, frame: { kind: 'line' }, encoding: 'gbk' }, (e) => events.push(e));
  t.after(() => client.close());
  const lines = [encodeText('你好 "world" \\ back\tslash\u0001\n', 'gbk'), Buffer.from([0xff, 0x00, 0x81, 0x0a]), Buffer.from('\n')];
  for (const l of lines) await client.send(l);
  await waitFor(() => events.filter((e) => e.event === 'data' && e.session === client.name).length >= lines.length || undefined, { what: 'the echoes of every line' });
  const messages = events.filter((e) => e.event === 'data' || e.event === 'send');
  assert.ok(messages.length >= 4 * lines.length, `data and send events on both sides, got ${messages.length}`);
  assert.ok(messages.some((e) => e.text?.includes('你好')), 'GBK text decoded');
  assertSameLines(events);
});

test('WebSocket: text and binary frames write the same line as the generic writer', async (t) => {
  const events = [];
  const server = await listenWs({ port: 0, host: '127.0.0.1', echo: true }, (e) => events.push(e));
  t.after(() => server.close(100));
  const client = await connectWs({ url: `ws://127.0.0.1:${server.port}/` }, (e) => events.push(e));
  t.after(() => client.close());
  await client.send(Buffer.from('plain text'));
  await client.send(Buffer.from([1, 2, 3, 0xfe]), { binary: true });
  await waitFor(() => events.filter((e) => e.event === 'data' && e.session === client.name).length >= 2 || undefined, { what: 'the echoes of both frames' });
  assert.ok(events.some((e) => e.event === 'data' && e.opcode === 'binary'), 'a binary frame arrived');
  assertSameLines(events);
});

test('a relay: messages both ways carry their direction and write the same line as the generic writer', async (t) => {
  const events = [];
  const target = await listenTcp({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => target.close(100));
  const proxy = await startProxy({ port: 0, host: '127.0.0.1', targetHost: '127.0.0.1', targetPort: target.port }, (e) => events.push(e));
  t.after(() => proxy.close(100));
  const client = await connectTcp({ host: '127.0.0.1', port: proxy.port });
  t.after(() => client.close());
  await client.send(Buffer.from('through the relay'));
  await waitFor(() => events.some((e) => e.event === 'data' && e.direction === 'down') || undefined, { what: 'the echo back through the relay' });
  assert.ok(events.some((e) => e.event === 'data' && e.direction === 'up'), 'the message up was shown');
  assertSameLines(events);
});

test('a session that leaves out the text of UTF-8 messages: the line spells it from the bytes, the same line as for the message decoded', async (t) => {
  const events = [];
  const server = await listenTcp({ port: 0, host: '127.0.0.1', echo: true, decode: 'unless-utf8' }, (e) => events.push(e));
  t.after(() => server.close(100));
  const client = await connectTcp({ host: '127.0.0.1', port: server.port }, () => {});
  t.after(() => client.close());
  // plain ASCII, text JSON escapes, characters past ASCII, and bytes that are not UTF-8 (decoded, so they keep their text)
  // and long ones: plain, and plain but for one byte JSON escapes near the end
  const long = Buffer.alloc(5000, 'y');
  const longQuoted = Buffer.alloc(5000, 'y');
  longQuoted[4990] = 0x22;
  const messages = [Buffer.from('plain'), Buffer.from('"quoted" \\ tab\t\u0001 line\n'), Buffer.from('héllo 你好 🙂'), long, longQuoted, Buffer.from([0x61, 0xff, 0x62])];
  for (const m of messages) {
    await client.send(m);
    await waitFor(() => events.filter((e) => e.event === 'data').length >= messages.indexOf(m) + 1 || undefined, { what: `the server read message ${messages.indexOf(m) + 1}` });
  }
  const data = events.filter((e) => e.event === 'data');
  assert.equal(data.length, messages.length);
  assert.deepEqual(data.map((e) => e.text === undefined), [true, true, true, true, true, false], 'only the bytes that are not UTF-8 come with their text');
  for (const e of data) {
    const decoded = { ...e, text: e.text ?? e.payload.toString('utf8') };
    for (const form of FORMS) assert.equal(toJsonLine(e, form, true), JSON.stringify(toJsonEvent(decoded, form)), `${JSON.stringify(decoded.text)} with --payload ${form}`);
  }
  // without the flag, such a line has no text
  assert.doesNotMatch(toJsonLine(data[0], 'hex'), /"text"/);
});
