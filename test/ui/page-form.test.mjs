// The new-session form in Chromium against real peers: what it asks before a session opens up the machine.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { run } from '../helpers/index.mjs';
import { describeInChromium, uiFor, openApp, pythonPeer, fillForm } from './chromium.mjs';


describeInChromium('the new-session form, as NetAssist users work it', (browser) => {

  test('a server on every interface starts only once confirmed; 127.0.0.1 needs no confirmation', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    const dialog = await fillForm(page, 'tcp-server', { host: '0.0.0.0', port: 0 });
    await page.getByTestId('start-session').click();
    const banner = page.getByTestId('confirm-exposure');
    await banner.waitFor();
    assert.match(await banner.textContent(), /listens on every interface \(0\.0\.0\.0\): any machine that can reach this one can connect/);
    assert.equal(ui.bridge.hub.list().length, 0, 'nothing started before the confirmation');
    // the default (an empty host) is every interface too
    await dialog.locator('[name="host"]').fill('');
    await banner.waitFor({ state: 'detached' });
    await page.getByTestId('start-session').click();
    await banner.filter({ hasText: /listens on every interface: any machine/ }).waitFor();
    await dialog.locator('[name="host"]').fill('0.0.0.0');
    await page.getByTestId('start-session').click();
    await page.getByTestId('start-anyway').click();
    await dialog.waitFor({ state: 'detached' });
    const state = page.getByTestId('state');
    await state.filter({ hasText: /listening on 0\.0\.0\.0 port \d+/ }).waitFor();
    const port = Number(/port (\d+)/.exec(await state.textContent())[1]);
    const client = pythonPeer(t, 'tcp_hex_client.py', ['127.0.0.1', port]);
    await client.waitLine(/^connected$/);
    // on loopback only, nothing to confirm
    await fillForm(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    await page.getByTestId('start-session').click();
    await page.getByTestId('new-dialog').waitFor({ state: 'detached' });
    assert.equal(ui.bridge.hub.list().length, 2);
  });

  test('a static server of / asks first, then serves it (curl reads the listing)', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    const dialog = await fillForm(page, 'http', { root: '/', host: '127.0.0.1', port: 0 });
    await page.getByTestId('start-session').click();
    await page.getByTestId('confirm-exposure').filter({ hasText: 'it serves /, the whole file system' }).waitFor();
    assert.equal(ui.bridge.hub.list().length, 0);
    await page.getByTestId('start-anyway').click();
    await dialog.waitFor({ state: 'detached' });
    const state = page.getByTestId('state');
    await state.filter({ hasText: /listening/ }).waitFor();
    const port = Number(/port (\d+)/.exec(await state.textContent())[1]);
    const r = await run('curl', ['-sS', `http://127.0.0.1:${port}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /etc\//, 'the listing of /');
  });
});
