// tcp connect --reconnect: a client that outlives its server's restarts, waiting longer after each failure, bounded or until Ctrl-C.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnCli, runCli, waitFor } from '../helpers/index.mjs';

/** A free port on 127.0.0.1 that nothing listens on now. */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('tcp connect --reconnect: waits for the server, then connects again each time it closes, each try told; Ctrl-C ends it', async (t) => {
  const port = await freePort();
  const client = spawnCli(t, ['tcp', 'connect', '127.0.0.1', String(port), '--reconnect']);
  // nothing listens yet: the first try fails and the next is announced with its pause
  await client.waitStderr(/reconnecting in 0\.5 s \(attempt 1\): connection to 127\.0\.0\.1:\d+ was refused/);
  let n = 0;
  const received = [];
  const server = net.createServer((s) => {
    n++;
    s.on('data', (d) => received.push(d.toString()));
    // the first two say which they are and hang up, as a rebooting device does; the third stays
    if (n <= 2) s.end(`hello ${n}\n`);
    else s.write(`hello ${n}\n`);
  });
  t.after(() => server.close());
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  await client.waitStdout('hello 1\n');
  await client.waitStdout('hello 3\n');
  assert.match(client.stderr, /connection closed \(closed by peer\)[^\n]*\nreconnecting in 0\.5 s \(attempt 1\): closed by peer/);
  // typed lines go to whichever connection is open
  client.child.stdin.write('typed\n');
  await waitFor(() => received.join('').includes('typed\n'), { what: 'the typed line at the server' });
  const { code } = await client.stop('SIGINT');
  assert.equal(code, 0);
  assert.ok(n >= 2);
});

test('tcp connect --reconnect <tries>: gives up after that many failures in a row, exit 4 like any connect failure', async (t) => {
  const port = await freePort();
  const started = Date.now();
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--reconnect', '2']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /reconnecting in 0\.5 s \(attempt 1\)/);
  assert.match(r.stderr, /reconnecting in 1\.0 s \(attempt 2\)/);
  assert.doesNotMatch(r.stderr, /attempt 3/);
  assert.match(r.stderr, /^error: connection to 127\.0\.0\.1:\d+ was refused/m);
  assert.ok(Date.now() - started >= 1400, 'the pauses were waited: 0.5 s, then 1 s');
  const bad = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--reconnect', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--reconnect/);
  const mixed = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--reconnect', '--send', 'x']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /--reconnect keeps a connection to type into; leave out --send and --file/);
});
