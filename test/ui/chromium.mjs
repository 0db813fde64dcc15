// Driving the assistant in Debian's Chromium: one browser per test file, a fresh page per test, forms, sends and real peers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { ROOT, PEERS, skipUnless, waitFor } from '../helpers/index.mjs';
import { describe, before, after } from '../helpers/test.mjs';
import { startUi } from '../../dist/bridge/ui-server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-output', 'ui');

/** For describe(): the reason to skip without Chromium (a failure with CI=true). */
export const skipWithoutChromium = () => skipUnless('chromium');

/** Launches headless Chromium as the suite runs it (no sandbox in containers, nothing fetched). */
export async function launchChromium() {
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // a name that resolves to 127.0.0.1, as a DNS-rebinding attacker's would
      '--host-resolver-rules=MAP rebind.test 127.0.0.1',
    ],
  });
}

/**
 * describe() with one headless Chromium shared by its tests (skipped with the reason when there is
 * none); `body` gets a function that returns the browser.
 */
export function describeInChromium(name, body) {
  let browser;
  describe(name, { skip: skipWithoutChromium() }, () => {
    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
    });
    body(() => browser);
  });
}

/**
 * A fresh context (own storage) with a page at `url`, waiting until the page is connected.
 * Errors in the page fail the test, except those `allow` matches.
 */
export async function openApp(t, browser, url, { colorScheme = 'light', viewport = { width: 1440, height: 900 }, allow, context } = {}) {
  let ctx = context;
  if (!ctx) {
    ctx = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
    t.after(() => ctx.close());
    ctx.setDefaultTimeout(10_000);
  }
  const page = await ctx.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  // the UI server may stop before the page does (hooks run in order): its reconnect attempts are refused or reset then
  t.after(() => assert.deepEqual(problems.filter((p) => !/favicon|403|ERR_CONNECTION_(REFUSED|RESET)/.test(p) && !(allow && allow.test(p))), [], 'no errors in the page'));
  await page.goto(url);
  // attached, not visible: on a narrow window the status is in the closed sessions drawer
  await page.getByTestId('link-status').filter({ hasText: 'connected' }).waitFor({ state: 'attached' });
  return page;
}

/** Saves a screenshot under test-output/ui. */
export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Opens the new-session form for `kind` and fills `fields` (checkboxes by booleans, selects by value); resolves with the dialog. */
export async function fillForm(page, kind, fields) {
  await page.getByTestId('new-session').click();
  const dialog = page.getByTestId('new-dialog');
  await dialog.locator(`[data-kind="${kind}"]`).click();
  for (const [name, value] of Object.entries(fields)) {
    const el = dialog.locator(`[name="${name}"]`);
    if (typeof value === 'boolean') await el.setChecked(value);
    else if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
    else await el.fill(String(value));
  }
  return dialog;
}

/** Fills the new-session form and starts it; resolves with the port in the session's state line. */
export async function createSession(page, kind, fields) {
  const dialog = await fillForm(page, kind, fields);
  await page.getByTestId('start-session').click();
  await dialog.waitFor({ state: 'detached' });
  const state = page.getByTestId('state');
  await state.filter({ hasText: /listening|connected/ }).waitFor();
  const m = /port (\d+)/.exec(await state.textContent());
  return m ? Number(m[1]) : undefined;
}

/** A TCP client on 127.0.0.1 that collects what it receives; destroyed when the test ends. */
export async function tcpPeer(t, port) {
  const s = net.connect(port, '127.0.0.1');
  t.after(() => s.destroy());
  const p = { socket: s, received: Buffer.alloc(0) };
  s.on('data', (b) => (p.received = Buffer.concat([p.received, b])));
  s.on('error', () => {});
  p.closed = new Promise((r) => s.once('close', r));
  await new Promise((r) => s.once('connect', r));
  /** Waits until exactly `expected` has arrived (failing on anything else). */
  p.waitFor = async (expected) => {
    await waitFor(() => p.received.length >= expected.length, {
      what: `${expected.length} bytes at the client of port ${port}`,
      detail: () => `got ${p.received.length}: ${JSON.stringify(p.received.toString('latin1'))}`,
    });
    assert.deepEqual(p.received, expected);
  };
  return p;
}

/**
 * A python3 peer from test/peers that prints one line per thing it saw; killed when the test
 * ends. `lines` fills as it prints; `waitLine(re)` waits for a matching line.
 */
export function pythonPeer(t, script, args) {
  const child = spawn('python3', ['-u', join(PEERS, script), ...args.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const p = { child, lines: [], stderr: '' };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => {
    partial += s;
    let i;
    while ((i = partial.indexOf('\n')) >= 0) {
      p.lines.push(partial.slice(0, i));
      partial = partial.slice(i + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => (p.stderr += s));
  p.exited = new Promise((r) => child.once('exit', r));
  p.waitLine = (re, what = `a line matching ${re} from ${script}`) =>
    waitFor(() => p.lines.find((l) => re.test(l)), { what, detail: () => `lines: ${JSON.stringify(p.lines)}\nstderr: ${p.stderr}` });
  return p;
}

/** A UI server of this test's own (its sessions are the only ones the page lists), closed when the test ends. */
export async function uiFor(t, options = {}) {
  const ui = await startUi({ host: '127.0.0.1', port: 0, ...options });
  t.after(() => ui.close());
  return ui;
}

/**
 * The `send` events of every session of a UI server, as its hub emits them: the server's own clock
 * of what it wrote. Pauses are timed by these, not by a peer's reads, which come late on a busy
 * machine and shorten the gap they see.
 */
export function serverSends(ui) {
  const sends = [];
  ui.bridge.hub.on('event', (session, e) => {
    if (e.event === 'send') sends.push(e);
  });
  return sends;
}

/** A page on a UI server of its own with a TCP server session, and a python3 client (test/peers/tcp_hex_client.py) that the page lists. */
export async function pageWithHexClient(t, browser) {
  const ui = await uiFor(t);
  const page = await openApp(t, browser, ui.url);
  const port = await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0 });
  const peer = pythonPeer(t, 'tcp_hex_client.py', ['127.0.0.1', port]);
  await peer.waitLine(/^connected$/);
  await page.locator('[data-testid=clients] .client').first().waitFor();
  return { ui, page, port, peer };
}

/** The first log row of a direction (`in`, `out`, `sys`, `err`) holding `text`. */
export const logRow = (page, dir, text) => page.locator(`.log .row.${dir}`, { hasText: text }).first();

/** Types a message in the send box and presses Enter. */
export async function send(page, text, { mode = 'text', eol, target } = {}) {
  await page.getByTestId(`send-${mode}`).click();
  if (eol !== undefined) await page.getByTestId('eol').selectOption(eol);
  if (target !== undefined) await page.getByTestId('target').selectOption(target);
  await page.getByTestId('message').fill(text);
  await page.getByTestId('message').press('Enter');
}
