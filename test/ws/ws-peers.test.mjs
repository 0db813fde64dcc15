// sockit's WebSocket server and client against other implementations: python3-websockets both ways, curl's refused handshakes, an HTTP CONNECT proxy, many clients at once.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connectWs, listenWs } from '../../dist/index.js';
import { hasCommand, run, runCli, spawnCli } from '../helpers/index.mjs';
import { recorder, requireWebsockets, runPy, startPyPeer } from './helpers.mjs';

const T = { timeout: 90_000 };

test('python websockets client → ws listen --echo: text, binary, fragments, the chosen subprotocol', T, async (t) => {
  if (!requireWebsockets(t)) return;
  const srv = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--echo', '--subprotocol', 'superchat', '--path', '/py', '--json']);
  const port = await srv.port();
  const url = `ws://127.0.0.1:${port}/py`;
  const text = await runPy('ws_client.py', [url, '--subprotocol', 'chat', '--subprotocol', 'superchat', '--origin', 'http://py.example', 'héllo', '世界']);
  assert.equal(text.code, 0, text.stderr);
  assert.deepEqual(text.stdout.trim().split('\n'), ['subprotocol superchat', "recv text 'héllo'", "recv text '世界'", 'closed 1000 done']);
  const binary = await runPy('ws_client.py', [url, '--binary', 'AB']);
  assert.match(binary.stdout, /recv binary 4142/);
  const frags = await runPy('ws_client.py', [url, '--fragments', 'one message']);
  assert.match(frags.stdout, /recv text 'one message'/);
  const connect = await srv.waitEvent((e) => e.event === 'connect' && e.handshake.origin === 'http://py.example');
  assert.equal(connect.handshake.subprotocol, 'superchat');
  assert.match(connect.handshake.headers['user-agent'], /Python.*websockets/);
  await srv.waitEvent((e) => e.event === 'data' && e.text === 'one message' && e.opcode === 'text');
  const closes = () => srv.events.filter((e) => e.event === 'close');
  await srv.waitEvent((e) => e.event === 'close' && closes().length === 3);
  for (const c of closes()) assert.deepEqual(c.closeFrame, { code: 1000, reason: 'done', by: 'peer' });
});

test('ws connect → python websockets server: fragments arrive as one message; the close code and reason are shown on exit', T, async (t) => {
  if (!requireWebsockets(t)) return;
  const peer = await startPyPeer(t, 'ws_echo_server.py');
  const url = `ws://127.0.0.1:${peer.port}/`;
  const r = await runCli(['ws', 'connect', url, '--subprotocol', 'chat', '-s', 'fragments:abc', '-s', 'plain', '--wait', '500', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.find((e) => e.event === 'connect').handshake.subprotocol, 'chat');
  assert.deepEqual(events.filter((e) => e.event === 'data').map((e) => e.text), ['abc', 'plain']);

  const closed = await runCli(['ws', 'connect', url, '-s', 'close:4001:we are done', '--wait', '3000']);
  assert.equal(closed.code, 0, closed.stderr);
  assert.match(closed.stderr, /connection closed \(closed by peer; received 4001 "we are done"\)/);
});

test('the python client sends a fragmented message: sockit reassembles it before --reply sees it', T, async (t) => {
  if (!requireWebsockets(t)) return;
  const rec = recorder();
  const s = await listenWs({ port: 0, host: '127.0.0.1', reply: '[{data}]' }, rec.onEvent);
  t.after(() => s.close(100));
  const r = await runPy('ws_client.py', [`ws://127.0.0.1:${s.port}/`, '--fragments', 'pieces']);
  assert.match(r.stdout, /recv text '\[pieces\]'/);
  assert.equal(rec.events.filter((e) => e.event === 'data').length, 1);
});

test('curl: the refused handshakes (bad path, bad origin, no upgrade) get their HTTP status and are logged', { ...T, skip: !hasCommand('curl') && 'curl is not installed' }, async (t) => {
  const srv = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--path', '/ws', '--origin', 'https://good.example', '--json']);
  const port = await srv.port();
  const upgrade = ['-H', 'Connection: Upgrade', '-H', 'Upgrade: websocket', '-H', 'Sec-WebSocket-Version: 13', '-H', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
  const curl = (path, extra = []) => run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', ...extra, `http://127.0.0.1:${port}${path}`]);
  assert.equal((await curl('/nope', [...upgrade, '-H', 'Origin: https://good.example'])).stdout, '404');
  assert.equal((await curl('/ws', [...upgrade, '-H', 'Origin: https://evil.example'])).stdout, '403');
  assert.equal((await curl('/ws')).stdout, '426');
  assert.equal((await curl('/ws', ['-H', 'Connection: Upgrade', '-H', 'Upgrade: websocket', '-H', 'Origin: https://good.example'])).stdout, '400');
  // the right path and origin: curl sees the switch to WebSocket
  const ok = await run('curl', ['-s', '-i', '--max-time', '1', ...upgrade, '-H', 'Origin: https://good.example', `http://127.0.0.1:${port}/ws`]);
  assert.match(ok.stdout, /^HTTP\/1\.1 101 Switching Protocols/);
  assert.match(ok.stdout, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  const notes = () => srv.events.filter((e) => e.event === 'request').map((e) => `${e.status} ${e.note}`);
  await srv.waitEvent((e) => e.event === 'request' && e.status === 400);
  assert.deepEqual(notes().map((n) => n.split(' ')[0]), ['404', '403', '426', '400']);
  assert.match(notes()[1], /origin https:\/\/evil\.example is not allowed/);
});

test('ws connect --proxy goes through an HTTP CONNECT proxy; a proxy that cannot reach the target is said so', T, async (t) => {
  const proxy = await startPyPeer(t, 'http_connect_proxy.py');
  const rec = recorder();
  const s = await listenWs({ port: 0, host: '127.0.0.1', echo: true }, rec.onEvent);
  t.after(() => s.close(100));
  const r = await runCli(['ws', 'connect', `ws://127.0.0.1:${s.port}/via`, '--proxy', `http://127.0.0.1:${proxy.port}`, '-s', 'through', '--wait', '300']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'through\n');
  assert.match(proxy.stdout, new RegExp(`tunnel 127\\.0\\.0\\.1:${s.port}`));
  const closed = await (await import('../helpers/index.mjs')).closedPort();
  const bad = await runCli(['ws', 'connect', `ws://127.0.0.1:${closed}/`, '--proxy', `127.0.0.1:${proxy.port}`, '-s', 'x']);
  assert.equal(bad.code, 4);
  assert.match(bad.stderr, /the proxy 127\.0\.0\.1:\d+ refused to open a tunnel to 127\.0\.0\.1:\d+: HTTP 502 Bad Gateway \[SOCKIT_ERR_PROXY\]/);
});

test('1,000 python clients at once, each answered; the summary counts them all', { timeout: 180_000 }, async (t) => {
  if (!requireWebsockets(t)) return;
  const limit = Number(spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());
  assert.ok(!(limit < 1100), `the open files limit (${limit}) must allow 1,000 sockets in one process`);
  const srv = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const port = await srv.port();
  const r = await runPy('ws_many_clients.py', [`ws://127.0.0.1:${port}/`, 1000], { timeoutMs: 150_000 });
  assert.equal(r.stdout.split('\n')[0], '1000/1000 ok', r.stdout + r.stderr);
  await srv.stop('SIGINT');
  const summary = srv.events.find((e) => e.event === 'summary');
  assert.equal(summary.connections, 1000);
  assert.equal(summary.messagesIn, 1000);
  assert.equal(srv.events.filter((e) => e.event === 'data').length, 0, '--quiet shows no messages');
});

test('sockit client and server together: 200 clients of the library at once', T, async (t) => {
  const s = await listenWs({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => s.close(100));
  const clients = await Promise.all(Array.from({ length: 200 }, () => connectWs({ url: `ws://127.0.0.1:${s.port}/` })));
  t.after(() => Promise.all(clients.map((c) => c.close(1000, '', true))));
  assert.equal(s.clients().length, 200);
  const echoes = clients.map((c, i) => new Promise((resolve) => c.on('event', (e) => e.event === 'data' && e.text === `n${i}` && resolve())));
  await Promise.all(clients.map((c, i) => c.send(Buffer.from(`n${i}`))));
  await Promise.all(echoes);
});
