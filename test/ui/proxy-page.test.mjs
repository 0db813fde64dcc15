// A proxy made from the page in a real Chromium: both directions in two colours, connection rows that close and reset, fault sliders that change a running relay.
import { describe, test, before, after } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { startUi } from '../../dist/bridge/ui-server.js';
import { ROOT, skipUnless, waitFor } from '../helpers/index.mjs';
import { collect, echoTarget } from '../helpers/relay.mjs';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'ui');
const skip = skipUnless('chromium');

let browser;
let ui;

async function openApp(t) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  t.after(() => context.close());
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  t.after(() => assert.deepEqual(problems.filter((p) => !/favicon|403/.test(p)), [], 'no errors in the page'));
  await page.goto(ui.url);
  await page.getByTestId('link-status').filter({ hasText: 'connected' }).waitFor();
  return page;
}

/** Fills the proxy form and starts it; resolves with the port it listens on. */
async function createProxy(page, fields) {
  await page.getByTestId('new-session').click();
  const dialog = page.getByTestId('new-dialog');
  await dialog.locator('[data-kind="proxy"]').click();
  for (const [name, value] of Object.entries(fields)) {
    const el = dialog.locator(`[name="${name}"]`);
    if (typeof value === 'boolean') await el.setChecked(value);
    else if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
    else await el.fill(String(value));
  }
  await page.getByTestId('start-session').click();
  await dialog.waitFor({ state: 'detached' });
  const state = page.getByTestId('state');
  await state.filter({ hasText: /listening/ }).waitFor();
  return Number(/port (\d+)/.exec(await state.textContent())[1]);
}

function connect(t, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
    t.after(() => s.destroy());
  });
}

/** Moves a fault slider to the step whose label reads `label`. */
async function slide(page, field, label) {
  const slider = page.getByTestId(`fault-${field}`);
  const max = Number(await slider.getAttribute('max'));
  for (let i = 0; i <= max; i++) {
    await slider.evaluate((el, v) => {
      el.value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, i);
    const shown = await page.locator(`output[for="${await slider.getAttribute('id')}"]`).textContent();
    if (shown === label) {
      await slider.evaluate((el) => el.dispatchEvent(new Event('change', { bubbles: true })));
      return;
    }
  }
  throw new Error(`no step of ${field} reads ${label}`);
}

describe('a proxy in the assistant', { skip }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    ui = await startUi({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  test('the form checks the target with the CLI\'s parser before anything is sent', async (t) => {
    const page = await openApp(t);
    await page.getByTestId('new-session').click();
    const dialog = page.getByTestId('new-dialog');
    await dialog.locator('[data-kind="proxy"]').click();
    await dialog.locator('[name="target"]').fill('127.0.0.1:0');
    await dialog.locator('[name="latency"]').fill('soon');
    await page.getByTestId('start-session').click();
    await dialog.locator('.field.invalid', { hasText: /port must be a whole number from 1 to 65535/ }).waitFor();
    await dialog.locator('.field.invalid', { hasText: /latency must be milliseconds/ }).waitFor();
  });

  test('both directions in two colours; a latency slider slows the round trip; reset and close buttons end one connection each', async (t) => {
    const echo = await echoTarget(t);
    const page = await openApp(t);
    const port = await createProxy(page, { host: '127.0.0.1', port: 0, target: `127.0.0.1:${echo.port}`, frame: 'line' });

    const a = await connect(t, port);
    const gotA = collect(a);
    a.write('ping through the page\n');
    await gotA.until(22);
    const up = page.locator('.log .row.up', { hasText: 'ping through the page' }).first();
    const down = page.locator('.log .row.down', { hasText: 'ping through the page' }).first();
    await up.waitFor();
    await down.waitFor();
    assert.equal(await up.locator('.dir').textContent(), '→');
    assert.equal(await down.locator('.dir').textContent(), '←');
    const colour = (row) => row.locator('.dir').evaluate((el) => getComputedStyle(el).color);
    assert.notEqual(await colour(up), await colour(down), 'the two directions in two colours');
    await page.locator('[data-testid=relay-connections] .relay-conn[data-id="1"]').waitFor();

    // 300 ms on the way up, set while the connection is open
    await page.getByTestId('fault-dir-up').click();
    await slide(page, 'latencyMs', '300 ms');
    await page.getByTestId('fault-summary').filter({ hasText: '→ latency 300 ms' }).waitFor();
    const started = performance.now();
    a.write('slow\n');
    await gotA.until(27);
    const rtt = performance.now() - started;
    assert.ok(rtt >= 300, `round trip ${rtt.toFixed(0)} ms after the slider said 300 ms`);
    await page.locator('.log .row', { hasText: 'faults: up: latency 300 ms' }).first().waitFor();
    await page.getByTestId('fault-clear').click();
    await page.getByTestId('fault-summary').filter({ hasText: '→ none · ← none' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'proxy.png') });

    // reset: RST to the client (and the target)
    await page.getByTestId('relay-reset-1').click();
    await gotA.end();
    assert.equal(gotA.error?.code, 'ECONNRESET');
    await page.locator('.log .row', { hasText: 'reset from the page' }).first().waitFor();

    // close: a FIN, and the answer to what was sent before it still arrives
    const b = await connect(t, port);
    const gotB = collect(b);
    await page.locator('[data-testid=relay-connections] .relay-conn[data-id="2"]').waitFor();
    await page.getByTestId('relay-close-2').click();
    await gotB.end();
    assert.equal(gotB.error, undefined, 'closed with a FIN');
    await waitFor(async () => (await page.locator('[data-testid=relay-connections] .relay-conn').count()) === 0 || (await page.locator('[data-testid=relay-connections]').count()) === 0, { what: 'the connection rows to go' });
  });

  test('a WebSocket proxy: frames tagged with their type in the two colours, no fault sliders', async (t) => {
    const { WebSocket, WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    t.after(() => wss.close());
    wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
    await new Promise((r) => wss.once('listening', r));
    const page = await openApp(t);
    const port = await createProxy(page, { host: '127.0.0.1', port: 0, target: `127.0.0.1:${wss.address().port}`, ws: true });
    await page.locator('h1, .title, [data-testid=session-title]', { hasText: 'WebSocket proxy' }).first().waitFor();
    assert.equal(await page.getByTestId('faults').count(), 0, 'no fault sliders for a WebSocket relay');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    t.after(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', () => ws.send('frame through the page'));
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    const up = page.locator('.log .row.up', { hasText: 'frame through the page' }).first();
    const down = page.locator('.log .row.down', { hasText: 'frame through the page' }).first();
    await up.waitFor();
    await down.waitFor();
    assert.match(await up.textContent(), /text/, 'the frame type is shown');
    await page.locator('[data-testid=relay-connections] .relay-conn[data-id="1"]').waitFor();
  });
});
