// A page that takes event batches as binary messages, as the browser page does: the bytes themselves,
// text only where the page cannot decode them alone, and the same events as a JSON page sees.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { uiServer, openPage, tcpClient as client } from './helpers.mjs';
import { waitFor, sleep } from '../helpers/index.mjs';

async function tcpServer(page, spec = {}) {
  const r = await page.request({ type: 'create', spec: { kind: 'tcp-server', host: '127.0.0.1', port: 0, encoding: 'utf8', frame: 'raw', ...spec } });
  assert.equal(r.ok, true, JSON.stringify(r));
  return r.session;
}

/** The page's events of one kind (data by default) of a session, once there are `count` of them. */
const dataOf = (page, session, count, kind = 'data') =>
  waitFor(() => {
    const all = page.events.filter((e) => e.event === kind && e.session === session);
    return all.length >= count ? all : undefined;
  }, { what: `${count} ${kind} events of ${session} at the page`, detail: () => JSON.stringify(page.events.slice(-3)) });

test('UTF-8 and GBK messages arrive as their bytes, without text the page can decode itself, and sends too', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui, { binary: true });
  const utf8 = await tcpServer(page, { echo: true });
  const gbk = await tcpServer(page, { encoding: 'gbk', frame: 'line' });
  const a = await client(t, utf8.port);
  a.write('héllo "world"\n');
  const b = await client(t, gbk.port);
  b.write(Buffer.from('c4e3bac30a', 'hex')); // 你好 in GBK, a line
  const [da] = await dataOf(page, utf8.id, 1);
  assert.deepEqual(Buffer.from(da.raw), Buffer.from('héllo "world"\n'));
  assert.equal(da.text, undefined, 'valid UTF-8: the page decodes it');
  assert.equal(da.bytes, 15);
  assert.equal(da.n, 1);
  assert.match(da.peer, /^127\.0\.0\.1:\d+$/);
  const [db] = await dataOf(page, gbk.id, 1);
  assert.deepEqual(Buffer.from(db.raw), Buffer.from('c4e3bac3', 'hex'));
  assert.equal(db.text, undefined, 'GBK: the browser decodes it');
  assert.equal(new TextDecoder('gbk').decode(db.raw), '你好');
  const send = await waitFor(() => page.events.find((e) => e.event === 'send' && e.session === utf8.id), { what: 'the echo as a send event' });
  assert.deepEqual(Buffer.from(send.raw), Buffer.from('héllo "world"\n'));
  assert.equal(send.n, undefined);
  assert.ok(page.binaryBatches > 0, 'the events came in binary batches');
  assert.equal(page.messages.filter((m) => m.type === 'events').length, page.binaryBatches, 'every batch was binary');
});

test('a character split between two reads of a raw stream comes with the text the server decoded across them', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui, { binary: true });
  const utf8 = await tcpServer(page);
  const gbk = await tcpServer(page, { encoding: 'gbk' });
  const a = await client(t, utf8.port);
  const b = await client(t, gbk.port);
  const euro = Buffer.from('a€b'); // 61 e2 82 ac 62
  const nihao = Buffer.from('c4e3bac3', 'hex');
  a.write(euro.subarray(0, 2));
  b.write(nihao.subarray(0, 3));
  await dataOf(page, utf8.id, 1);
  await dataOf(page, gbk.id, 1);
  await sleep(50);
  a.write(euro.subarray(2));
  b.write(nihao.subarray(3));
  const [u1, u2] = await dataOf(page, utf8.id, 2);
  assert.deepEqual([u1.text, u2.text], ['a', '€b'], 'each read with the text the server joined');
  assert.deepEqual(Buffer.concat([u1.raw, u2.raw]), euro, 'and the bytes exactly as they came');
  const [g1, g2] = await dataOf(page, gbk.id, 2);
  assert.deepEqual([g1.text, g2.text], ['你', '好']);
  assert.deepEqual(Buffer.concat([g1.raw, g2.raw]), nihao);
});

test('an encoding browsers lack (CP437) comes with the server\'s text; a message over the payload limit comes cut, marked truncated', async (t) => {
  const ui = await uiServer(t, { bridge: { maxPayloadBytes: 1024 } });
  const page = await openPage(t, ui, { binary: true });
  const cp437 = await tcpServer(page, { encoding: 'cp437', frame: 'line' });
  const c = await client(t, cp437.port);
  c.write(Buffer.from([0x82, 0x0a])); // é in CP437
  c.write(Buffer.concat([Buffer.alloc(5000, 0x41), Buffer.from([0x0a])]));
  const [small, big] = await dataOf(page, cp437.id, 2);
  assert.equal(small.text, 'é');
  assert.deepEqual(Buffer.from(small.raw), Buffer.from([0x82]));
  assert.equal(big.bytes, 5000);
  assert.equal(big.raw.length, 1024);
  assert.equal(big.truncated, true);
  assert.equal(big.text, 'A'.repeat(1024));
});

test('a JSON page and a binary page on one bridge see the same events', async (t) => {
  const ui = await uiServer(t);
  const json = await openPage(t, ui);
  const binary = await openPage(t, ui, { binary: true });
  const s = await tcpServer(json, { echo: true, frame: 'line' });
  const c = await client(t, s.port);
  for (let i = 0; i < 200; i++) c.write(`line ${i}\n`);
  const count = (page) => page.events.filter((e) => (e.event === 'data' || e.event === 'send') && e.session === s.id).length;
  await waitFor(() => count(json) === 400 && count(binary) === 400, { what: '200 lines and their echoes at both pages', detail: () => `json ${count(json)}, binary ${count(binary)}` });
  const texts = (page) => page.events.filter((e) => e.event === 'data' && e.session === s.id).map((e) => e.text ?? new TextDecoder().decode(e.raw));
  assert.deepEqual(texts(binary), texts(json));
  assert.equal(binary.binaryBatches > 0 && json.binaryBatches === 0, true);
});

test('long messages travel as fragments of one batch, uncopied, and arrive whole between short ones', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui, { binary: true });
  const echo = await tcpServer(page, { echo: true });
  const a = await client(t, echo.port);
  const long = Buffer.alloc(40 * 1024).map((_, i) => (i * 131 + 7) & 0xff);
  let back = 0;
  a.on('data', (b) => (back += b.length));
  // each written once the one before has come back, so each is one read and one message
  for (const chunk of [Buffer.from('short one'), long, Buffer.from('short two')]) {
    const want = back + chunk.length;
    a.write(chunk);
    await waitFor(() => back >= want, { what: `the echo of ${chunk.length} bytes` });
  }
  const data = await dataOf(page, echo.id, 3);
  assert.deepEqual(data.map((e) => e.bytes), [9, long.length, 9]);
  assert.deepEqual(Buffer.from(data[1].raw), long);
  assert.equal(Buffer.from(data[2].raw).toString(), 'short two');
  const sends = await dataOf(page, echo.id, 3, 'send');
  assert.deepEqual(Buffer.from(sends[1].raw), long);
});

test('a busy session\'s full batch goes at once, not after the gathering interval', async (t) => {
  // an interval far longer than the wait below: only a full batch can arrive in time
  const ui = await uiServer(t, { bridge: { flushMs: 60_000 } });
  const page = await openPage(t, ui, { binary: true });
  const s = await tcpServer(page, { frame: 'line', echo: true });
  const c = await client(t, s.port);
  // 1,500 lines in one write: 3,000 events (each line and its echo) in about one turn
  c.write(Array.from({ length: 1500 }, (_, i) => `line ${i}\n`).join(''));
  const batch = await page.waitFor((m) => m.type === 'events' && m.events.length > 0, 10_000);
  assert.equal(batch.events.length, 1000, 'a full batch');
  const first = batch.events.find((e) => e.event === 'data');
  assert.equal(Buffer.from(first.raw).toString(), 'line 0');
});
