// What nc, ncat and socat users look for: --exec (ncat -e), --every --send, --crlf (nc -C), --log.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, runCli, run, requirePeer, tmpDir, rawServer, exchange, waitFor } from '../helpers/index.mjs';

test('tcp listen --exec: each client talks to its own program (like ncat -e); the program ending closes the connection', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--exec', "sed -u 's/.*/\\U&/'", '--json']);
  const port = await server.port();
  const [one, two] = await Promise.all([exchange(port, 'hello\n', { expect: 'HELLO\n' }), exchange(port, 'second client\n', { expect: 'SECOND CLIENT\n' })]);
  assert.equal(one.toString(), 'HELLO\n');
  assert.equal(two.toString(), 'SECOND CLIENT\n');
  // a program that ends by itself closes its client's connection
  const brief = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--exec', 'echo bye', '--json']);
  const briefPort = await brief.port();
  assert.equal((await exchange(briefPort, undefined)).toString(), 'bye\n');
  const close = await brief.waitEvent((e) => e.event === 'close');
  assert.match(close.reason, /program ended \(exit code 0\)/);
  const refused = await runCli(['tcp', 'listen', '0', '--exec', 'cat', '--echo']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--exec answers every client with its program; leave out --reply, --echo/);
});

test('tcp listen --every --send: every client gets the message at each tick', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--every', '100', '--send', 'tick {n}\\n', '--json']);
  const port = await server.port();
  const got = await exchange(port, undefined, { expect: 'tick 1\ntick 2\n' });
  assert.match(got.toString(), /^tick \d+\ntick \d+\n/);
  const half = await runCli(['tcp', 'listen', '0', '--every', '100']);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--every needs --send <text>/);
});

test('tcp connect --crlf sends typed line ends as CRLF, as nc -C does', async (t) => {
  const seen = [];
  const port = await rawServer(t, (s) => {
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      seen.push(Buffer.concat(chunks).toString('latin1'));
      s.end();
    });
  });
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--crlf'], { input: 'GET / HTTP/1.0\nHost: x\r\n\n' });
  assert.equal(r.code, 0, r.stderr);
  await waitFor(() => seen.length === 1, { what: 'the server to see the whole request' });
  assert.equal(seen[0], 'GET / HTTP/1.0\r\nHost: x\r\n\r\n');
  if (!requirePeer(t, 'nc')) return;
  await run('nc', ['-N', '-C', '127.0.0.1', String(port)], { input: 'GET / HTTP/1.0\nHost: x\r\n\n' });
  await waitFor(() => seen.length === 2, { what: 'the server to see nc -C send it' });
  assert.equal(seen[1].replace(/\r\r\n/g, '\r\n'), seen[0], 'what nc -C sends (it doubles a typed CR)');
});

test('--log: the whole log in a file, every message whole, while the terminal shows the short one', async (t) => {
  const dir = tmpDir(t);
  const log = join(dir, 'session.log');
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--quiet', '--log', log, '--json']);
  const port = await server.port();
  const long = 'x'.repeat(3000);
  await exchange(port, long, { expect: 0 });
  await server.waitEvent((e) => e.event === 'close');
  assert.equal((await server.stop('SIGINT')).code, 0);
  const text = readFileSync(log, 'utf8');
  assert.match(text, /listening on 127\.0\.0\.1 port \d+ \(tcp\)\n/);
  assert.match(text, new RegExp(`#1 127\\.0\\.0\\.1:\\d+ ← 3000 B ${long}\\n`));
  assert.match(text, /summary: 1 connection, 3\.00 kB in \(1 message\)/);
  assert.ok(!server.events.some((e) => e.event === 'data'), '--quiet: no messages on stdout');
  const bad = await runCli(['tcp', 'listen', '0', '--log', join(dir, 'no', 'such', 'x.log')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--log: cannot write/);
});
