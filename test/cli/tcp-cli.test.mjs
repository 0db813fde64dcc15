// The tcp commands end to end: errors and exit codes, stdin, nc as a peer, files, signals.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, runCli, run, requirePeer, tmpDir, rawServer, exchange, closedPort, startPeer, waitFor, CLI, WAIT_MS } from '../helpers/index.mjs';
import { unprivileged } from '../helpers/peers.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');


test('bad arguments are usage errors naming the argument: exit 2, no stack trace', async () => {
  const cases = [
    [['tcp', 'listen', '70000'], /port must be a whole number from 0 to 65535, got '70000'/],
    [['tcp', 'listen', '0', '--encoding', 'klingon'], /--encoding: unknown encoding 'klingon'/],
    [['tcp', 'connect', '127.0.0.1', '1', '--send-hex', '--send', '12 zz'], /--send: 'z' at position 4 is not a hex digit/],
    [['tcp', 'listen', '0', '--reply', 'bad \\q'], /--reply: unknown escape/],
    [['tcp', 'listen', '0', '--max-conns', 'many'], /--max-conns must be a whole number/],
    [['tcp', 'listen', '0', '--deny', '10.0.0.0/99'], /--deny: bad prefix length/],
    [['tcp', 'listen', '0', '--frame', ''], /--frame must be/],
    [['tcp', 'connect', '127.0.0.1', '0'], /port must be a whole number from 1 to 65535/],
    [['tcp', 'listen'], /missing required argument 'port'/],
    [['tcp', 'listen', '0', '--bogus'], /unknown option '--bogus'/],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(args)));
  runs.forEach((r, i) => {
    const [args, pattern] = cases[i];
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

test('port in use: names the port and the holding program, suggests a free one, exit 3', async (t) => {
  const holder = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--json']);
  const port = await holder.port();
  const r = await runCli(['tcp', 'listen', String(port), '-H', '127.0.0.1']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, new RegExp(`port ${port} is already in use by node \\(pid ${holder.child.pid}\\)`));
  assert.match(r.stderr, /hint: .*\(\d+ is free\); port 0 lets the system pick/);
});

test('a port below 1024 without privilege: says why, exit 3', async (t) => {
  if (!requirePeer(t, 'unprivileged-child')) return;
  const [cmd, args] = unprivileged([process.execPath, CLI, 'tcp', 'listen', '80', '-H', '127.0.0.1']);
  const r = await run(cmd, args);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /could not listen on 127\.0\.0\.1:80: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability/);
});

test('connection refused: one sentence naming host and port, exit 4', async () => {
  const port = await closedPort();
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port)]);
  assert.equal(r.code, 4);
  assert.equal(r.stderr.split('\n')[0], `error: connection to 127.0.0.1:${port} was refused: nothing is listening there [SOCKIT_ERR_REFUSED]`);
});

test('connect timeout against a server whose accept queue is full: exit 4', async (t) => {
  const { port } = await startPeer(t, 'stuck_backlog_server.py', [120]);
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--connect-timeout', '500', '--send', 'x']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, new RegExp(`connection to 127\\.0\\.0\\.1:${port} timed out`));
});

test('unknown host: exit 4, in a network namespace with no way out', async (t) => {
  if (!requirePeer(t, 'unshare-net')) return;
  const r = await run('unshare', ['-n', process.execPath, CLI, 'tcp', 'connect', 'no-such-host.invalid', '80']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /host no-such-host\.invalid was not found/);
});

test('--debug shows the stack of an error', async () => {
  const port = await closedPort();
  const r = await runCli(['--debug', 'tcp', 'connect', '127.0.0.1', String(port)]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /\n\s+at /);
});

test('listen: stdin lines go to every client, "@id text" to one', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--json']);
  const port = await server.port();
  const a = net.connect(port, '127.0.0.1');
  const b = net.connect(port, '127.0.0.1');
  t.after(() => (a.destroy(), b.destroy()));
  let aText = '';
  let bText = '';
  a.on('data', (d) => (aText += d));
  b.on('data', (d) => (bText += d));
  const ca = await server.waitEvent((e) => e.event === 'connect');
  await server.waitEvent((e) => e.event === 'connect' && e.id !== ca.id);
  server.child.stdin.write('to everyone\n');
  server.child.stdin.write(`@${ca.id} just you\n`);
  // the line for everyone and then a marker for b alone: b's bytes show that "just you" never went to it
  const cb = server.events.find((e) => e.event === 'connect' && e.id !== ca.id);
  server.child.stdin.write(`@${cb.id} marker\n`);
  await waitFor(() => aText.includes('just you') && bText.includes('marker'), { what: 'the lines typed on stdin to reach both clients', detail: () => JSON.stringify({ aText, bText }) });
  assert.equal(aText, 'to everyone\njust you\n');
  assert.equal(bText, 'to everyone\nmarker\n');
});

test('listen: SIGINT closes clients, prints a summary and exits 0', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo']);
  await server.waitStdout('listening on');
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  const reply = await exchange(port, 'ping', { expect: 4 });
  assert.equal(reply.toString(), 'ping');
  const { code } = await server.stop('SIGINT');
  assert.equal(code, 0);
  assert.match(server.stdout, /summary: 1 connection, 4 B in \(1 message\), 4 B out \(1 message\)/);
});

test('listen: hex view shows an xxd-style dump; colour off when not a terminal', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--hex']);
  await server.waitStdout('listening on');
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  await exchange(port, Buffer.from([0x48, 0x69, 0x00, 0xff]), { expect: 0 });
  await server.waitStdout('00000000: 4869 00ff');
  assert.match(server.stdout, /← 4 B\n {4}00000000: 4869 00ff +Hi\.\./);
  assert.doesNotMatch(server.stdout, /\x1b\[/);
});

test('listen: control characters from a peer are escaped, never reach the terminal raw', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1']);
  await server.waitStdout('listening on');
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  await exchange(port, 'evil\x1b[2J\r\n', { expect: 0 });
  await server.waitStdout('evil\\x1b[2J\\r\\n');
});

test('listen --frame len16 --reply: length-prefixed request and reply', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'len16', '--reply', 'ok:{data}', '--json']);
  const port = await server.port();
  const reply = await exchange(port, Buffer.from([0, 3, 0x61, 0x62, 0x63]), { expect: 8 });
  assert.deepEqual([...reply], [0, 6, ...Buffer.from('ok:abc')]);
});

test('nc as the client of tcp listen --echo', async (t) => {
  if (!requirePeer(t, 'nc')) return;
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--json']);
  const port = await server.port();
  const r = await run('nc', ['-N', '127.0.0.1', String(port)], { input: 'hello from nc\n' });
  assert.equal(r.stdout, 'hello from nc\n');
  const data = await server.waitEvent((e) => e.event === 'data');
  assert.equal(data.text, 'hello from nc\n');
});

test('nc -l as the server of tcp connect: stdin to the socket; end of stdin half-closes and the reply still arrives', async (t) => {
  if (!requirePeer(t, 'nc')) return;
  // a server that answers only after the client half-closes
  const port = await rawServer(t, (s) => {
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => s.end(`got ${Buffer.concat(chunks).length} bytes after your FIN`));
  });
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port)], { input: 'abcdef' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'got 6 bytes after your FIN');

  const ncPort = await closedPort();
  const nc = spawn('nc', ['-l', '127.0.0.1', String(ncPort)]);
  t.after(() => nc.kill());
  let ncOut = '';
  nc.stdout.on('data', (d) => (ncOut += d));
  // nc cannot say when it listens: retry while it is refused, up to a deadline
  const r2 = await waitFor(async () => {
    const attempt = await runCli(['tcp', 'connect', '127.0.0.1', String(ncPort), '--send', 'to nc\\n', '--wait', '200']);
    return attempt.code === 0 ? attempt : undefined;
  }, { what: `nc -l to accept a connection on port ${ncPort}`, intervalMs: 50 });
  assert.equal(r2.code, 0, r2.stderr);
  await waitFor(() => ncOut === 'to nc\n' || undefined, { what: 'nc to print what tcp connect sent', detail: () => JSON.stringify(ncOut) });
});

// --wait is silence after the last reply; 3 s leaves room for a busy machine to answer
test('connect --send --repeat --interval, and --json events', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--reply', '[{n}]', '--json']);
  const port = await server.port();
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--send', 'a', '--repeat', '3', '--interval', '100', '--wait', '3000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const texts = events.filter((e) => e.event === 'data').map((e) => e.text).join('');
  assert.equal(texts, '[1][2][3]');
  assert.ok(events.every((e) => typeof e.ts === 'string' && e.session));
  assert.deepEqual([...new Set(events.map((e) => e.event))], ['connect', 'send', 'data', 'close', 'summary']);
});

test('connect --file sends a file with progress; --out saves what arrives; same SHA-256', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'blob.bin');
  const out = join(dir, 'back.bin');
  const blob = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(file, blob);
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const port = await server.port();
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--file', file, '--out', out, '--wait', '3000']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /sending .*blob\.bin: 3\.15 MB in/);
  assert.equal(sha(readFileSync(out)), sha(blob));
});

test('connect: GBK typed on stdin is sent as GBK', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--encoding', 'gbk', '--json']);
  const port = await server.port();
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--encoding', 'gbk'], { input: '世界' });
  assert.equal(r.code, 0, r.stderr);
  const data = await server.waitEvent((e) => e.event === 'data');
  assert.equal(data.hex, 'cac0bde7');
  assert.equal(data.text, '世界');
});

test('connect --send-hex and --hex output', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--json']);
  const port = await server.port();
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--send-hex', '--send', '0x01,0x03,0xff', '--hex', '--wait', '3000']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '00000000: 0103 ff                                  ...');
});

test('IPv6: listen on [::1] and connect to it', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '[::1]', '--echo', '--json']);
  const e = await server.waitEvent((e) => e.event === 'listening');
  assert.equal(e.address, '::1');
  const r = await runCli(['tcp', 'connect', '::1', String(e.port), '--send', 'v6', '--wait', '3000']);
  assert.equal(r.stdout, 'v6');
});

test('socat as a client of tcp listen --reply', async (t) => {
  if (!requirePeer(t, 'socat')) return;
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--reply', 'pong', '--close', '--json']);
  const port = await server.port();
  const r = await run('socat', ['-', `TCP:127.0.0.1:${port}`], { input: 'ping' });
  assert.equal(r.stdout, 'pong');
});

test('--tls: a self-signed server; openssl s_client and tcp connect --tls talk to it', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--tls', '--reply', 'secure {data}', '--close', '--json']);
  // making an RSA key takes a while on a busy machine
  const port = await server.port(3 * WAIT_MS);
  const ok = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--tls', '--insecure', '--send', 'hi', '--wait', '3000']);
  assert.equal(ok.stdout, 'secure hi');
  const strict = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--tls', '--send', 'hi']);
  assert.equal(strict.code, 4);
  assert.match(strict.stderr, /TLS certificate of 127\.0\.0\.1:\d+ is not trusted[\s\S]*--insecure/);
  if (!requirePeer(t, 'openssl')) return;
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet'], { input: 'hello\n' });
  assert.match(r.stdout, /secure hello/);
});

/** Connects to 127.0.0.1:`port` from `from` (any of 127.0.0.0/8), sends `text`; resolves with what came back once the server closed. */
function connectFrom(port, from, text) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => s.end(text));
    s.on('data', (d) => chunks.push(d));
    s.on('error', (err) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    s.on('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

test('listen --allow/--deny: other addresses are closed at once with the reason; --deny wins over --allow', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--allow', '127.0.0.0/24', '--deny', '127.0.0.3', '--echo', '--json']);
  const port = await server.port();
  assert.equal(await connectFrom(port, '127.0.0.3', 'denied'), '');
  assert.equal(await connectFrom(port, '127.0.1.9', 'outside'), '');
  assert.equal(await connectFrom(port, '127.0.0.2', 'allowed'), 'allowed');
  const closes = await waitFor(() => {
    const c = server.events.filter((e) => e.event === 'close');
    return c.length === 3 && c;
  }, { what: 'three close events', detail: () => server.stdout });
  const why = Object.fromEntries(closes.map((e) => [e.peer.split(':')[0], e.reason]));
  assert.equal(why['127.0.0.3'], 'refused: 127.0.0.3 is not allowed by --allow/--deny');
  assert.equal(why['127.0.1.9'], 'refused: 127.0.1.9 is not allowed by --allow/--deny');
  assert.doesNotMatch(why['127.0.0.2'], /refused/);
  assert.deepEqual(server.events.filter((e) => e.event === 'data').map((e) => e.text), ['allowed'], 'nothing from a refused address was read');
});
