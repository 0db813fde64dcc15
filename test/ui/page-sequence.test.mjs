// Sequences (a command list) in Chromium against a real peer: steps sent in order with their pauses, progress, a stop that holds back the rest.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/index.mjs';
import { describeInChromium, uiFor, openApp, createSession, pythonPeer, send, serverSends, shot } from './chromium.mjs';


/** A TCP server session of the page's with a python3 client that notes when each read came. */
async function timedClient(t, browser) {
  const ui = await uiFor(t);
  const sends = serverSends(ui);
  const page = await openApp(t, browser, ui.url);
  const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
  const peer = pythonPeer(t, 'tcp_timed_client.py', ['127.0.0.1', port]);
  await peer.waitLine(/^connected$/);
  await page.locator('[data-testid=clients] .client').first().waitFor();
  const reads = () => peer.lines.filter((l) => /^\d+ /.test(l)).map((l) => ({ ms: Number(l.split(' ')[0]), hex: l.split(' ').slice(1).join(' ') }));
  return { page, peer, reads, sends };
}

/** Fills the sequence dialog: `steps` as [source, text, delayMs], source 'text', 'hex' or a quick message's label. */
async function makeSequence(page, name, steps) {
  await page.getByTestId('new-sequence').click();
  const dialog = page.getByTestId('sequence-dialog');
  await dialog.getByTestId('sequence-name').fill(name);
  for (const [i, [source, text, delayMs]] of steps.entries()) {
    if (i > 0) await dialog.getByTestId('add-step').click();
    const row = dialog.getByTestId('sequence-step').nth(i);
    await row.getByTestId('step-source').selectOption(source === 'text' || source === 'hex' ? source : { label: `☆ ${source}` });
    if (text !== undefined) await row.getByTestId('step-text').fill(text);
    await row.getByTestId('step-delay').fill(String(delayMs));
  }
  return dialog;
}

describeInChromium('sequences, as NetAssist users work a command list', (browser) => {

  test('a sequence sends a quick message, hex and text in order, each after the pause before it, and survives a reload', async (t) => {
    const { page, reads, sends } = await timedClient(t, browser());
    const dialog = await makeSequence(page, 'boot', [['AT\\r\\n', undefined, 300], ['hex', '01 02', 300], ['text', 'bye\\n', 0]]);
    await shot(page, 'sequence-dialog');
    await dialog.getByTestId('save-sequence').click();
    await dialog.waitFor({ state: 'detached' });
    await page.reload();
    await page.getByTestId('run-sequence-boot').click();
    await waitFor(() => reads().length >= 3, { what: 'three reads at the python3 client', detail: () => JSON.stringify(reads()) });
    const got = reads();
    assert.deepEqual(got.map((r) => r.hex), ['41 54 0d 0a', '01 02', '62 79 65 0a'], 'the quick message (AT + CRLF), the hex, the text with its escape');
    assert.deepEqual(sends.map((e) => e.bytes), [4, 2, 4], 'the server wrote each step once');
    for (const i of [1, 2]) {
      const gap = sends[i].ts - sends[i - 1].ts;
      assert.ok(gap >= 295, `the server wrote step ${i + 1} ${gap} ms after step ${i}, not after its 300 ms pause`);
    }
    await page.getByTestId('toast').filter({ hasText: 'sent the sequence “boot”' }).waitFor();
  });

  test('Stop ends a sequence during a pause: the steps after it are never sent', async (t) => {
    const { page, peer, reads } = await timedClient(t, browser());
    const dialog = await makeSequence(page, 'slow', [['text', 'one', 60_000], ['text', 'two', 0]]);
    await dialog.getByTestId('save-sequence').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('run-sequence-slow').click();
    await waitFor(() => reads().length >= 1, { what: 'step 1 at the python3 client' });
    await page.getByTestId('sequence-progress').filter({ hasText: '1/2' }).waitFor();
    await page.getByTestId('stop-sequence-slow').click();
    await page.getByTestId('toast').filter({ hasText: 'stopped the sequence “slow” at step 1 of 2' }).waitFor();
    await page.getByTestId('run-sequence-slow').waitFor();
    // a marker after the stop: once it is in, step 2 would have been before it
    await send(page, 'end', { mode: 'text', eol: 'none' });
    await waitFor(() => reads().length >= 2, { what: 'the marker at the python3 client', detail: () => peer.lines.join('\n') });
    assert.deepEqual(reads().map((r) => r.hex), ['6f 6e 65', '65 6e 64']);
  });

  test('two fields of a step edited before the page draws again both stay (a paste then a tab, a busy machine)', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    await page.getByTestId('new-sequence').click();
    const dialog = page.getByTestId('sequence-dialog');
    await dialog.getByTestId('sequence-name').fill('fast');
    // one task, so no frame is drawn between the two edits
    await page.evaluate(() => {
      const step = document.querySelector('[data-testid=sequence-step]');
      for (const [id, value] of [['step-text', 'ping'], ['step-delay', '250']]) {
        const input = step.querySelector(`[data-testid=${id}]`);
        input.value = value;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await dialog.getByTestId('save-sequence').click();
    await dialog.waitFor({ state: 'detached', timeout: 5000 }).catch(async () => {
      assert.fail(`the dialog stayed open: ${await dialog.locator('.field-error').allInnerTexts()}`);
    });
    await page.getByTestId('run-sequence-fast').waitFor();
    await page.locator('[aria-label="Edit sequence fast"]').click();
    assert.equal(await dialog.getByTestId('step-text').inputValue(), 'ping');
    assert.equal(await dialog.getByTestId('step-delay').inputValue(), '250');
  });

  test('a step the dialog cannot send is refused beside it, and nothing is saved', async (t) => {
    const ui = await uiFor(t);
    const page = await openApp(t, browser(), ui.url);
    const dialog = await makeSequence(page, 'bad', [['hex', '01 0g', 10]]);
    await dialog.getByTestId('save-sequence').click();
    await dialog.locator('.step-error', { hasText: /step 1: hex: 'g' at position 5 is not a hex digit/ }).waitFor();
    await dialog.getByTestId('sequence-step').getByTestId('step-text').fill('01 02');
    await dialog.getByTestId('save-sequence').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('run-sequence-bad').waitFor();
  });
});
