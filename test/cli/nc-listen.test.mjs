// tcp listen as nc -l users expect it: received bytes to a file (nc -l > file), a file to each client (nc -l < file), answers after the client half-closes.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { spawnCli, runCli, run, runPeer, requirePeer, tmpDir, exchange, waitFor, PEERS } from '../helpers/index.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');

test('tcp listen --out: every client\'s bytes land in the file exactly as they arrive, like nc -l > file', async (t) => {
  if (!requirePeer(t, 'nc')) return;
  const dir = tmpDir(t);
  const out = join(dir, 'received.bin');
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--out', out, '--json']);
  const port = await server.port();
  const first = randomBytes(200_000);
  const second = randomBytes(70_000);
  writeFileSync(join(dir, 'first.bin'), first);
  const sent = await run('sh', ['-c', `nc -N 127.0.0.1 ${port} < '${join(dir, 'first.bin')}'`]);
  assert.equal(sent.code, 0, sent.stderr);
  await server.waitEvent((e) => e.event === 'close' && e.id === 1);
  await exchange(port, second, { expect: 0 });
  await server.waitEvent((e) => e.event === 'close' && e.id === 2);
  assert.equal((await server.stop('SIGINT')).code, 0);
  assert.equal(sha(readFileSync(out)), sha(Buffer.concat([first, second])), 'the file holds both clients\' bytes, byte for byte');
  assert.ok(!server.events.some((e) => e.event === 'data'), 'the messages are in the file, not on stdout');
  // a path that cannot be written is refused before listening, naming the flag
  const bad = await runCli(['tcp', 'listen', '0', '--out', join(dir, 'no', 'such', 'x.bin')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: --out: cannot write '.*x\.bin': no such file or folder/m);
  assert.doesNotMatch(bad.stderr, /listening/);
});

test('tcp listen --out -: the bytes on stdout, what is said on stderr', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--out', '-']);
  await server.waitStderr(/listening on 127\.0\.0\.1 port \d+/);
  const port = Number(/port (\d+)/.exec(server.stderr)[1]);
  const bytes = 'raw bytes\x00 with no newline';
  await exchange(port, bytes, { expect: 0 });
  await server.waitStderr(/closed/);
  await waitFor(() => server.stdout.length >= bytes.length, { what: 'the bytes on stdout' });
  assert.equal((await server.stop('SIGINT')).code, 0);
  assert.equal(server.stdout, bytes, 'only the bytes reach stdout');
  assert.match(server.stderr, /#1 127\.0\.0\.1:\d+ connected/);
});

test('tcp listen --file: each client that connects gets the whole file, with progress, then a half-close (nc -l < file)', async (t) => {
  if (!requirePeer(t, 'nc')) return;
  const dir = tmpDir(t);
  const blob = randomBytes(1_500_000);
  const path = join(dir, 'firmware.bin');
  writeFileSync(path, blob);
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--file', path, '--json']);
  const port = await server.port();
  for (const n of [1, 2]) {
    const got = await run('sh', ['-c', `nc 127.0.0.1 ${port} < /dev/null > '${join(dir, `got${n}.bin`)}'`]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(sha(readFileSync(join(dir, `got${n}.bin`))), sha(blob), `client ${n} got the whole file`);
    await server.waitStderr(new RegExp(`#${n} sending .*firmware\\.bin: 1\\.50 MB in`));
  }
  assert.ok(!server.events.some((e) => e.event === 'send'), 'the chunks are told by the progress line only');
  assert.equal((await server.stop('SIGINT')).code, 0);
  mkdirSync(join(dir, 'folder'));
  for (const [arg, why] of [[join(dir, 'missing.bin'), /--file: cannot read '.*missing\.bin': no such file or folder/], [join(dir, 'folder'), /--file: '.*folder' is a folder; give a file/]]) {
    const bad = await runCli(['tcp', 'listen', '0', '--file', arg]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, why);
  }
});

test('tcp listen answers a client that has half-closed: the reply to its last line still arrives (nc -N, shutdown(SHUT_WR))', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line', '--reply', '{data}!\\n', '--json']);
  const port = await server.port();
  // the last line has no newline: it is a message once the client says it has finished
  const py = await runPeer('tcp_send_then_shutdown.py', ['127.0.0.1', port, 'one\ntwo']);
  assert.equal(py.code, 0, py.stderr);
  assert.equal(py.stdout, 'one!\ntwo!\n');
  // a rule's delayed answer to the last line still arrives after the client finished sending
  const delayed = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line', '--rule', 'last => delay:300 late {data}\\n', '--json']);
  const delayedPort = await delayed.port();
  const late = await runPeer('tcp_send_then_shutdown.py', ['127.0.0.1', delayedPort, 'first\nlast']);
  assert.equal(late.code, 0, late.stderr);
  assert.equal(late.stdout, 'late last\n');
  // a program answers after the client finished sending: its whole answer still arrives
  const upper = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--exec', "sed -u 's/.*/<&>/'", '--json']);
  const upperPort = await upper.port();
  const byPython = await runPeer('tcp_send_then_shutdown.py', ['127.0.0.1', upperPort, 'hello\nlast']);
  assert.equal(byPython.stdout, '<hello>\n<last>');
  if (!requirePeer(t, 'nc')) return;
  const byNc = await run('nc', ['-N', '127.0.0.1', String(upperPort)], { input: 'from nc\n' });
  assert.equal(byNc.code, 0, byNc.stderr);
  assert.equal(byNc.stdout, '<from nc>\n');
});

test('tcp listen --chat: the others see who spoke, as ncat --chat shows it (<user1> hello); --chat-prefix changes it', async (t) => {
  if (!requirePeer(t, 'nc')) return;
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--chat', '--frame', 'line', '--json']);
  const port = await server.port();
  // the first client listens, the second speaks and leaves
  const listener = await listeningNc(t, server, port);
  const spoke = await run('nc', ['-N', '127.0.0.1', String(port)], { input: 'hello\nanyone?\n' });
  assert.equal(spoke.code, 0, spoke.stderr);
  assert.equal(spoke.stdout, '', 'the speaker does not hear itself');
  await waitFor(() => listener.heard() === '<user2> hello\n<user2> anyone?\n', { what: 'the named lines at the first client', detail: listener.heard });
  const named = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--chat', '--chat-prefix', '[{peer}] ', '--json']);
  const namedPort = await named.port();
  const other = await listeningNc(t, named, namedPort);
  await run('nc', ['-N', '127.0.0.1', String(namedPort)], { input: 'hi' });
  await waitFor(() => /^\[127\.0\.0\.1:\d+\] hi$/.test(other.heard()), { what: 'the line named by address', detail: other.heard });
});

/** An nc client that only listens (its stdin stays open until the test ends), connected as the server's client #1. */
async function listeningNc(t, server, port) {
  const nc = spawn('nc', ['127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.after(() => nc.kill());
  let heard = '';
  nc.stdout.setEncoding('utf8').on('data', (s) => (heard += s));
  await server.waitEvent((e) => e.event === 'connect' && e.id === 1);
  return { heard: () => heard };
}

test('ws listen --chat: a python websockets client hears the other client\'s message named', async (t) => {
  if (!requirePeer(t, 'python3-websockets')) return;
  const server = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--chat', '--json']);
  const port = await server.port();
  const url = `ws://127.0.0.1:${port}/`;
  const listener = spawn('/usr/bin/python3', [join(PEERS, 'ws_client.py'), url, '--expect', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => listener.kill());
  let heard = '';
  listener.stdout.setEncoding('utf8').on('data', (s) => (heard += s));
  await server.waitEvent((e) => e.event === 'connect' && e.id === 1);
  const speaker = await run('/usr/bin/python3', [join(PEERS, 'ws_client.py'), url, '--expect', '0', 'hello']);
  assert.equal(speaker.code, 0, speaker.stderr);
  await waitFor(() => heard.includes("recv text '<user2> hello'"), { what: 'the named message at the first client', detail: () => heard });
});

test('--log on udp listen and send, ws listen and connect: the full log in a file while the terminal stays quiet', async (t) => {
  const dir = tmpDir(t);
  const udpLog = join(dir, 'udp.log');
  const udp = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--log', udpLog, '--json']);
  const udpPort = await udp.port();
  const py = await runPeer('udp_client.py', ['127.0.0.1', udpPort, 'hello over udp']);
  assert.equal(py.stdout.trim(), 'hello over udp');
  const sendLog = join(dir, 'udp-send.log');
  const sent = await runCli(['udp', 'send', '127.0.0.1', String(udpPort), 'second datagram', '--wait', '300', '--log', sendLog]);
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal((await udp.stop('SIGINT')).code, 0);
  assert.ok(!udp.events.some((e) => e.event === 'data'), '--quiet: no datagrams on stdout');
  const listened = readFileSync(udpLog, 'utf8');
  assert.match(listened, /listening on 127\.0\.0\.1 port \d+ \(udp\)/);
  assert.match(listened, /← 14 B hello over udp\n/);
  assert.match(listened, /← 15 B second datagram\n/);
  assert.match(readFileSync(sendLog, 'utf8'), /second datagram/);

  const wsLog = join(dir, 'ws.log');
  const ws = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--log', wsLog, '--json']);
  const wsPort = await ws.port();
  const clientLog = join(dir, 'ws-client.log');
  const client = await runCli(['ws', 'connect', `ws://127.0.0.1:${wsPort}/`, '--send', 'hello over ws', '--wait', '300', '--log', clientLog]);
  assert.equal(client.code, 0, client.stderr);
  await ws.waitEvent((e) => e.event === 'close');
  assert.equal((await ws.stop('SIGINT')).code, 0);
  assert.match(readFileSync(wsLog, 'utf8'), /← text 13 B hello over ws\n/);
  assert.match(readFileSync(clientLog, 'utf8'), /hello over ws/);
  for (const args of [['udp', 'listen', '0'], ['ws', 'connect', 'ws://127.0.0.1:1/']]) {
    const bad = await runCli([...args, '--log', join(dir, 'no', 'such', 'x.log')]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--log: cannot write/);
  }
});
