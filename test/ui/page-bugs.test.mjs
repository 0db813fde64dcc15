// The assistant as a NetAssist user works it, in Chromium: each failure once seen there, held to the behaviour that fixed it.
import { describe, test, before, after } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startUi } from '../../dist/bridge/ui-server.js';
import { tmpDir, waitFor } from '../helpers/index.mjs';
import { launchChromium, skipWithoutChromium, uiFor, pageWithHexClient, openApp, createSession, tcpPeer, pythonPeer, logRow, send, shot } from './chromium.mjs';

let browser;

/** The red, green and blue of a computed colour (rgb() or color(srgb …)), 0-255. */
const rgb = (css) => {
  const n = css.match(/\d+(\.\d+)?/g).map(Number);
  return css.startsWith('color(') ? n.slice(0, 3).map((v) => Math.round(v * 255)) : n.slice(0, 3);
};

describe('the assistant as NetAssist users work it', { skip: skipWithoutChromium() }, () => {
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('hex mode sends exactly the bytes typed: a line ending chosen in text mode is not appended', async (t) => {
    const { page, peer } = await pageWithHexClient(t, browser);
    // LF chosen for text, then the box switched to hex
    await page.getByTestId('send-text').click();
    await page.getByTestId('eol').selectOption('lf');
    await page.getByTestId('send-hex').click();
    await page.getByTestId('message').fill('01 03 00 00 00 0a c5 cd');
    await page.locator('#send-status', { hasText: '8 bytes' }).waitFor();
    await page.getByTestId('message').press('Enter');
    // a one-byte marker after it: once it arrived, everything sent before it has too
    await page.getByTestId('message').fill('ff');
    await page.getByTestId('message').press('Enter');
    const got = () => peer.lines.slice(1).join(' ');
    await waitFor(() => got().includes('ff'), { what: 'the marker byte at the python3 client', detail: () => got() });
    assert.equal(got(), '01 03 00 00 00 0a c5 cd ff', 'the bytes on the wire are the bytes typed, nothing more');
    // and text mode still has its LF
    await send(page, 'text', { mode: 'text' });
    await waitFor(() => got().endsWith('74 65 78 74 0a'), { what: "'text' and LF at the python3 client", detail: () => got() });
  });

  test('the Stop button of a cyclic send keeps its danger colour under the pointer', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    await tcpPeer(t, port);
    await page.locator('[data-testid=clients] .client').first().waitFor();
    await page.getByTestId('repeat').check();
    await page.getByTestId('interval').fill('1000');
    await page.getByTestId('message').fill('tick');
    await page.getByTestId('send').click();
    const stop = page.getByTestId('stop-cyclic');
    await stop.waitFor();
    // the pointer is where Send was: right on Stop
    await stop.hover();
    const [r, g, b] = rgb(await stop.evaluate((el) => getComputedStyle(el).backgroundColor));
    const text = rgb(await stop.evaluate((el) => getComputedStyle(el).color));
    assert.ok(r > 150 && g < 110 && b < 110, `Stop is red under the pointer, not rgb(${r}, ${g}, ${b})`);
    assert.deepEqual(text, [255, 255, 255], 'with white text');
    await stop.click();
    await page.getByTestId('send').waitFor();
  });

  test('a reload or a second tab finds the recent log, the selection, the send settings and the chart', async (t) => {
    const ui = await uiFor(t);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    t.after(() => context.close());
    context.setDefaultTimeout(10_000);
    // this test's sockit may stop before its tab: the tab's reconnecting then is not a fault
    const closing = /ERR_CONNECTION_REFUSED|WebSocket connection/;
    const page = await openApp(t, browser, ui.url, { context, allow: closing });
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    const client = await tcpPeer(t, port);
    client.socket.write('before the reload\n');
    await logRow(page, 'in', 'before the reload').waitFor();
    await page.getByTestId('send-text').click();
    await page.getByTestId('eol').selectOption('crlf');
    await page.getByTestId('target').selectOption('1');
    await page.getByTestId('message').fill('sent before');
    await page.getByTestId('message').press('Enter');
    await client.waitFor(Buffer.from('sent before\r\n'));
    await page.getByTestId('message').fill('');
    // another session is created (and selected); the person goes back to the first
    await createSession(page, 'udp', { host: '127.0.0.1', port: 0 });
    await page.locator('.session-item', { hasText: `TCP server :${port}` }).click();
    await page.getByTestId('state').filter({ hasText: `port ${port}` }).waitFor();
    const points = () => page.evaluate(() => (document.querySelector('.chart path.line.in')?.getAttribute('d') ?? '').split(/[ML]/).filter(Boolean).length);
    await waitFor(async () => (await points()) >= 8, { what: 'eight throughput samples in the chart' });

    const check = async (p, what) => {
      await p.getByTestId('state').filter({ hasText: `port ${port}` }).waitFor();
      // the chart is drawn from the history sockit sends after hello: wait for it, not for the first frame
      await waitFor(async () => (await p.evaluate(() => (document.querySelector('.chart path.line.in')?.getAttribute('d') ?? '').split(/[ML]/).filter(Boolean).length)) >= 8 || undefined, { what: `${what}: the chart keeps its history` });
      await logRow(p, 'in', 'before the reload').waitFor();
      await logRow(p, 'out', 'sent before').waitFor();
      await logRow(p, 'sys', 'connected').waitFor();
      assert.equal(await p.locator('.log-empty').count(), 0, `${what}: not an empty log`);
      assert.equal(await p.getByTestId('eol').inputValue(), 'crlf', `${what}: End stays CRLF`);
      assert.equal(await p.getByTestId('target').inputValue(), '1', `${what}: To stays client #1`);
      // the send history comes back with the page's restored state, a moment after the log on a busy machine
      await waitFor(async () => {
        await p.getByTestId('message').focus();
        await p.getByTestId('message').press('ArrowUp');
        return (await p.getByTestId('message').inputValue()) === 'sent before' || undefined;
      }, { what: `${what}: ↑ to recall what was sent` });
    };
    await page.reload();
    await page.getByTestId('link-status').filter({ hasText: 'connected' }).waitFor();
    await check(page, 'after a reload');
    const second = await openApp(t, browser, ui.url, { context, allow: closing });
    await check(second, 'in a second tab');
    // what arrives now shows in both, once
    client.socket.write('after the reload\n');
    await logRow(page, 'in', 'after the reload').waitFor();
    await logRow(second, 'in', 'after the reload').waitFor();
    assert.equal(await page.locator('.log .row.in', { hasText: 'before the reload' }).count(), 1);
  });

  test('a lost connection greys the sessions and disables what needs sockit; a restarted sockit is named as such', async (t) => {
    const ui = await startUi({ host: '127.0.0.1', port: 0 });
    let stopped = false;
    t.after(() => !stopped && ui.close());
    const page = await openApp(t, browser, ui.url, { allow: /WebSocket connection|ERR_CONNECTION_REFUSED|Failed to load resource/ });
    await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    await page.getByTestId('message').fill('hello');
    stopped = true;
    await ui.close();
    await page.getByTestId('link-banner').waitFor();
    await page.locator('.session-item .dot-offline').first().waitFor();
    assert.equal(await page.getByTestId('stop').isDisabled(), true, 'Stop is disabled');
    assert.equal(await page.getByTestId('send').isDisabled(), true, 'Send is disabled');
    assert.equal(await page.getByTestId('new-session').isDisabled(), true, 'New session is disabled');
    await shot(page, 'connection-lost');
    // sockit starts again on the same port, with a new token: this page's address is no longer valid
    const again = await startUi({ host: '127.0.0.1', port: ui.port });
    t.after(() => again.close());
    await page.getByTestId('link-banner').filter({ hasText: 'sockit was restarted' }).waitFor({ timeout: 20_000 });
    assert.match(await page.getByTestId('link-banner').textContent(), /open the address it printed/);
  });

  test('removing a running session asks first, so a double click removes nothing', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    await createSession(page, 'udp', { host: '127.0.0.1', port: 0 });
    const remove = page.getByRole('button', { name: 'Remove session' });
    await remove.dblclick();
    const confirm = page.getByTestId('confirm-remove');
    await Promise.race([confirm.waitFor(), waitFor(() => ui.bridge.hub.list().length < 2, { what: 'a session removed' })]);
    assert.equal(ui.bridge.hub.list().length, 2, 'a double click removed nothing');
    await confirm.click();
    await waitFor(() => ui.bridge.hub.list().length === 1, { what: 'the UDP session removed' });
    assert.equal(ui.bridge.hub.list()[0].kind, 'tcp-server', 'the other session stays');
    // the page hears of the removal a moment after the hub
    await waitFor(async () => (await page.locator('.session-item').count()) === 1, { what: 'one session left in the list' });
  });

  test('a static web server says how to reach it, not "type a message"', async (t) => {
    const ui = await uiFor(t);
    const dir = tmpDir(t);
    writeFileSync(join(dir, 'index.html'), '<h1>hi</h1>');
    const page = await openApp(t, browser, ui.url);
    await createSession(page, 'http', { root: dir, host: '127.0.0.1', port: 0 });
    await page.getByTestId('clear').click();
    const empty = page.locator('.log-empty');
    await empty.waitFor();
    assert.doesNotMatch(await empty.textContent(), /Type a message/);
    assert.match(await empty.textContent(), /No request yet/);
  });

  test('a UDP socket aimed at a remote says where it sends, and does not count it as a peer', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    await createSession(page, 'udp', { host: '127.0.0.1', port: 0, remote: '127.0.0.1:9' });
    const line = logRow(page, 'sys', 'sending to 127.0.0.1:9');
    await line.waitFor();
    assert.doesNotMatch(await line.textContent(), /#1/, 'no client number for a remote nobody heard from');
    await page.locator('.card.clients h2', { hasText: 'Peers' }).filter({ hasText: '0' }).waitFor();
  });

  test('↑ in the send box recalls the previous message with one press each', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    const client = await tcpPeer(t, port);
    await page.locator('[data-testid=clients] .client').first().waitFor();
    await send(page, 'one', { eol: 'none' });
    await send(page, 'two');
    await send(page, 'three');
    await client.waitFor(Buffer.from('onetwothree'));
    const box = page.getByTestId('message');
    // the page draws a change on its next frame: each press is followed by the value it should show
    const shows = (text) => waitFor(async () => (await box.inputValue()) === text, { what: `the box to show '${text}'` });
    // the box still holds "three" (sent): each press goes one further back
    await box.press('ArrowUp');
    await shows('two');
    await box.press('ArrowUp');
    await shows('one');
    await box.press('ArrowDown');
    await shows('two');
  });

  test('two direction chips clicked before the page draws again both take effect', async (t) => {
    const { page, peer } = await pageWithHexClient(t, browser);
    await send(page, 'hello', { eol: 'none' });
    await peer.waitLine(/^68 65 6c 6c 6f$/);
    await logRow(page, 'out', 'hello').waitFor();
    // one task, so no frame is drawn between the clicks (a quick double tap on a busy machine)
    await page.evaluate(() => {
      for (const d of ['out', 'sys']) document.querySelector(`.dirs .chip.${d}`).click();
    });
    const pressed = (d) => page.locator(`.dirs .chip.${d}`).getAttribute('aria-pressed');
    await waitFor(async () => (await pressed('sys')) === 'false', { what: 'the events chip to be off' });
    assert.equal(await pressed('out'), 'false', 'the first click counts too: sent lines are hidden');
    assert.equal(await pressed('in'), 'true');
    await waitFor(async () => (await page.locator('.log .row.out').count()) === 0, { what: 'the sent line to leave the log' });
  });

  test('a refused form puts the focus on the field that says why, in the frame that says it', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    // a port in use: only sockit's answer marks the field, so the mark and the focus come in one frame
    // (a value checked as its field is left would be marked before the refusal)
    const holder = net.createServer();
    await new Promise((r) => holder.listen(0, '127.0.0.1', r));
    t.after(() => holder.close());
    const busy = holder.address().port;
    await page.getByTestId('new-session').click();
    const dialog = page.getByTestId('new-dialog');
    await dialog.locator('[data-kind="tcp-server"]').click();
    await dialog.locator('[name=port]').fill(String(busy));
    await dialog.locator('[name=host]').fill('127.0.0.1');
    // where the focus is when the refusal is first in the page, before the browser paints it
    await page.evaluate((text) => {
      const form = document.querySelector('[data-testid=new-dialog] form');
      window.focusAtRefusal = new Promise((resolve) => {
        const seen = new MutationObserver(() => {
          if (!form.querySelector('.field.invalid')?.textContent.includes(text)) return;
          seen.disconnect();
          resolve(document.activeElement?.getAttribute('name') ?? document.activeElement?.tagName);
        });
        seen.observe(form, { childList: true, subtree: true, characterData: true, attributes: true });
      });
    }, `port ${busy} is already in use`);
    await page.getByTestId('start-session').click();
    await dialog.locator('.field.invalid', { hasText: `port ${busy} is already in use` }).waitFor();
    // typing begun then must not be moved to another field
    assert.equal(await page.evaluate(() => window.focusAtRefusal), 'port');
  });

  test('choosing a kind puts the focus in its first field at once, so typing begun right after lands there', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    await page.getByTestId('new-session').click();
    // from a form whose first field is not the next one's (a web server's folder)
    await page.getByTestId('new-dialog').locator('[data-kind="http"]').click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'root');
    const { atOnce, later } = await page.evaluate(async () => {
      const form = document.querySelector('[data-testid=new-dialog] form');
      // where the focus is when the new fields are first in the page, before the browser paints them
      const atOnce = new Promise((resolve) => {
        const seen = new MutationObserver(() => {
          if (!form.querySelector('[name=target]')) return;
          seen.disconnect();
          resolve(document.activeElement?.getAttribute('name') ?? document.activeElement?.tagName);
        });
        seen.observe(form, { childList: true, subtree: true });
      });
      document.querySelector('[data-testid=new-dialog] [data-kind="proxy"]').click();
      const first = await atOnce;
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 100)));
      return { atOnce: first, later: document.activeElement?.getAttribute('name') };
    });
    assert.ok(later, 'the form focuses one of its fields');
    assert.equal(atOnce, later);
  });

  test('the form hides the page behind it from assistive technology, and its empty fields do not look filled', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    await page.getByTestId('new-session').click();
    const dialog = page.getByTestId('new-dialog');
    await dialog.locator('[data-kind="tcp-server"]').click();
    const tree = await page.locator('body').ariaSnapshot();
    assert.match(tree, /dialog "New session"/);
    assert.doesNotMatch(tree, /Quick messages|Keyboard shortcuts/, 'the page behind the form is not in the accessibility tree');
    const host = dialog.locator('[name=host]');
    assert.equal(await host.inputValue(), '');
    const style = await host.evaluate((el) => {
      const p = getComputedStyle(el, '::placeholder');
      return { placeholder: p.color, italic: p.fontStyle, value: getComputedStyle(el).color };
    });
    assert.equal(style.italic, 'italic', 'a placeholder is set in italics');
    assert.notDeepEqual(rgb(style.placeholder), rgb(style.value), 'and in another colour than a value');
  });
});
