// The page's "save received data" (written by sockit, so nothing is lost when the page is slow or closed) and its TCP client's echo, reply and reconnect, in Chromium against real peers.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { run, tmpDir, waitFor, requirePeer } from '../helpers/index.mjs';
import { describeInChromium, uiFor, openApp, fillForm, createSession } from './chromium.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');

describeInChromium('the page saves what arrives to a file, and its TCP client answers and reconnects', (browser) => {
  test('save received data: sockit writes every byte, with the page closed too; an existing file is refused unless Overwrite', async (t) => {
    if (!requirePeer(t, 'nc')) return;
    const dir = tmpDir(t);
    const file = join(dir, 'received.bin');
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0, saveTo: file });
    const saving = page.getByTestId('saving');
    assert.match(await saving.textContent(), new RegExp(`saving to ${file.replace(/[.\\/]/g, '\\$&')} · 0 B`));
    const first = randomBytes(100_000);
    writeFileSync(join(dir, 'first.bin'), first);
    assert.equal((await run('sh', ['-c', `nc -N 127.0.0.1 ${port} < '${join(dir, 'first.bin')}'`])).code, 0);
    await saving.filter({ hasText: '100 kB' }).waitFor();
    // the page goes away; what arrives meanwhile is saved all the same
    await page.close();
    const second = randomBytes(50_000);
    writeFileSync(join(dir, 'second.bin'), second);
    assert.equal((await run('sh', ['-c', `nc -N 127.0.0.1 ${port} < '${join(dir, 'second.bin')}'`])).code, 0);
    await waitFor(() => existsSync(file) && readFileSync(file).length === 150_000, { what: 'both clients\' bytes in the file' });
    assert.equal(sha(readFileSync(file)), sha(Buffer.concat([first, second])));

    // the same file again: refused next to the field, nothing started, the file untouched
    const again = await openApp(t, browser(), ui.url);
    const dialog = await fillForm(again, 'udp', { host: '127.0.0.1', port: 0, saveTo: file });
    await again.getByTestId('start-session').click();
    const error = dialog.locator('.field.invalid', { has: again.locator('[name="saveTo"]') });
    await error.filter({ hasText: /exists already; tick Overwrite to replace it/ }).waitFor();
    assert.equal(ui.bridge.hub.list().length, 1, 'nothing started');
    assert.equal(readFileSync(file).length, 150_000);
    await dialog.locator('[name="overwrite"]').setChecked(true);
    await again.getByTestId('start-session').click();
    await dialog.waitFor({ state: 'detached' });
    await again.getByTestId('saving').filter({ hasText: '· 0 B' }).waitFor();
    assert.equal(readFileSync(file).length, 0, 'replaced, as asked');
  });

  test('TCP client: echo answers the server, reconnect connects again after the server hangs up', async (t) => {
    let n = 0;
    const heard = [];
    const server = net.createServer((s) => {
      const id = ++n;
      s.on('data', (d) => heard.push(`${id}:${d}`));
      s.on('error', () => {});
      s.write(`hello ${id}`);
      // the first connection is hung up on, as a device that restarts does
      if (id === 1) setTimeout(() => s.end(), 200);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    await createSession(page, 'tcp-client', { host: '127.0.0.1', port: server.address().port, echo: true, reconnect: true });
    await waitFor(() => heard.includes('1:hello 1'), { what: 'the echo of the first greeting', detail: () => heard });
    await waitFor(() => heard.includes('2:hello 2'), { what: 'a second connection, echoed too', detail: () => heard });
    await page.getByTestId('state').filter({ hasText: /connected/ }).waitFor();
    const meta = page.locator('.title-meta');
    assert.match(await meta.textContent(), /echo/);
    assert.match(await meta.textContent(), /reconnect/);
  });
});
