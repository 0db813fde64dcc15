// The send box as NetAssist users work it, in Chromium against real peers: hex with text pieces and escapes, sent hex shown as hex.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/index.mjs';
import { describeInChromium, pageWithHexClient, uiFor, openApp, createSession, tcpPeer, pythonPeer, send, logRow, serverSends } from './chromium.mjs';


describeInChromium('the send box, as NetAssist users work it', (browser) => {

  test('hex mode reads \\r\\n escapes and "quoted text" pieces, counts them, sends them, and the text view shows sent hex as hex', async (t) => {
    const { page, peer } = await pageWithHexClient(t, browser());
    await page.getByTestId('send-hex').click();
    const box = page.getByTestId('message');
    await box.fill('01 02 "AT+X" \\r\\n');
    await page.getByTestId('send-count').filter({ hasText: '8 bytes' }).waitFor();
    assert.equal(await page.getByTestId('preview').getAttribute('data-hex'), '010241542b580d0a');
    await box.press('Enter');
    await peer.waitLine(/^01 02 41 54 2b 58 0d 0a$/, 'the bytes of the hex, the text piece and CRLF at the python3 client');
    // bytes that make mojibake as UTF-8 text
    await box.fill('ff fe 00 81');
    await box.press('Enter');
    await peer.waitLine(/^ff fe 00 81$/);
    // the log is in text view, yet what was typed as hex shows as hex
    await page.getByTestId('view-text').click();
    await logRow(page, 'out', 'ff fe 00 81').waitFor();
    await logRow(page, 'out', '01 02 41 54 2b 58 0d 0a').waitFor();
    // a text send stays text
    await page.getByTestId('send-text').click();
    await box.fill('plain');
    await box.press('Enter');
    await logRow(page, 'out', 'plain').waitFor();
    // and after a reload (the hub's recent log) the hex sends are still hex
    await page.reload();
    await logRow(page, 'out', 'ff fe 00 81').waitFor();
  });

  test('a quote left open in hex mode is refused with its position, before anything is sent', async (t) => {
    const { page } = await pageWithHexClient(t, browser());
    await page.getByTestId('send-hex').click();
    await page.getByTestId('message').fill('01 "open');
    const error = page.getByTestId('send-error');
    await error.waitFor();
    assert.match(await error.textContent(), /the quote at position 4 is not closed/);
    assert.equal(await page.getByTestId('send').isDisabled(), true);
  });

  test('Reset zeroes the counters in sockit (a second tab sees zeros too) and leaves the log alone', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    const client = await tcpPeer(t, port);
    client.socket.write('hello world\n');
    await logRow(page, 'in', 'hello world').waitFor();
    await send(page, 'ack', { mode: 'text', eol: 'none' });
    await client.waitFor(Buffer.from('ack'));
    const value = (id) => page.getByTestId(id);
    await value('bytes-in').filter({ hasText: '12 B' }).waitFor();
    await value('messages-out').filter({ hasText: /^1$/ }).waitFor();
    await page.getByTestId('reset-counters').click();
    await value('bytes-in').filter({ hasText: /^0 B$/ }).waitFor();
    await value('bytes-out').filter({ hasText: /^0 B$/ }).waitFor();
    await value('messages-in').filter({ hasText: /^0$/ }).waitFor();
    await value('messages-out').filter({ hasText: /^0$/ }).waitFor();
    // the log is not the counters
    await logRow(page, 'in', 'hello world').waitFor();
    // a second tab reads the counters from sockit: zero, then counting on
    const second = await openApp(t, browser(), ui.url);
    await second.getByTestId('bytes-in').filter({ hasText: /^0 B$/ }).waitFor();
    client.socket.write('abc');
    await second.getByTestId('bytes-in').filter({ hasText: /^3 B$/ }).waitFor();
    await value('messages-in').filter({ hasText: /^1$/ }).waitFor();
  });

  test('ticked clients get a send and the others do not; the ticks survive a reload', async (t) => {
    const { page, port, peer: first } = await pageWithHexClient(t, browser());
    // one after the other, so they are #2 and #3
    const second = pythonPeer(t, 'tcp_hex_client.py', ['127.0.0.1', port]);
    await second.waitLine(/^connected$/);
    await page.getByTestId('pick-2').waitFor();
    const third = pythonPeer(t, 'tcp_hex_client.py', ['127.0.0.1', port]);
    await third.waitLine(/^connected$/);
    await page.getByTestId('pick-3').waitFor();
    await page.getByTestId('pick-1').check();
    await page.getByTestId('pick-3').check();
    await targetIs(page, 'picked');
    // the page draws once a frame: the count is read once it is drawn, not on the frame after the first tick
    await page.getByTestId('target').locator('option:checked', { hasText: /ticked clients \(2\)/ }).waitFor({ state: 'attached' });
    await send(page, 'pick', { mode: 'text', eol: 'none' });
    await first.waitLine(/^70 69 63 6b$/, "'pick' at client #1");
    await third.waitLine(/^70 69 63 6b$/, "'pick' at client #3");
    await page.reload();
    await page.getByTestId('pick-3').waitFor();
    assert.equal(await page.getByTestId('pick-1').isChecked(), true, 'the ticks are kept');
    // unticking every client sends to all again: a marker after which #2 has seen only it
    await page.getByTestId('pick-1').uncheck();
    await page.getByTestId('pick-3').uncheck();
    await targetIs(page, 'all');
    await send(page, 'end', { mode: 'text', eol: 'none' });
    await second.waitLine(/^65 6e 64$/, "the marker at client #2");
    assert.deepEqual(second.lines, ['connected', '65 6e 64'], 'client #2 got the marker and nothing ticked for others');
  });

  test('a file goes in packets of the chosen size with the chosen pause between them, counted in the progress row', async (t) => {
    const ui = await uiFor(t);
    const sends = serverSends(ui);
    const page = await openApp(t, browser(), ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    const peer = pythonPeer(t, 'tcp_timed_client.py', ['127.0.0.1', port]);
    await peer.waitLine(/^connected$/);
    await page.locator('[data-testid=clients] .client').first().waitFor();
    await page.getByTestId('send-file').click();
    const file = { name: 'ten.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('abcdefghij') };
    // a bad size is refused before anything is sent
    await page.getByTestId('file-packet').fill('0');
    await page.getByTestId('file-input').setInputFiles(file);
    await page.getByTestId('send-error').filter({ hasText: /the packet size must be from 1 to/ }).waitFor();
    await page.getByTestId('file-packet').fill('4');
    await page.getByTestId('file-delay').fill('250');
    await page.getByTestId('file-input').setInputFiles(file);
    await page.getByTestId('file-progress').filter({ hasText: '3/3 packets · sent' }).waitFor();
    const data = () => peer.lines.filter((l) => /^\d+ /.test(l));
    await waitFor(() => data().length >= 3, { what: 'three reads at the python3 client', detail: () => peer.lines.join('\n') });
    const reads = data().map((l) => l.split(' '));
    assert.deepEqual(reads.map((r) => r.slice(1).join(' ')), ['61 62 63 64', '65 66 67 68', '69 6a'], 'the bytes came in packets of 4');
    assert.deepEqual(sends.map((e) => e.bytes), [4, 4, 2], 'the server wrote each packet once');
    for (let i = 1; i < sends.length; i++) {
      const gap = sends[i].ts - sends[i - 1].ts;
      assert.ok(gap >= 245, `the server wrote packet ${i + 1} ${gap} ms after the one before, not after the 250 ms pause`);
    }
  });
});

/** Waits for the send box's target to read `value` once the page has drawn the ticks (read too early on a busy machine). */
function targetIs(page, value) {
  const target = page.getByTestId('target');
  return waitFor(async () => (await target.inputValue()) === value || undefined, { what: `the send target to become ${value}` });
}
