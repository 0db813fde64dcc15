// Message builders and rules in Chromium: the send box's checksum chips and preview against the bytes a real peer receives, {counter} in cyclic sends, and a server's rules table answering python3 clients.
import { describe, test, before, after } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { compileMessage } from '../../dist/wire/message.js';
import { waitFor } from '../helpers/index.mjs';
import { launchChromium, skipWithoutChromium, uiFor, pageWithHexClient, openApp, createSession, tcpPeer, pythonPeer } from './chromium.mjs';

let browser;

const hexOf = (bytes) => Buffer.from(bytes).toString('hex');

describe('message builders and rules in the page', { skip: skipWithoutChromium() }, () => {
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('a checksum chip appends its CRC; the preview shows the exact bytes compileMessage makes and a python3 client receives', async (t) => {
    const { page, peer } = await pageWithHexClient(t, browser);
    await page.getByTestId('send-hex').click();
    await page.getByTestId('message').fill('01 03 00 00 00 0a');
    await page.locator('[data-append="crc16modbus"]').click();
    const preview = page.getByTestId('preview');
    await preview.filter({ hasText: 'C5 CD' }).waitFor();
    const shown = await preview.getAttribute('data-hex');
    const core = hexOf(compileMessage('{hex:01 03 00 00 00 0a}{crc16modbus}').render());
    assert.equal(shown.toLowerCase(), core, 'the page previews what the core builds');
    assert.equal(core, '01030000000ac5cd', 'CRC-16/MODBUS of 01 03 00 00 00 0a is 0xCDC5, sent low byte first');
    assert.match(await page.locator('#send-status').textContent(), /8 bytes/);
    await page.getByTestId('message').press('Enter');
    await waitFor(() => peer.lines.length > 1, { what: 'the frame at the python3 client', detail: () => peer.lines.join('\n') });
    assert.equal(peer.lines[1].replace(/ /g, ''), shown.toLowerCase(), 'the python3 client received the previewed bytes');

    // text with XOR appended, then the line ending: the preview still matches the wire
    await page.getByTestId('send-text').click();
    await page.getByTestId('eol').selectOption('crlf');
    await page.locator('[data-append="xor8"]').click();
    await page.getByTestId('message').fill('AT{x}');
    // typed braces stay text; XOR, then CRLF (read once the page has drawn the new text's preview)
    const textHex = hexOf(compileMessage('AT\\{x\\}{xor8}\r\n').render());
    let previewed;
    await waitFor(async () => (previewed = (await preview.getAttribute('data-hex'))?.toLowerCase()) === textHex || undefined, { what: 'the preview of AT{x} with XOR and CRLF', detail: () => `the preview shows ${previewed}` });
    await page.getByTestId('message').press('Enter');
    await waitFor(() => peer.lines.length > 2, { what: 'the text at the python3 client', detail: () => peer.lines.join('\n') });
    assert.equal(peer.lines[2].replace(/ /g, ''), textHex);
  });

  test('{counter} in a cyclic send counts up at the peer; a bad builder is named beside the box', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    const client = await tcpPeer(t, port);
    await page.locator('[data-testid=clients] .client').first().waitFor();
    await page.getByTestId('send-text').click();
    await page.getByTestId('builder').check();
    await page.getByTestId('message').fill('n={crc17}');
    await page.getByTestId('send-error').filter({ hasText: 'unknown builder {crc17} at column 3' }).waitFor();
    await page.getByTestId('message').fill('n={counter:3};');
    await page.getByTestId('eol').selectOption('none');
    await page.getByTestId('preview').filter({ hasText: '6E 3D 30 30 31 3B' }).waitFor();
    await page.getByTestId('repeat').check();
    await page.getByTestId('interval').fill('50');
    await page.getByTestId('send').click();
    await waitFor(() => client.received.toString().includes('n=004;'), { what: 'four counted sends at the client', detail: () => client.received.toString() });
    await page.getByTestId('stop-cyclic').click();
    assert.ok(client.received.toString().startsWith('n=001;n=002;n=003;n=004;'), client.received.toString());
  });

  test('a rule added in the pane answers a python3 client, Modbus CRC included; hit counts rise; toggling and reordering apply live', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    await page.getByTestId('rules-toggle').click();
    await page.getByTestId('add-rule').click();
    const rule = (i) => page.getByTestId('rule').nth(i);
    await rule(0).getByTestId('rule-match').fill('hex:01 03 ?? ?? ?? ??');
    await rule(0).getByTestId('rule-reply').fill('{hex:01 03 02 00 2a}{crc17}');
    await rule(0).getByTestId('rule-reply').press('Enter');
    await rule(0).getByTestId('rule-error').filter({ hasText: 'unknown builder {crc17}' }).waitFor();
    assert.deepEqual(ui.bridge.hub.list()[0].spec.rules ?? [], [], 'a bad rule is not applied');
    await rule(0).getByTestId('rule-reply').fill('{hex:01 03 02 00 2a}{crc16modbus}');
    await rule(0).getByTestId('rule-reply').press('Enter');
    await page.getByTestId('add-rule').click();
    await rule(1).getByTestId('rule-match').fill('PING');
    await rule(1).getByTestId('rule-reply').fill('PONG\\n');
    await rule(1).getByTestId('rule-reply').press('Enter');
    await waitFor(() => ui.bridge.hub.list()[0].spec.rules?.length === 2, { what: 'two rules applied', detail: () => JSON.stringify(ui.bridge.hub.list()[0].spec) });

    // a binary client and a text client (one connection's text decoder would hold a Modbus CRC's lead byte)
    const modbus = pythonPeer(t, 'tcp_ask_client.py', ['127.0.0.1', port, 'modbus:01 03 00 00 00 0a']);
    await modbus.waitLine(/^closed$/, 'the Modbus answer at the python3 client');
    const expected = hexOf(compileMessage('{hex:01 03 02 00 2a}{crc16modbus}').render()).replace(/(..)(?!$)/g, '$1 ');
    assert.deepEqual(modbus.lines.slice(1, 3), [`reply ${expected}`, 'crc ok'], 'the CRC python3 computes itself');
    const ping = pythonPeer(t, 'tcp_ask_client.py', ['127.0.0.1', port, 'text:PING\\n', 'text:PING\\n']);
    await ping.waitLine(/^closed$/, 'two PONGs at the python3 client');
    assert.deepEqual(ping.lines.slice(1, 3), ['reply 50 4f 4e 47 0a', 'reply 50 4f 4e 47 0a']);
    await rule(0).getByTestId('rule-hits').filter({ hasText: '1 hit' }).waitFor();
    await rule(1).getByTestId('rule-hits').filter({ hasText: '2 hits' }).waitFor();

    // off: PING gets no answer from that rule; a catch-all moved to the top answers first
    await rule(1).getByTestId('rule-enabled').uncheck();
    await page.getByTestId('add-rule').click();
    await rule(2).getByTestId('rule-match').fill('any');
    await rule(2).getByTestId('rule-reply').fill('ANY\\n');
    await rule(2).getByTestId('rule-reply').press('Enter');
    await rule(2).getByTestId('rule-up').click();
    await rule(1).getByTestId('rule-up').click();
    await waitFor(() => ui.bridge.hub.list()[0].spec.rules?.[0]?.match === 'any', { what: 'the catch-all first', detail: () => JSON.stringify(ui.bridge.hub.list()[0].spec.rules) });
    const again = pythonPeer(t, 'tcp_ask_client.py', ['127.0.0.1', port, 'text:PING\\n']);
    await again.waitLine(/^closed$/);
    assert.equal(again.lines[1], 'reply 41 4e 59 0a');
    await rule(0).getByTestId('rule-hits').filter({ hasText: '1 hit' }).waitFor();
    await rule(2).getByTestId('rule-hits').filter({ hasText: '2 hits' }).waitFor();
  });

  test('a rule whose two fields are typed before the page draws again keeps both (a fast typist on a busy machine)', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
    await page.getByTestId('rules-toggle').click();
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-match').first().waitFor();
    // one task: match, reply and Enter arrive with no drawing in between
    await page.evaluate(() => {
      const field = (name) => document.querySelector(`[data-testid="rule"] [data-testid="${name}"]`);
      const type = (el, value) => {
        el.value = value;
        el.dispatchEvent(new Event('input', { bubbles: true }));
      };
      type(field('rule-match'), 'PING');
      type(field('rule-reply'), 'PONG\\n');
      field('rule-reply').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    await waitFor(() => ui.bridge.hub.list()[0].spec.rules?.length === 1 || undefined, { what: 'the rule applied', detail: () => JSON.stringify(ui.bridge.hub.list()[0].spec) });
    assert.deepEqual(ui.bridge.hub.list()[0].spec.rules.map((r) => [r.match, r.reply]), [['PING', 'PONG\\n']]);
    const ping = pythonPeer(t, 'tcp_ask_client.py', ['127.0.0.1', port, 'text:PING\\n']);
    await ping.waitLine(/^closed$/, 'the PONG at the python3 client');
    assert.equal(ping.lines[1], 'reply 50 4f 4e 47 0a');
  });

  test('rules given in the new-session form start with the session; a bad match is refused beside its field', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser, ui.url);
    await page.getByTestId('new-session').click();
    const dialog = page.getByTestId('new-dialog');
    await dialog.locator('[data-kind="tcp-server"]').click();
    await dialog.locator('[name=host]').fill('127.0.0.1');
    await dialog.locator('[name=port]').fill('0');
    await dialog.getByTestId('add-rule').click();
    await dialog.locator('[name="rules.0.match"]').fill('hex:01 0');
    await dialog.locator('[name="rules.0.reply"]').fill('OK\\n');
    await page.getByTestId('start-session').click();
    await dialog.getByTestId('rule-error').filter({ hasText: "'0' in a hex pattern is not a byte" }).waitFor();
    // focus moves once the form has drawn its errors
    let focused;
    const onMatch = async () => (focused = await page.evaluate(() => document.activeElement?.getAttribute('name'))) === 'rules.0.match' || undefined;
    await waitFor(onMatch, { what: 'focus on the bad match', detail: () => `focus on ${focused}` });
    await dialog.locator('[name="rules.0.match"]').fill('/^GET (?<what>\\w+)/');
    await dialog.locator('[name="rules.0.reply"]').fill('got {what}\\n');
    await page.getByTestId('start-session').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('state').filter({ hasText: /listening/ }).waitFor();
    const port = ui.bridge.hub.list()[0].port;
    const ask = pythonPeer(t, 'tcp_ask_client.py', ['127.0.0.1', port, 'text:GET temperature\\n']);
    await ask.waitLine(/^closed$/);
    assert.equal(Buffer.from(ask.lines[1].slice('reply '.length).replace(/ /g, ''), 'hex').toString(), 'got temperature\n');
    await page.getByTestId('rules-toggle').filter({ hasText: '1' }).waitFor();
  });
});
