// A proxy driven through the bridge as a page drives it: created from a spec, its connections listed, its faults changed, one connection reset.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { waitFor } from '../helpers/index.mjs';
import { collect, echoTarget } from '../helpers/relay.mjs';
import { openPage, uiServer } from './helpers.mjs';

test('a page creates a proxy, sees both directions, changes its faults and resets a connection', async (t) => {
  const echo = await echoTarget(t);
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const created = await page.request({
    type: 'create',
    spec: { kind: 'proxy', host: '127.0.0.1', port: 0, target: `127.0.0.1:${echo.port}`, encoding: 'utf8', frame: 'line', faults: { down: { latencyMs: 50 } } },
  });
  assert.equal(created.ok, true, JSON.stringify(created));
  const info = created.session;
  assert.equal(info.kind, 'proxy');
  assert.equal(info.peer, `127.0.0.1:${echo.port}`);
  assert.deepEqual(info.faults.down, { latencyMs: 50 });

  const c = net.connect({ port: info.port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => c.destroy());
  const got = collect(c);
  c.write('hello\n');
  await got.until(6);
  const up = await page.waitEvent((e) => e.event === 'data' && e.direction === 'up');
  assert.equal(up.text, 'hello');
  await page.waitEvent((e) => e.event === 'data' && e.direction === 'down');
  await page.waitEvent((e) => e.event === 'target' && e.id === 1);
  const stats = await page.waitFor((m) => m.type === 'stats' && m.sessions[info.id]?.clients?.length === 1);
  assert.equal(stats.sessions[info.id].clients[0].target, `127.0.0.1:${echo.port}`);

  const bad = await page.request({ type: 'faults', session: info.id, faults: { up: { loss: 3 } } });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.field, 'faults');
  assert.match(bad.error.message, /up\.loss must be a probability/);

  const changed = await page.request({ type: 'faults', session: info.id, faults: { up: { latencyMs: 200 }, down: { latencyMs: 0 } } });
  assert.equal(changed.ok, true);
  assert.deepEqual(changed.session.faults.up, { latencyMs: 200 });
  assert.deepEqual(changed.session.faults.down, {});
  await page.waitEvent((e) => e.event === 'faults' && e.up.latencyMs === 200);
  const started = performance.now();
  c.write('again\n');
  await got.until(12);
  assert.ok(performance.now() - started >= 200, 'the new latency holds on the open connection');

  const reset = await page.request({ type: 'disconnect', session: info.id, client: 1, reset: true });
  assert.equal(reset.ok, true);
  await got.end();
  assert.equal(got.error?.code, 'ECONNRESET');
  const close = await page.waitEvent((e) => e.event === 'close' && e.id === 1);
  assert.equal(close.closedBy, 'proxy');
  assert.equal(close.how, 'rst');
  await waitFor(() => ui.bridge.hub.stats()[info.id].clients.length === 0, { what: 'the connection to leave the list' });

  const sendRefused = await page.request({ type: 'send', session: info.id, target: 'all', payload: { kind: 'text', text: 'x' } });
  assert.equal(sendRefused.ok, false);
  assert.match(sendRefused.error.message, /nothing of its own to send/);
});

test('a page creates a WebSocket proxy: frames with their type and direction, no faults to change, a connection cut from the page', async (t) => {
  const { WebSocket, WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => wss.close());
  wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
  await new Promise((r) => wss.once('listening', r));
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const refused = await page.request({ type: 'create', spec: { kind: 'proxy', port: 0, target: `127.0.0.1:${wss.address().port}`, encoding: 'utf8', frame: 'raw', ws: true, faults: { up: { latencyMs: 10 } } } });
  assert.equal(refused.ok, false);
  assert.equal(refused.error.field, 'faults');
  const created = await page.request({ type: 'create', spec: { kind: 'proxy', host: '127.0.0.1', port: 0, target: `127.0.0.1:${wss.address().port}`, encoding: 'utf8', frame: 'raw', ws: true } });
  assert.equal(created.ok, true, JSON.stringify(created));
  const info = created.session;
  assert.equal(info.peer, `ws://127.0.0.1:${wss.address().port}`);

  const ws = new WebSocket(`ws://127.0.0.1:${info.port}/feed`);
  t.after(() => ws.terminate());
  const echo = await new Promise((resolve, reject) => {
    ws.once('open', () => ws.send('hi'));
    ws.once('message', (d) => resolve(String(d)));
    ws.once('error', reject);
  });
  assert.equal(echo, 'hi');
  const up = await page.waitEvent((e) => e.event === 'data' && e.direction === 'up');
  assert.equal(up.opcode, 'text');
  assert.equal(up.text, 'hi');
  await page.waitEvent((e) => e.event === 'data' && e.direction === 'down' && e.text === 'hi');
  const target = await page.waitEvent((e) => e.event === 'target');
  assert.equal(target.target, `ws://127.0.0.1:${wss.address().port}/feed`);

  const faults = await page.request({ type: 'faults', session: info.id, faults: { up: { latencyMs: 10 } } });
  assert.equal(faults.ok, false);
  assert.match(faults.error.message, /only a TCP or UDP proxy has faults/);

  const closed = new Promise((resolve) => ws.once('close', resolve));
  const cut = await page.request({ type: 'disconnect', session: info.id, client: 1, reset: false });
  assert.equal(cut.ok, true);
  assert.equal(await closed, 1001, 'closed with going away');
  const close = await page.waitEvent((e) => e.event === 'close' && e.id === 1);
  assert.equal(close.closedBy, 'proxy');
});
