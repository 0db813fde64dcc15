// `sockit proxy --ws`: python websockets on both sides of the relay; frames shown with their type and direction, close codes carried, refusals passed on.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { WebSocket, WebSocketServer } from 'ws';
import { closedPort, spawnCli, runCli } from '../helpers/index.mjs';
import { startWsProxy } from '../../dist/index.js';
import { requireWebsockets, runPy, startPyPeer } from './helpers.mjs';

/** `sockit proxy --ws 0 127.0.0.1:<port> --json`; resolves with the handle and its port. */
async function wsProxyCli(t, targetPort, args = []) {
  const p = spawnCli(t, ['proxy', '--ws', '0', `127.0.0.1:${targetPort}`, '-H', '127.0.0.1', '--json', ...args]);
  return { p, port: await p.port() };
}

test('python websockets through sockit proxy --ws to a python websockets server: frames, their types and directions, the close code', async (t) => {
  if (!requireWebsockets(t)) return;
  const server = await startPyPeer(t, 'ws_echo_server.py');
  const { p, port } = await wsProxyCli(t, server.port);
  const r = await runPy('ws_client.py', [`ws://127.0.0.1:${port}/chat?room=1`, '--subprotocol', 'superchat', '--header', 'X-Trace: abc', 'hello', 'fragments:hey', '--expect', '2', '--close-code', '4001']);
  assert.equal(r.code, 0, r.stderr);
  // the client got what the server sent through the relay, its subprotocol, and its close
  assert.equal(r.stdout, "subprotocol superchat\nrecv text 'hello'\nrecv text 'hey'\nclosed 4001 done\n");
  const connect = await p.waitEvent((e) => e.event === 'connect');
  assert.equal(connect.handshake.path, '/chat?room=1');
  assert.equal(connect.handshake.subprotocol, 'superchat');
  assert.equal(connect.handshake.headers['x-trace'], 'abc');
  const target = await p.waitEvent((e) => e.event === 'target');
  assert.equal(target.target, `ws://127.0.0.1:${server.port}/chat?room=1`);
  const up = await p.waitEvent((e) => e.event === 'data' && e.direction === 'up' && e.text === 'hello');
  assert.equal(up.opcode, 'text');
  // the server's fragments arrive at the relay as one message, shown once
  await p.waitEvent((e) => e.event === 'data' && e.direction === 'down' && e.text === 'hey');
  const close = await p.waitEvent((e) => e.event === 'close');
  assert.equal(close.closedBy, 'client');
  assert.deepEqual(close.closeFrame, { code: 4001, reason: 'done', by: 'peer' });
  assert.match(close.reason, /client closed with 4001/);
});

test('binary frames, pings and pongs cross the relay as they are; a slow reader holds the writer back', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
  t.after(() => wss.close());
  wss.on('connection', (ws) => {
    ws.on('message', (data, binary) => ws.send(data, { binary }));
    ws.on('ping', (d) => ws.pong(d));
  });
  await new Promise((r) => wss.once('listening', r));
  const events = [];
  const proxy = await startWsProxy({ port: 0, host: '127.0.0.1', targetHost: '127.0.0.1', targetPort: wss.address().port }, (e) => events.push(e));
  t.after(() => proxy.close(100));
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/`);
  t.after(() => ws.terminate());
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const got = new Promise((resolve) => ws.once('message', (data, binary) => resolve({ data, binary })));
  ws.send(Buffer.from([0, 1, 0xff]), { binary: true });
  const echo = await got;
  assert.equal(echo.binary, true);
  assert.deepEqual([...echo.data], [0, 1, 0xff]);
  const pong = new Promise((resolve) => ws.once('pong', resolve));
  ws.ping(Buffer.from('p1'));
  assert.equal(String(await pong), 'p1', "the server's pong came back through the relay");
  const controls = events.filter((e) => e.event === 'control').map((e) => `${e.opcode} ${e.way}`);
  assert.deepEqual(controls, ['ping up', 'pong down']);
  assert.deepEqual(events.filter((e) => e.event === 'data').map((e) => [e.direction, e.opcode, e.bytes]), [['up', 'binary', 3], ['down', 'binary', 3]]);
  assert.deepEqual(proxy.connections().map((c) => [c.id, c.bytesIn, c.bytesOut]), [[1, 3, 3]]);
});

test('a target that refuses the upgrade, or is down: the client gets the answer, the proxy serves on', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: ({ req }) => req.url === '/ok' });
  t.after(() => wss.close());
  wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
  await new Promise((r) => wss.once('listening', r));
  const { p, port } = await wsProxyCli(t, wss.address().port);
  const refused = await new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/nope`);
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.once('error', () => {});
  });
  assert.equal(refused, 401, "the target's own refusal");
  const shown = await p.waitEvent((e) => e.event === 'request');
  assert.match(shown.note, /the target .* answered HTTP 401/);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ok`);
  t.after(() => ws.terminate());
  const answer = await new Promise((resolve, reject) => {
    ws.once('open', () => ws.send('still here'));
    ws.once('message', (d) => resolve(String(d)));
    ws.once('error', reject);
  });
  assert.equal(answer, 'still here');

  const down = await wsProxyCli(t, await closedPort());
  const status = await new Promise((resolve) => {
    const w = new WebSocket(`ws://127.0.0.1:${down.port}/`);
    w.once('unexpected-response', (_req, res) => resolve(res.statusCode));
    w.once('error', () => {});
  });
  assert.equal(status, 502, 'a target that is down: 502 Bad Gateway');
  const error = await down.p.waitEvent((e) => e.event === 'error');
  assert.equal(error.code, 'SOCKIT_ERR_REFUSED');

  const bad = await runCli(['proxy', '--ws', '0', '127.0.0.1:80', '--latency', '100']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /faults are for TCP and UDP relays/);
  const frame = await runCli(['proxy', '--ws', '0', '127.0.0.1:80', '--frame', 'line']);
  assert.equal(frame.code, 2);
  assert.match(frame.stderr, /--frame: not for --ws/);
});
