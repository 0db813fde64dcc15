// Capture from the page in Chromium: start and stop a session's capture, download it as NDJSON and as a pcap that tshark follows with the lesson's GBK bytes.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { encodeText, readCaptureRecords } from '../../dist/index.js';
import { requirePeer, run, runPeer, tmpDir } from '../helpers/index.mjs';
import { createSession, describeInChromium, openApp, shot, uiFor } from './chromium.mjs';

const GREETING = '你好服务端,我是客户端小黑!';

/** Clicks a download link and saves what it brings into `dir`; resolves with the path. */
async function download(page, testId, dir) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = join(dir, file.suggestedFilename());
  await file.saveAs(path);
  return { path, name: file.suggestedFilename() };
}

describeInChromium('capture in the page', (browser) => {

  test('captures a python3 exchange, downloads it, and tshark follows the pcap', async (t) => {
    const dir = tmpDir(t, 'sockit-capture-page-');
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0, encoding: 'gbk', reply: '收到:{data}' });
    await page.getByTestId('capture-toggle').click();
    await page.getByTestId('capture-toggle').filter({ hasText: 'Stop capture' }).waitFor();

    const client = await runPeer('lesson_gbk_client.py', ['127.0.0.1', port]);
    assert.equal(client.stdout.trim(), `收到:${GREETING}`, client.stderr);
    await page.locator('.log .row', { hasText: 'closed' }).first().waitFor();
    await page.getByTestId('capture-toggle').click();
    await page.getByTestId('capture-pcap').waitFor();
    await shot(page, 'capture-stopped');

    const ndjson = await download(page, 'capture-ndjson', dir);
    assert.match(ndjson.name, /^sockit-s\d+-\d{8}-\d{6}\.ndjson$/);
    const records = [];
    for await (const r of readCaptureRecords(ndjson.path)) records.push(r);
    const data = records.filter((r) => r.event === 'data');
    assert.deepEqual(data.map((r) => [r.dir, Buffer.from(r.b64, 'base64').toString('hex')]), [
      ['in', encodeText(GREETING, 'gbk').toString('hex')],
      ['out', encodeText(`收到:${GREETING}`, 'gbk').toString('hex')],
    ]);

    const pcap = await download(page, 'capture-pcap', dir);
    assert.match(pcap.name, /\.pcap$/);
    if (!requirePeer(t, 'tshark')) return;
    const follow = await run('tshark', ['-r', pcap.path, '-qz', 'follow,tcp,raw,0']);
    assert.equal(follow.code, 0, follow.stderr);
    assert.match(follow.stdout, new RegExp(`Node 1: 127\\.0\\.0\\.1:${port}`));
    const turns = follow.stdout.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l)).map((l) => l.trim());
    assert.deepEqual(turns, [encodeText(GREETING, 'gbk').toString('hex'), encodeText(`收到:${GREETING}`, 'gbk').toString('hex')]);
  });

  test('a download needs the token, and a session without a capture says so', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    const base = new URL(ui.url);
    const noToken = await fetch(new URL('/capture/s1.pcap', base));
    assert.equal(noToken.status, 403);
    const none = await fetch(new URL(`/capture/s1.pcap?token=${encodeURIComponent(ui.token)}`, base));
    assert.equal(none.status, 404);
    assert.match(await none.text(), /session s1 has no capture: start one first/);
  });
});
