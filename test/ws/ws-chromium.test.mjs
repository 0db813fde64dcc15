// Chromium's own WebSocket, from a page, against ws listen: frames both ways, the page's origin checked, close codes from the browser.
import { describe, test, before, after } from '../helpers/test.mjs';
import { skipUnless } from '../helpers/peers.mjs';
import assert from 'node:assert/strict';
import { listenWs } from '../../dist/index.js';
import { recorder } from './helpers.mjs';

const CHROMIUM = '/usr/bin/chromium';

let browser;

/** A page whose origin is `http://127.0.0.1:<port>` (the WebSocket server's own 426 answer is the page). */
async function pageAt(t, port) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  return page;
}

async function server(t, options) {
  const rec = recorder();
  const s = await listenWs({ port: 0, host: '127.0.0.1', ...options }, rec.onEvent);
  t.after(() => s.close(100));
  return { s, ...rec };
}

describe("Chromium's WebSocket", { skip: skipUnless('chromium') }, () => {
  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(() => browser?.close());

  test('text and binary frames both ways, the subprotocol, and the close code the page chose', async (t) => {
    const srv = await server(t, { echo: true, subprotocols: ['chat'], origins: [] });
    const page = await pageAt(t, srv.s.port);
    const result = await page.evaluate(async (url) => {
      const ws = new WebSocket(url, ['chat']);
      ws.binaryType = 'arraybuffer';
      const got = [];
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('the WebSocket failed'));
      });
      const twoBack = new Promise((resolve) => {
        ws.onmessage = (m) => {
          got.push(typeof m.data === 'string' ? ['text', m.data] : ['binary', [...new Uint8Array(m.data)]]);
          if (got.length === 2) resolve();
        };
      });
      ws.send('héllo 世界');
      ws.send(new Uint8Array([0, 1, 254, 255]));
      await twoBack;
      const closed = new Promise((resolve) => (ws.onclose = (e) => resolve([e.code, e.reason, e.wasClean])));
      ws.close(4000, 'page done');
      return { protocol: ws.protocol, got, close: await closed };
    }, `ws://127.0.0.1:${srv.s.port}/from-page`);
    assert.equal(result.protocol, 'chat');
    assert.deepEqual(result.got, [['text', 'héllo 世界'], ['binary', [0, 1, 254, 255]]]);
    assert.deepEqual(result.close, [4000, 'page done', true]);
    const connect = await srv.waitEvent((e) => e.event === 'connect', 'the connect');
    assert.equal(connect.handshake.path, '/from-page');
    assert.equal(connect.handshake.origin, `http://127.0.0.1:${srv.s.port}`);
    assert.match(connect.handshake.headers['user-agent'], /Chrome/);
    const data = srv.events.filter((e) => e.event === 'data');
    assert.deepEqual(data.map((e) => e.opcode), ['text', 'binary']);
    const close = await srv.waitEvent((e) => e.event === 'close', 'the close');
    assert.deepEqual(close.closeFrame, { code: 4000, reason: 'page done', by: 'peer' });
  });

  test('an origin that is not allowed: the page sees the connection fail, the server logs 403', async (t) => {
    const srv = await server(t, { origins: ['https://other.example'] });
    const page = await pageAt(t, srv.s.port);
    const code = await page.evaluate(
      (url) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.onclose = (e) => resolve(e.code);
      }),
      `ws://127.0.0.1:${srv.s.port}/`,
    );
    assert.equal(code, 1006);
    const refused = await srv.waitEvent((e) => e.event === 'request' && e.status === 403, 'the refusal');
    assert.match(refused.note, new RegExp(`origin http://127\\.0\\.0\\.1:${srv.s.port} is not allowed`));
    assert.equal(srv.events.filter((e) => e.event === 'connect').length, 0);
  });

  test('the server pings the page; Chromium answers with a pong', async (t) => {
    const srv = await server(t, {});
    const page = await pageAt(t, srv.s.port);
    await page.evaluate((url) => {
      window.sock = new WebSocket(url);
      return new Promise((resolve) => (window.sock.onopen = resolve));
    }, `ws://127.0.0.1:${srv.s.port}/`);
    assert.equal(srv.s.ping(), 1);
    const pong = await srv.waitEvent((e) => e.event === 'control' && e.opcode === 'pong', "Chromium's pong");
    assert.ok(pong.rttMs >= 0);
  });
});
