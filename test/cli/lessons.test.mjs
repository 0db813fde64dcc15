// The classic socket lessons, each answered by one sockit command, against python3 peers written like the lessons.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { spawnCli, runCli, runPeer, startPeer, peerOutput, within, requirePeer } from '../helpers/index.mjs';
import { runCliOnTerminal } from '../helpers/pty.mjs';

test('lesson 1: a GBK client greets; sockit shows the text exactly and answers in GBK', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--encoding', 'gbk', '--reply', '收到:{data}', '--json']);
  const port = await server.port();
  const client = await runPeer('lesson_gbk_client.py', ['127.0.0.1', port]);
  assert.equal(client.code, 0, client.stderr);
  assert.equal(client.stdout.trim(), '收到:你好服务端,我是客户端小黑!');
  const data = await server.waitEvent((e) => e.event === 'data');
  assert.equal(data.text, '你好服务端,我是客户端小黑!');
  assert.equal(data.hex.slice(0, 8), 'c4e3bac3'); // 你好 in GBK
});

test('lesson 1, readable output: the data line shows the Chinese text', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--encoding', 'gbk', '--reply', 'ok']);
  await server.waitStdout('listening on 127.0.0.1 port ');
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  await runPeer('lesson_gbk_client.py', ['127.0.0.1', port]);
  await server.waitStdout(/#1 127\.0\.0\.1:\d+ ← 26 B 你好服务端,我是客户端小黑!/);
});

test('lesson 2: a one-shot GBK server; sockit tcp connect sends and shows the answer on a terminal', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const peer = await startPeer(t, 'lesson_oneshot_server.py');
  const r = await runCliOnTerminal(['tcp', 'connect', '127.0.0.1', String(peer.port), '--encoding', 'gbk', '--send', 'I Love Python!']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d\d:\d\d:\d\d\.\d{3} → I Love Python!\n\d\d:\d\d:\d\d\.\d{3} ← 信息已收到,over!\n$/);
  await peerOutput(peer, /from client: I Love Python!/);
  assert.equal((await within(peer.exited, { what: 'the one-shot server to exit' })).code, 0);
});

test('lesson 2 into a pipe: the answer\'s bytes as the server sent them, in GBK', async (t) => {
  const peer = await startPeer(t, 'lesson_oneshot_server.py');
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(peer.port), '--encoding', 'gbk', '--send', 'I Love Python!']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.raw.toString('hex'), 'd0c5cfa2d2d1cad5b5bd2c6f76657221'); // 信息已收到,over! in GBK
});

test('lesson 3: greet, answer each name, close on exit, several clients at once', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--welcome', 'Welcome!', '--reply', 'Hello, {data}!', '--quit', 'exit', '--json']);
  const port = await server.port();
  const names = ['alice', 'bob', 'carol', 'dave', 'erin'];
  const results = await Promise.all(names.map((n) => runPeer('lesson_name_client.py', ['127.0.0.1', port, n])));
  results.forEach((r, i) => {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Welcome!\nHello, ${names[i]}!\nclosed\n`);
  });
  await server.waitEvent((e) => e.event === 'close' && /quit word/.test(e.reason));
});

test('lesson 4: ACK! and hang up, hundreds of simultaneous clients', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--reply', 'ACK!', '--close', '--quiet', '--json']);
  const port = await server.port();
  const r = await runPeer('lesson_many_clients.py', ['127.0.0.1', port, 300, 'ACK!'], { timeoutMs: 60000 });
  assert.equal(r.stdout.trim(), '300/300 ok', r.stderr);
  const { code } = await server.stop('SIGINT');
  assert.equal(code, 0);
  const summary = await server.waitEvent((e) => e.event === 'summary');
  assert.equal(summary.connections, 300);
  assert.equal(summary.bytesOut, 300 * 4);
});

test('lesson 5: Server received your data', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--reply', 'Server received your data: {data}', '--json']);
  const port = await server.port();
  const r = await runPeer('lesson_data_client.py', ['127.0.0.1', port, 'hello sockit']);
  assert.equal(r.stdout.trim(), 'Server received your data: hello sockit');
});
