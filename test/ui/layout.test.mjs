// The page at the sizes people use: one-row toolbars from 1024×640 up, drawers on a narrow window, long lines wrapped on request, times hidden on request.
import { describe, test, before, after } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { startUi } from '../../dist/bridge/ui-server.js';
import { launchChromium, skipWithoutChromium, openApp, createSession, tcpPeer, logRow, shot } from './chromium.mjs';

let browser;

/** The distinct tops of an element's visible children: one value means one row. */
const rowsOf = (page, selector) =>
  page.locator(selector).evaluate((el) => {
    const tops = new Set();
    for (const c of el.children) {
      const r = c.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) tops.add(Math.round(r.top + r.height / 2));
    }
    return [...tops].sort((a, b) => a - b);
  });

describe('the page at every size', { skip: skipWithoutChromium() }, () => {
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('from 1024×640 to 1920×1080 the toolbar and the send options stay on one row, with clients and traffic in view', async (t) => {
    const ui = await startUi({ host: '127.0.0.1', port: 0 });
    t.after(() => ui.close());
    for (const [width, height] of [[1024, 640], [1280, 720], [1920, 1080]]) {
      // the sockit of this test stops before its pages close
      const page = await openApp(t, browser, ui.url, { viewport: { width, height }, allow: /ERR_CONNECTION_REFUSED|WebSocket connection/ });
      if (!ui.bridge.hub.list().length) {
        const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
        const client = await tcpPeer(t, port);
        client.socket.write('hello from a client\n');
      }
      await logRow(page, 'in', 'hello from a client').waitFor();
      for (const part of ['.toolbar', '.send-controls', '.send-line', '.title-row']) {
        const rows = await rowsOf(page, part);
        // centres within a few pixels are one row (controls of different heights)
        assert.ok(rows[rows.length - 1] - rows[0] < 12, `${width}×${height}: ${part} is one row, its children centred at ${rows.join(', ')}`);
      }
      // nothing sticks out of the centre column
      const overflow = await page.evaluate(() => {
        const pane = document.querySelector('.pane').getBoundingClientRect();
        return [...document.querySelectorAll('.toolbar > *, .send-controls > *, .title-row > *')].filter((el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > pane.right + 1).map((el) => el.className || el.tagName);
      });
      assert.deepEqual(overflow, [], `${width}×${height}: controls past the centre column's edge`);
      assert.ok(await page.locator('.side').isVisible(), `${width}×${height}: the clients and traffic panel is shown`);
      assert.ok(await page.locator('.card.clients .client').first().isVisible(), `${width}×${height}: the client is listed`);
      await shot(page, `size-${width}x${height}`);
    }
  });

  test('a 600 px window keeps every part a tap away: sessions and traffic open as drawers', async (t) => {
    const ui = await startUi({ host: '127.0.0.1', port: 0 });
    t.after(() => ui.close());
    const page = await openApp(t, browser, ui.url, { viewport: { width: 600, height: 800 } });
    // no session yet: the welcome's starters open the form
    await page.locator('.starter[data-kind="tcp-server"]').click();
    const dialog = page.getByTestId('new-dialog');
    await dialog.locator('[name=host]').fill('127.0.0.1');
    await dialog.locator('[name=port]').fill('0');
    await page.getByTestId('start-session').click();
    const state = page.getByTestId('state').filter({ hasText: /listening/ });
    await state.waitFor();
    const port = Number(/port (\d+)/.exec(await state.textContent())[1]);
    await tcpPeer(t, port);
    assert.equal(await page.locator('.side').isVisible(), false, 'the side panel is a closed drawer');
    await page.getByTestId('side-toggle').filter({ hasText: '1' }).waitFor();
    await page.getByTestId('side-toggle').click();
    await page.locator('.side.open .card.clients .client').first().waitFor();
    await shot(page, 'size-600-drawer');
    await page.keyboard.press('Escape');
    await page.locator('.side.open').waitFor({ state: 'detached' });
    await page.getByTestId('sessions-toggle').click();
    await page.locator('.sidebar.open .session-item').first().waitFor();
    await page.locator('.drawer-scrim').click({ position: { x: 580, y: 400 } });
    await page.locator('.sidebar.open').waitFor({ state: 'detached' });
    const box = await page.getByTestId('message').boundingBox();
    assert.ok(box.width > 300, `the message box is ${box.width} px wide`);
    await shot(page, 'size-600');
  });

  test('long lines wrap when asked, and the time column hides when asked', async (t) => {
    const ui = await startUi({ host: '127.0.0.1', port: 0 });
    t.after(() => ui.close());
    const page = await openApp(t, browser, ui.url, { viewport: { width: 1280, height: 720 } });
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    const client = await tcpPeer(t, port);
    const long = `start ${'0123456789'.repeat(60)} end`;
    client.socket.write(`${long}\n`);
    const row = logRow(page, 'in', 'start');
    await row.waitFor();
    assert.ok((await row.boundingBox()).height <= 26, 'one row while cut');
    assert.doesNotMatch(await row.textContent(), / end/, 'its end is cut');
    await page.getByTestId('wrap').click();
    await page.waitForFunction(() => document.querySelector('.log .row.in')?.getBoundingClientRect().height > 60);
    assert.match(await row.textContent(), / end/, 'wrapped, all of it shows');
    assert.equal(await row.locator('.time').count(), 1);
    await page.getByTestId('times').click();
    await row.locator('.time').waitFor({ state: 'detached' });
  });
});
