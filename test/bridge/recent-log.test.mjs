// The recent past the hub keeps per session for pages that connect later: replayed in order, bounded in events and bytes.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { uiServer, openPage, tcpClient as client } from './helpers.mjs';
import { waitFor } from '../helpers/index.mjs';
import { RecentLog } from '../../dist/bridge/recent-log.js';

async function lineServer(page) {
  const r = await page.request({ type: 'create', spec: { kind: 'tcp-server', host: '127.0.0.1', port: 0, encoding: 'utf8', frame: 'line' } });
  assert.equal(r.ok, true, JSON.stringify(r));
  return r.session;
}

test('a page that connects later gets each session\'s latest events, in order, and how many older ones went', async (t) => {
  const ui = await uiServer(t, { bridge: { hub: { recent: { maxEvents: 100 } } } });
  const first = await openPage(t, ui);
  const info = await lineServer(first);
  const s = await client(t, info.port);
  let text = '';
  for (let i = 0; i < 500; i++) text += `line ${i}\n`;
  s.write(text);
  await waitFor(() => ui.bridge.hub.stats()[info.id]?.counters.messagesIn === 500, { what: '500 messages counted' });
  await waitFor(() => ui.bridge.hub.recent(info.id).length === 100, { what: 'the hub to keep 100 events' });

  const later = await openPage(t, ui);
  const history = await later.waitFor((m) => m.type === 'history' && m.session === info.id);
  assert.equal(history.events.length, 100);
  // listening, connect and 500 lines: 502 events, the newest 100 kept
  assert.equal(history.omitted, 402);
  assert.deepEqual(history.events.map((e) => e.text), Array.from({ length: 100 }, (_, i) => `line ${400 + i}`));
  const order = later.messages.map((m) => m.type).filter((type) => ['hello', 'history', 'stats'].includes(type));
  assert.deepEqual(order.slice(0, 3), ['hello', 'history', 'stats'], 'the greeting, then the past, then the counters');

  // what comes after reaches the later page live, once
  s.write('after\n');
  await later.waitEvent((e) => e.event === 'data' && e.text === 'after');
  assert.equal(later.events.filter((e) => e.text === 'line 499').length, 0, 'nothing from the history comes again as a live event');
});

test('the kept past is bounded in bytes: large messages push the old ones out, each cut to the payload limit', async (t) => {
  const ui = await uiServer(t, { bridge: { maxPayloadBytes: 16 * 1024, hub: { recent: { maxBytes: 100 * 1024 } } } });
  const page = await openPage(t, ui);
  const info = await lineServer(page);
  const s = await client(t, info.port);
  const big = 'x'.repeat(50_000) + '\n';
  for (let i = 0; i < 20; i++) s.write(big);
  await waitFor(() => ui.bridge.hub.stats()[info.id]?.counters.messagesIn === 20, { what: '20 large messages counted' });
  const recent = ui.bridge.hub.recent(info.id);
  assert.ok(recent.heldBytes <= 100 * 1024, `held ${recent.heldBytes} bytes`);
  const later = await openPage(t, ui);
  const history = await later.waitFor((m) => m.type === 'history' && m.session === info.id);
  const data = history.events.filter((e) => e.event === 'data');
  assert.ok(data.length >= 2 && data.length < 20, `kept ${data.length} of 20 messages`);
  for (const e of data) {
    assert.equal(e.bytes, 50_000, 'the full size is still told');
    assert.equal(e.truncated, true);
    assert.ok((e.text ?? '').length <= 16 * 1024);
  }
});

test('small kept messages share memory of the log: a thousand slices of a thousand pools hold a couple of buffers, not the pools', () => {
  const log = new RecentLog({ maxEvents: 1000, maxBytes: 1 << 30, maxPayloadBytes: 1024, maxSamples: 4 });
  for (let i = 0; i < 1000; i++) {
    const pool = Buffer.alloc(8192, i & 0xff);
    log.record({ event: 'data', ts: i, session: 's1', id: 1, peer: 'p', n: i + 1, bytes: 64, payload: pool.subarray(64, 128), text: undefined });
  }
  const kept = log.recentEvents();
  assert.equal(kept.length, 1000);
  assert.ok(new Set(kept.map((e) => e.payload.buffer)).size <= 2, 'kept in the log\'s slabs');
  assert.deepEqual([...kept[999].payload], Array(64).fill(999 & 0xff), 'the bytes are the same');
  // a message that is its own buffer is kept as it is
  const own = Buffer.alloc(5);
  own.write('whole');
  log.record({ event: 'data', ts: 1, session: 's1', id: 1, peer: 'p', n: 1, bytes: 5, payload: own, text: 'whole' });
  assert.equal(log.recentEvents().at(-1).payload, own);
});

test('a kept message holds its own bytes, not the read buffer it was cut from', () => {
  const log = new RecentLog({ maxEvents: 10, maxBytes: 1 << 20, maxPayloadBytes: 1024, maxSamples: 4 });
  const read = Buffer.alloc(64 * 1024, 0x61);
  const payload = read.subarray(100, 110);
  log.record({ event: 'data', ts: 1, session: 's1', id: 1, peer: 'p', n: 1, bytes: 10, payload, text: 'aaaaaaaaaa' });
  const [kept] = log.recentEvents();
  assert.deepEqual(kept.payload, payload);
  assert.notEqual(kept.payload.buffer, read.buffer, 'copied out of the 64 KiB read');
  for (let i = 0; i < 6; i++) log.sample({ ts: i, bytesIn: i, bytesOut: 0, messagesIn: i, messagesOut: 0 });
  assert.deepEqual(log.recentSamples().map((x) => x.ts), [2, 3, 4, 5], 'samples are bounded too');
});

test('a busy log copies only the messages it still keeps a moment later: those pushed out first are never copied', async () => {
  const log = new RecentLog({ maxEvents: 5, maxBytes: 1 << 30, maxPayloadBytes: 1024, maxSamples: 4 });
  const pool = Buffer.alloc(8192, 0x62);
  const events = [];
  for (let i = 0; i < 10; i++) {
    const e = { event: 'data', ts: i, session: 's1', id: 1, peer: 'p', n: i + 1, bytes: 64, payload: pool.subarray(i * 64, i * 64 + 64), text: undefined };
    events.push(e);
    log.record(e);
  }
  await waitFor(() => events[9].payload.buffer !== pool.buffer, { what: 'the kept messages moved into the log\'s own memory' });
  for (const e of events.slice(0, 5)) assert.equal(e.payload.buffer, pool.buffer, 'a message pushed out before the log settled is left as it was');
  for (const e of events.slice(5)) assert.notEqual(e.payload.buffer, pool.buffer, 'a kept message no longer holds the pool');
  assert.deepEqual([...events[9].payload], Array(64).fill(0x62));
});
