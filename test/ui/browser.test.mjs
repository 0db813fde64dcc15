// The browser assistant in a real Chromium: sessions made from the page talk to real peers; the refusals hold in a browser too.
import { describe, test, before, after } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import { startUi } from '../../dist/bridge/ui-server.js';
import { rawServer, waitFor, quietFor } from '../helpers/index.mjs';
import { launchChromium, skipWithoutChromium, openApp as openPage, createSession, tcpPeer, logRow, send, shot } from './chromium.mjs';

const gbk = (hex) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

let browser;
let ui;

const openApp = (t, options = {}) => openPage(t, browser, options.url ?? ui.url, options);

describe('the assistant in Chromium', { skip: skipWithoutChromium() }, () => {
  before(async () => {
    browser = await launchChromium();
    ui = await startUi({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  test('a TCP server made from the page: a real client talks, the page replies, the client hears it', async (t) => {
    const page = await openApp(t);
    await shot(page, 'welcome');
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0, reply: 'ACK {n}\\n' });
    const client = await tcpPeer(t, port);
    client.socket.write('hello from a real client\r\n');
    await logRow(page, 'in', 'hello from a real client').waitFor();
    await client.waitFor(Buffer.from('ACK 1\n'));
    await page.locator('[data-testid=clients] .client', { hasText: '#1' }).waitFor();
    await send(page, 'reply from the page', { eol: 'crlf' });
    await client.waitFor(Buffer.from('ACK 1\nreply from the page\r\n'));
    await logRow(page, 'out', 'reply from the page').waitFor();
    // control characters show as escapes, on one line
    assert.match(await logRow(page, 'in', 'hello from').textContent(), /hello from a real client\\r\\n/);
    await page.getByTestId('messages-in').filter({ hasText: '1' }).waitFor();

    // a quick message is one click away; a saved one survives a reload, and so does the session
    await page.locator('.quick-item', { hasText: 'Hello' }).click();
    await client.waitFor(Buffer.from('ACK 1\nreply from the page\r\nHello\n'));
    await page.getByTestId('message').fill('STATUS?');
    await page.getByTestId('save-quick').click();
    await page.reload();
    await page.locator('.quick-item', { hasText: 'STATUS?' }).waitFor();
    await page.getByTestId('state').filter({ hasText: `port ${port}` }).waitFor();

    // disconnect the client from its card
    await page.getByTestId('disconnect-1').click();
    await client.closed;
    await logRow(page, 'sys', 'disconnected from the page').waitFor();
  });

  test('GBK: the log shows 你好, hex and another encoding re-render the same bytes, a Chinese reply arrives in GBK', async (t) => {
    const page = await openApp(t);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0, encoding: 'gbk', reply: '收到:{data}' });
    const client = await tcpPeer(t, port);
    const lesson = gbk('c4e3 bac3 b7fe cef1 b6cb 2c ced2 cac7 bfcd bba7 b6cb d0a1 bada 21'); // 你好服务端,我是客户端小黑!
    client.socket.write(lesson);
    await logRow(page, 'in', '你好服务端,我是客户端小黑!').waitFor();
    const ack = Buffer.concat([gbk('cad5 b5bd 3a'), lesson]); // 收到:…
    await client.waitFor(ack);
    await logRow(page, 'out', '收到:你好服务端').waitFor();
    await send(page, '世界');
    await client.waitFor(Buffer.concat([ack, gbk('cac0 bde7')]));
    await shot(page, 'tcp-server-gbk');

    // the same bytes as hex, then as UTF-8 (mojibake), then as GBK again: nothing lost
    await page.getByTestId('view-hex').click();
    await logRow(page, 'in', 'c4 e3 ba c3 b7 fe').waitFor();
    await logRow(page, 'in', 'c4 e3').click();
    await page.getByTestId('detail').filter({ hasText: '00000000: c4e3 bac3 b7fe cef1' }).waitFor();
    await shot(page, 'hex-detail');
    await page.getByTestId('view-text').click();
    await page.getByTestId('view-encoding').selectOption('utf8');
    await page.locator('.log .row.in').filter({ hasText: '26 B' }).filter({ hasNotText: '你好' }).waitFor();
    await page.getByTestId('view-encoding').selectOption('gbk');
    await logRow(page, 'in', '你好服务端').waitFor();

    // the filter finds it; export as NDJSON carries bytes and text
    await page.getByTestId('filter').fill('世界');
    // the page filters when it next draws: the rows shown before may still be there
    const rows = page.locator('.log .row');
    let shown;
    await waitFor(async () => (shown = await rows.count()) === 1, { what: "the filter '世界' to leave one row", detail: () => `${shown} rows shown` });
    await page.getByTestId('filter').fill('');
    await page.getByTestId('export').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-ndjson').click()]);
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const first = lines.find((l) => l.event === 'data');
    assert.equal(first.hex, lesson.toString('hex'));
    assert.equal(first.text, '你好服务端,我是客户端小黑!');
  });

  test('hex sending: exact bytes out; a typo is explained before anything is sent', async (t) => {
    const page = await openApp(t);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    const client = await tcpPeer(t, port);
    await page.locator('[data-testid=clients] .client').first().waitFor();
    await page.getByTestId('send-hex').click();
    await page.getByTestId('message').fill('01 03 00 0g');
    await page.getByTestId('send-error').filter({ hasText: "'g' at position 11 is not a hex digit" }).waitFor();
    assert.equal(await page.getByTestId('send').isDisabled(), true);
    await send(page, '01 03 00 00 00 0a c5 cd', { mode: 'hex' });
    await client.waitFor(gbk('01 03 00 00 00 0a c5 cd'));
    await page.getByTestId('view-hex').click();
    await logRow(page, 'out', '01 03 00 00 00 0a c5 cd').waitFor();

    // cyclic sending with a visible stop
    await page.getByTestId('repeat').check();
    await page.getByTestId('interval').fill('30');
    await send(page, 'ff', { mode: 'hex' });
    await page.getByTestId('stop-cyclic').filter({ hasText: 'sent' }).waitFor();
    await waitFor(() => client.received.length >= 12, { what: 'four cyclic sends of ff' });
    await page.getByTestId('stop-cyclic').click();
    await page.getByTestId('send').waitFor();
    await page.getByTestId('repeat').uncheck();
    // a marker sent after the stop: once it arrives, any cyclic send still due would have come before it
    const beforeMarker = client.received.length;
    await send(page, 'ee', { mode: 'hex' });
    await waitFor(() => client.received.at(-1) === 0xee, { what: 'the marker sent after stopping' });
    assert.deepEqual([...client.received.subarray(beforeMarker)].filter((b) => b !== 0xff), [0xee]);
    await quietFor(client.socket, 'data', 150, { what: 'cyclic send after stop' });

    // a file, with progress
    const file = Buffer.alloc(300_000);
    for (let i = 0; i < file.length; i++) file[i] = (i * 7) & 0xff;
    const before = client.received.length;
    await page.getByTestId('file-input').setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: file });
    await page.getByTestId('file-progress').filter({ hasText: 'sent' }).waitFor();
    await waitFor(() => client.received.length >= before + file.length, { what: `the ${file.length}-byte file at the client`, detail: () => `got ${client.received.length - before}` });
    const got = client.received.subarray(before);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(file).digest('hex'));
  });

  test('the form explains bad values next to their fields, and a port in use, before and after asking', async (t) => {
    const page = await openApp(t);
    const sessionsBefore = ui.bridge.hub.list().length;
    await page.getByTestId('new-session').click();
    const dialog = page.getByTestId('new-dialog');
    await dialog.locator('[name=port]').fill('70000');
    await dialog.locator('[name=encoding]').fill('gbkk');
    await dialog.locator('[name=reply]').fill('oops \\q');
    await page.getByTestId('start-session').click();
    await dialog.locator('.field.invalid', { hasText: 'from 0 to 65535' }).waitFor();
    await dialog.locator('.field.invalid', { hasText: "unknown encoding 'gbkk'" }).waitFor();
    await dialog.locator('.field.invalid', { hasText: "unknown escape '\\q'" }).waitFor();
    await shot(page, 'form-errors');
    assert.equal(ui.bridge.hub.list().length, sessionsBefore, 'nothing was created');
    const busy = await rawServer(t, () => {});
    await dialog.locator('[name=port]').fill(String(busy));
    await dialog.locator('[name=host]').fill('127.0.0.1');
    await dialog.locator('[name=encoding]').fill('utf8');
    await dialog.locator('[name=reply]').fill('');
    await page.getByTestId('start-session').click();
    await dialog.locator('.field.invalid', { hasText: `port ${busy} is already in use` }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('a UDP session: datagrams in from a peer, out to a typed address', async (t) => {
    const page = await openApp(t);
    const other = dgram.createSocket('udp4');
    t.after(() => other.close());
    const got = [];
    other.on('message', (m) => got.push(m));
    await new Promise((r) => other.bind(0, '127.0.0.1', r));
    const port = await createSession(page, 'udp', { host: '127.0.0.1', port: 0, remote: `127.0.0.1:${other.address().port}` });
    other.send('datagram from a peer', port, '127.0.0.1');
    await logRow(page, 'in', 'datagram from a peer').waitFor();
    await send(page, 'to the remote', { target: 'remote' });
    await waitFor(() => got.length >= 1, { what: 'a datagram at the remote' });
    assert.equal(got[0].toString(), 'to the remote');
    await page.getByTestId('target').selectOption('address');
    await page.getByTestId('address').fill('127.0.0.1:nope');
    await page.getByTestId('send-error').filter({ hasText: 'port' }).waitFor();
    await page.getByTestId('address').fill(`127.0.0.1:${other.address().port}`);
    await page.getByTestId('message').fill('to a typed address');
    await page.getByTestId('message').press('Enter');
    await waitFor(() => got.length >= 2, { what: 'a datagram at the typed address' });
    assert.equal(got[1].toString(), 'to a typed address');
    await shot(page, 'udp');
  });

  test('a TCP client session against a server started by the test', async (t) => {
    let serverSide;
    const fromPage = [];
    const port = await rawServer(t, (s) => {
      serverSide = s;
      s.on('data', (b) => fromPage.push(b));
      s.write('220 welcome to the test server\r\n');
    });
    const page = await openApp(t, { colorScheme: 'dark' });
    await createSession(page, 'tcp-client', { host: '127.0.0.1', port });
    await logRow(page, 'in', '220 welcome to the test server').waitFor();
    await send(page, 'HELO sockit', { eol: 'crlf' });
    await waitFor(() => Buffer.concat(fromPage).length >= 13, { what: 'HELO at the server' });
    assert.equal(Buffer.concat(fromPage).toString(), 'HELO sockit\r\n');
    await shot(page, 'tcp-client-dark');
    serverSide.destroy();
    await page.getByTestId('state').filter({ hasText: 'closed' }).waitFor();
    await page.getByTestId('restart').waitFor();
  });

  test('100,000 messages: all counted, the log stays a few dozen rows in the DOM and scrolls at once', async (t) => {
    const page = await openApp(t);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0, frame: 'line' });
    const client = await tcpPeer(t, port);
    await logRow(page, 'sys', 'connected').waitFor();
    const N = 100_000;
    const lines = async () => page.evaluate(() => Number(document.querySelector('[data-testid=log]').getAttribute('aria-rowcount')));
    const base = await lines();
    // bursts of 10,000 (half of what the bridge queues for a page), each waiting for the page to catch up
    for (let i = 0; i < N; i += 10_000) {
      let chunk = '';
      for (let j = i; j < i + 10_000; j++) chunk += `reading ${j} temperature=${(20 + (j % 100) / 10).toFixed(1)}\n`;
      client.socket.write(chunk);
      await waitFor(async () => (await lines()) >= base + i + 10_000, { what: `the log to show ${i + 10_000} messages`, timeoutMs: 30_000, intervalMs: 50 });
    }
    await page.getByTestId('messages-in').filter({ hasText: '100,000' }).waitFor({ timeout: 20000 });
    const shown = (await lines()) - base;
    t.diagnostic(`log holds ${shown} messages`);
    assert.equal(shown, N);
    assert.equal(await page.locator('.warn-chip').count(), 0, 'nothing was dropped');
    const rows = await page.locator('.log .row').count();
    assert.ok(rows < 120, `only visible rows are in the DOM (${rows})`);
    // jump to the top, the middle, a quarter and the end: each frame renders only the rows at that place
    // (how long a frame takes is the benchmark's business; a loaded machine makes it vary)
    const jumps = await page.evaluate(async () => {
      const log = document.querySelector('[data-testid=log]');
      const out = [];
      for (const fraction of [0, 0.5, 0.25, 1]) {
        const t0 = performance.now();
        log.scrollTop = log.scrollHeight * fraction;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const readings = [...log.querySelectorAll('.row')].map((r) => /reading (\d+) /.exec(r.textContent)?.[1]).filter(Boolean).map(Number);
        out.push({ fraction, ms: performance.now() - t0, rows: log.querySelectorAll('.row').length, first: Math.min(...readings), last: Math.max(...readings) });
      }
      return out;
    });
    t.diagnostic(`scroll-and-render times: ${jumps.map((j) => j.ms.toFixed(1)).join(', ')} ms`);
    for (const { fraction, rows, first, last } of jumps) {
      assert.ok(rows < 120, `at ${fraction} of the log: ${rows} rows in the DOM`);
      const at = Math.min(fraction * N, N - 1);
      assert.ok(first <= at + 100 && last >= at - 100, `at ${fraction} of the log the rows show readings ${first}-${last}, not ${at}`);
    }
    const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    t.diagnostic(`page JS heap with ${shown} messages: ${(heap / 1024 / 1024).toFixed(1)} MiB`);
    assert.ok(heap < 200 * 1024 * 1024, 'the page holds them in bounded memory');
    await shot(page, 'many-lines');
  });

  test('refusals in a real browser: no token, another origin\'s WebSocket, a rebinding name', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const noToken = await page.goto(ui.url.replace(/\?token=.*/, ''));
    assert.equal(noToken.status(), 403);
    assert.match(await page.textContent('body'), /needs the token/);

    // a page of another origin on this machine knows the token (say it leaked) but cannot open the socket
    const other = http.createServer((req, res) => res.end('<!doctype html><title>other</title>'));
    await new Promise((r) => other.listen(0, '127.0.0.1', r));
    t.after(() => other.close());
    await page.goto(`http://127.0.0.1:${other.address().port}/`);
    const result = await page.evaluate(
      (url) =>
        new Promise((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      `ws://127.0.0.1:${ui.port}/ws?token=${ui.token}`,
    );
    assert.equal(result, 'refused');

    // DNS rebinding: a name that resolves to 127.0.0.1 is still not a local name
    const rebound = await page.goto(`http://rebind.test:${ui.port}/?token=${ui.token}`);
    assert.equal(rebound.status(), 403);
    assert.match(await page.textContent('body'), /not a local name/);
  });
});
