// WebSocket sessions made from the page in Chromium: a server that real clients talk to, a client of a real server; frames and their types in the log.
import { describe, test, before, after } from '../helpers/test.mjs';
import { skipUnless } from '../helpers/peers.mjs';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startUi } from '../../dist/bridge/ui-server.js';
import { connectWs, listenWs } from '../../dist/index.js';
import { ROOT } from '../helpers/index.mjs';
import { recorder } from '../ws/helpers.mjs';
import { createSession, logRow, send } from './chromium.mjs';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'ui');

let browser;
let ui;

async function openApp(t) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  t.after(() => context.close());
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  t.after(() => assert.deepEqual(problems, [], 'no errors in the page'));
  await page.goto(ui.url);
  await page.getByTestId('link-status').filter({ hasText: 'connected' }).waitFor();
  return page;
}

describe('WebSocket sessions in the page', { skip: skipUnless('chromium') }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    ui = await startUi({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  test('a WebSocket server made from the page: the handshake, text and binary frames, pings; text and hex sends as text and binary frames', async (t) => {
    const page = await openApp(t);
    const port = await createSession(page, 'ws-server', { host: '127.0.0.1', port: 0, path: '/chat', reply: 'got {data}' });
    await page.getByRole('heading', { name: `WS server :${port}/chat` }).waitFor();
    const rec = recorder();
    const client = await connectWs({ url: `ws://127.0.0.1:${port}/chat?room=1`, origin: 'https://app.example', subprotocols: [] }, rec.onEvent);
    t.after(() => client.close(1000, '', true));
    await logRow(page, 'sys', '/chat?room=1 · origin https://app.example').waitFor();
    await client.send(Buffer.from('hello page'));
    await client.send(Buffer.from([0xde, 0xad]), { binary: true });
    await rec.waitEvent((e) => e.event === 'data' && e.text === 'got hello page', 'the reply');
    const textRow = logRow(page, 'in', 'hello page');
    await textRow.locator('[data-testid=frame-tag]', { hasText: 'text' }).waitFor();
    await page.locator('.log .row.in', { has: page.locator('[data-testid=frame-tag]', { hasText: 'binary' }) }).first().waitFor();
    client.ping();
    await page.locator('.log .row.in', { has: page.locator('[data-testid=frame-tag]', { hasText: 'ping' }) }).first().waitFor();

    await page.locator('[data-testid=clients] .client').first().waitFor();
    await send(page, 'from the page');
    await rec.waitEvent((e) => e.event === 'data' && e.text === 'from the page' && e.opcode === 'text', 'a text frame from the page');
    await send(page, '01 02 03', { mode: 'hex' });
    // the reply to the binary message came back binary too ('got \xde\xad'); the page's hex is its own binary frame
    const gotDead = Buffer.from('got \xde\xad', 'latin1').toString('hex');
    await rec.waitEvent((e) => e.event === 'data' && e.opcode === 'binary' && e.payload.toString('hex') === gotDead, 'the binary reply to the binary message');
    await rec.waitEvent((e) => e.event === 'data' && e.opcode === 'binary' && e.payload.toString('hex') === '010203', 'a binary frame from the page');
    await page.locator('.log .row.out', { has: page.locator('[data-testid=frame-tag]', { hasText: 'binary' }), hasText: '3 B' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'ws-server.png') });

    await page.getByTestId('disconnect-1').click();
    const closed = await rec.waitEvent((e) => e.event === 'close', 'the close from the page');
    assert.equal(closed.closeFrame.code, 1000);
    assert.equal(closed.closeFrame.reason, 'disconnected from the page');
    await logRow(page, 'sys', 'sent close 1000').waitFor();
  });

  test('a WebSocket client made from the page: subprotocol and headers reach the server; its messages are shown with their type; a bad address is explained', async (t) => {
    const rec = recorder();
    const server = await listenWs({ port: 0, host: '127.0.0.1', echo: true, subprotocols: ['v2'] }, rec.onEvent);
    t.after(() => server.close(100));
    const page = await openApp(t);

    await page.getByTestId('new-session').click();
    await page.getByTestId('new-dialog').locator('[data-kind="ws-client"]').click();
    await page.getByTestId('new-dialog').locator('[name="url"]').fill('ftp://nope');
    await page.getByTestId('start-session').click();
    await page.locator('.field-error', { hasText: 'must begin with ws:// or wss://' }).waitFor();
    await page.getByTestId('new-dialog').locator('[name="headers"]').fill('no colon here');
    await page.getByTestId('start-session').click();
    await page.locator('.field-error', { hasText: "must be written as 'Name: value'" }).waitFor();
    await page.keyboard.press('Escape');

    await createSession(page, 'ws-client', { url: `ws://127.0.0.1:${server.port}/feed`, subprotocols: 'v1, v2', headers: 'X-Team: blue' });
    const connect = await rec.waitEvent((e) => e.event === 'connect', 'the server connect');
    assert.equal(connect.handshake.subprotocol, 'v2');
    assert.equal(connect.handshake.headers['x-team'], 'blue');
    await logRow(page, 'sys', 'subprotocol v2').waitFor();
    await send(page, '你好');
    await logRow(page, 'in', '你好').locator('[data-testid=frame-tag]', { hasText: 'text' }).waitFor();
    await send(page, 'ff 00', { mode: 'hex' });
    await rec.waitEvent((e) => e.event === 'data' && e.opcode === 'binary' && e.payload.toString('hex') === 'ff00', 'the binary frame');
    await page.screenshot({ path: join(SHOTS, 'ws-client.png') });
    server.disconnect(1, 'bye now', 4002);
    await logRow(page, 'sys', 'received close 4002 "bye now"').waitFor();
    await page.getByTestId('state').filter({ hasText: 'closed' }).waitFor();
  });
});
