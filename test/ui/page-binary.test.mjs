// The page takes its events as binary batches and decodes text itself; a page that falls behind shows what it missed.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { describeInChromium, openApp, createSession, uiFor, tcpPeer, logRow } from './chromium.mjs';
import { waitFor } from '../helpers/index.mjs';

describeInChromium('the page and binary event batches', (browser) => {
  test('GBK and UTF-8 arrive as bytes in binary frames; a character split between two reads shows whole', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    // the page's socket as it opens again: count its binary frames
    const frames = { binary: 0, text: 0 };
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => (typeof payload === 'string' ? frames.text++ : frames.binary++)));
    await page.reload();
    await page.getByTestId('link-status').filter({ hasText: 'connected' }).waitFor({ state: 'attached' });
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0, encoding: 'gbk' });
    const client = await tcpPeer(t, port);
    const nihao = Buffer.from('c4e3bac3', 'hex'); // 你好
    client.socket.write(nihao.subarray(0, 3));
    await logRow(page, 'in', '你').waitFor();
    client.socket.write(nihao.subarray(3));
    await logRow(page, 'in', '好').waitFor();
    const rows = await page.locator('.log .row.in').allTextContents();
    assert.ok(rows.every((r) => !r.includes('\ufffd')), `no replacement characters: ${JSON.stringify(rows)}`);
    // the hex view shows the bytes as they came, read by read
    await page.getByTestId('view-hex').click();
    await logRow(page, 'in', 'c4 e3 ba').waitFor();
    assert.ok(frames.binary > 0, `event batches came as binary frames (${frames.binary} binary, ${frames.text} text)`);
  });

  test('a page that cannot keep up shows "not shown here" where it missed messages, and exact counters', async (t) => {
    // a page allowed one small batch at a time and a short queue: a burst outruns it
    const ui = await uiFor(t, { bridge: { queue: { maxQueuedEvents: 60, maxInFlight: 1, maxBatchEvents: 10 } } });
    const page = await openApp(t, browser(), ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0, frame: 'line' });
    const client = await tcpPeer(t, port);
    // a steady flood, 50 lines every 10 ms
    const lines = 5000;
    for (let i = 0; i < lines; i += 50) {
      client.socket.write(Array.from({ length: 50 }, (_, j) => `message ${i + j}\n`).join(''));
      await new Promise((r) => setTimeout(r, 10));
    }
    await page.locator('.log .row.err', { hasText: 'not shown here: the page could not keep up' }).first().waitFor();
    await page.getByTestId('messages-in').filter({ hasText: '5,000' }).waitFor();
    // the page still shows messages from the whole burst, sampled, not only its start
    await waitFor(async () => {
      const shown = await page.locator('.log .row.in').allTextContents();
      return shown.some((r) => /message (4\d\d\d)/.test(r)) || undefined;
    }, { what: 'a message from the last part of the burst in the log' });
    const shownCount = await page.locator('.log .row.in').count();
    assert.ok(shownCount < lines, `some messages were left out (${shownCount} shown)`);
  });
});
