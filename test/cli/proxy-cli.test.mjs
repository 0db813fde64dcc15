// `sockit proxy` end to end: real peers on both sides (nc, socat, python3, curl to sockit serve), NDJSON with directions, errors and exit codes.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { spawnCli, runCli, run, tmpDir, closedPort, PEERS, requirePeer, waitFor, within } from '../helpers/index.mjs';
import { collect, echoTarget, target } from '../helpers/relay.mjs';
const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Starts `sockit proxy 0 127.0.0.1:<port> -H 127.0.0.1 --json ...`; resolves with the handle and its port. */
async function proxyCli(t, targetPort, args = []) {
  const p = spawnCli(t, ['proxy', '0', `127.0.0.1:${targetPort}`, '-H', '127.0.0.1', '--json', ...args]);
  return { p, port: await p.port() };
}

function connect(t, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
    t.after(() => s.destroy());
  });
}

test('bad arguments are usage errors naming the argument: exit 2', async () => {
  const cases = [
    [['proxy', '0', '127.0.0.1'], /target must be host:port/],
    [['proxy', '0', '127.0.0.1:0'], /target port must be from 1 to 65535/],
    [['proxy', '70000', '127.0.0.1:80'], /listen-port must be a whole number from 0 to 65535/],
    [['proxy', '0', '127.0.0.1:80', '--latency', 'soon'], /--latency must be milliseconds/],
    [['proxy', '0', '127.0.0.1:80', '--down-bandwidth', 'fast'], /--down-bandwidth must be a size/],
    [['proxy', '0', '127.0.0.1:80', '--refuse', '2'], /--refuse must be a probability/],
    [['proxy', '0', '127.0.0.1:80', '--loss', '0.1'], /--loss: UDP faults; add --udp/],
    [['proxy', '0', '127.0.0.1:80', '--insecure'], /go with --tls-target/],
    [['proxy', '0', '127.0.0.1:80', '--frame', ''], /--frame must be/],
  ];
  // three at a time: a loaded machine starts each CLI slowly, and all at once would starve them
  const results = [];
  for (let i = 0; i < cases.length; i += 3) results.push(...(await Promise.all(cases.slice(i, i + 3).map(([args]) => runCli(args, { timeoutMs: 60_000 })))));
  for (const [i, [args, pattern]] of cases.entries()) {
    const r = results[i];
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('the listen port in use: exit 3', async (t) => {
  const held = await target(t, () => {});
  const r = await runCli(['proxy', String(held.port), '127.0.0.1:9', '-H', '127.0.0.1']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, new RegExp(`port ${held.port} is already in use`));
});

test('--json: each direction with its arrow as a field, the target and who closed first', async (t) => {
  const echo = await echoTarget(t);
  const { p, port } = await proxyCli(t, echo.port, ['--frame', 'line']);
  const c = await connect(t, port);
  const got = collect(c);
  c.end('ping\n');
  assert.equal((await got.end()).toString(), 'ping\n');
  const up = await p.waitEvent((e) => e.event === 'data' && e.direction === 'up');
  assert.equal(up.text, 'ping');
  assert.equal(up.hex, '70696e67');
  const down = await p.waitEvent((e) => e.event === 'data' && e.direction === 'down');
  assert.equal(down.text, 'ping');
  const tgt = await p.waitEvent((e) => e.event === 'target');
  assert.equal(tgt.target, `127.0.0.1:${echo.port}`);
  assert.equal(typeof tgt.connectMs, 'number');
  const close = await p.waitEvent((e) => e.event === 'close');
  assert.equal(close.closedBy, 'client');
  assert.equal(close.how, 'fin');
  assert.match(close.ts, /^\d{4}-\d\d-\d\dT/);

  // --payload base64, as on every session
  const b = await proxyCli(t, echo.port, ['--payload', 'base64']);
  const c2 = await connect(t, b.port);
  const got2 = collect(c2);
  c2.end('pong');
  await got2.end();
  const up2 = await b.p.waitEvent((e) => e.event === 'data' && e.direction === 'up');
  assert.equal(up2.base64, Buffer.from('pong').toString('base64'));
  assert.equal(up2.hex, undefined);
});

test('text output: arrows per direction, GBK decoded, the target line and the close reason', async (t) => {
  const echo = await echoTarget(t);
  const p = spawnCli(t, ['proxy', '0', `127.0.0.1:${echo.port}`, '-H', '127.0.0.1', '--encoding', 'gbk']);
  await p.waitStdout(/listening on 127\.0\.0\.1 port \d+ \(proxy\)/);
  const port = Number(/port (\d+)/.exec(p.stdout)[1]);
  const c = await connect(t, port);
  const got = collect(c);
  c.end(Buffer.from('c4e3bac3', 'hex')); // 你好 in GBK
  await got.end();
  await p.waitStdout(/#1 127\.0\.0\.1:\d+ → 4 B 你好/);
  await p.waitStdout(/#1 127\.0\.0\.1:\d+ ← 4 B 你好/);
  await p.waitStdout(/target 127\.0\.0\.1:\d+ connected in [\d.]+ ms/);
  await p.waitStdout(/closed \(client closed \(FIN\) first; then target closed \(FIN\)\) up 4 B, down 4 B/);
  await p.waitStderr(`relaying to 127.0.0.1:${echo.port}`);
});

test('--hex shows both directions as hex dumps', async (t) => {
  const echo = await echoTarget(t);
  const p = spawnCli(t, ['proxy', '0', `127.0.0.1:${echo.port}`, '-H', '127.0.0.1', '--hex']);
  await p.waitStdout(/listening/);
  const port = Number(/port (\d+)/.exec(p.stdout)[1]);
  const c = await connect(t, port);
  c.end(Buffer.from([0x01, 0x03, 0xff]));
  await collect(c).end();
  await p.waitStdout(/→ 3 B\n\s+00000000: 0103 ff/);
  await p.waitStdout(/← 3 B\n\s+00000000: 0103 ff/);
});

test('--quiet: connections and closes, no messages', async (t) => {
  const echo = await echoTarget(t);
  const { p, port } = await proxyCli(t, echo.port, ['--quiet']);
  const c = await connect(t, port);
  c.end('quiet please');
  await collect(c).end();
  await p.waitEvent((e) => e.event === 'close');
  assert.equal(p.events.filter((e) => e.event === 'data').length, 0);
});

test('nc through the proxy to socat: a request, a half-close, the answer', async (t) => {
  if (!requirePeer(t, 'nc') || !requirePeer(t, 'socat')) return;
  // socat runs a shell per connection that answers after reading everything
  const port0 = await closedPort();
  const socat = spawn('socat', [`TCP-LISTEN:${port0},bind=127.0.0.1,reuseaddr,fork`, 'SYSTEM:"wc -c | tr -d \' \'"'], { stdio: 'ignore' });
  t.after(() => socat.kill());
  await waitFor(() => new Promise((r) => net.connect(port0, '127.0.0.1').on('connect', function () { this.destroy(); r(true); }).on('error', () => r(false))), { what: 'socat to listen' });
  const { p, port } = await proxyCli(t, port0);
  const r = await run('nc', ['-N', '127.0.0.1', String(port)], { input: 'x'.repeat(12345) });
  assert.equal(r.stdout.trim(), '12345');
  const close = await p.waitEvent((e) => e.event === 'close' && e.bytesIn === 12345);
  assert.equal(close.closedBy, 'client');
});

test('curl through the proxy to sockit serve: the same bytes as direct', async (t) => {
  if (!requirePeer(t, 'curl')) return;
  const dir = tmpDir(t);
  const body = randomBytes(3 * 1024 * 1024);
  writeFileSync(join(dir, 'blob.bin'), body);
  const serve = spawnCli(t, ['serve', dir, '-p', '0', '--json']);
  const servePort = await serve.port();
  const { p, port } = await proxyCli(t, servePort, ['--quiet']);
  const r = await run('curl', ['-sS', '--max-time', '60', `http://127.0.0.1:${port}/blob.bin`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha(r.raw), sha(body));
  const close = await p.waitEvent((e) => e.event === 'close');
  assert.ok(close.bytesOut > body.length);
});

test('a python client through the proxy to sockit tcp listen --reply', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--json', '--frame', 'line', '--reply', 'got {data}\\n']);
  const { p, port } = await proxyCli(t, await server.port(), ['--frame', 'line']);
  const r = await run('python3', ['-c', `
import socket
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(b'one\\ntwo\\n')
buf = b''
while buf.count(b'\\n') < 2:
    buf += s.recv(100)
print(buf.decode(), end='')
s.close()
`]);
  assert.equal(r.stdout, 'got one\ngot two\n');
  await p.waitEvent((e) => e.event === 'data' && e.direction === 'down' && e.text === 'got two');
});

test('a refused target: the client is closed (or reset with --reset-on-fail), the reason shown, the proxy serves on', async (t) => {
  const dead = await closedPort();
  const { p, port } = await proxyCli(t, dead);
  const c = collect(net.connect(port, '127.0.0.1'));
  await c.end();
  assert.equal(c.error, undefined);
  const err = await p.waitEvent((e) => e.event === 'error');
  assert.equal(err.code, 'SOCKIT_ERR_REFUSED');
  assert.match(err.message, new RegExp(`^#1 127\\.0\\.0\\.1:\\d+: connection to 127\\.0\\.0\\.1:${dead} was refused`));
  const close = await p.waitEvent((e) => e.event === 'close');
  assert.equal(close.how, 'refused');
  const { port: port2 } = await proxyCli(t, dead, ['--reset-on-fail']);
  const c2 = collect(net.connect(port2, '127.0.0.1'));
  await c2.end();
  assert.equal(c2.error?.code, 'ECONNRESET');
  // still serving
  const c3 = collect(net.connect(port, '127.0.0.1'));
  await c3.end();
  await p.waitEvent((e) => e.event === 'close' && e.id === 2);
});

test('faults typed on stdin change a running proxy; "show" prints them', async (t) => {
  const echo = await echoTarget(t);
  const { p, port } = await proxyCli(t, echo.port);
  p.child.stdin.write('down latency 150\n');
  const f = await p.waitEvent((e) => e.event === 'faults');
  assert.deepEqual(f.down, { latencyMs: 150 });
  assert.deepEqual(f.up, {});
  p.child.stdin.write('bogus 3\n');
  await p.waitStderr(/unknown fault 'bogus'/);
  const c = await connect(t, port);
  const got = collect(c);
  const started = performance.now();
  c.write('x');
  await got.until(1);
  assert.ok(performance.now() - started >= 150, 'the delay typed applies');
  p.child.stdin.write('clear\n');
  await p.waitEvent((e) => e.event === 'faults' && Object.keys(e.down).length === 0);
});

test('typed on stdin: "latency 300" slows each round trip by 300 ms, "reset 4" resets a connection after 4 bytes', async (t) => {
  const echo = await echoTarget(t);
  const { p, port } = await proxyCli(t, echo.port);
  p.child.stdin.write('latency 300\n');
  const f = await p.waitEvent((e) => e.event === 'faults' && e.up.latencyMs === 150, undefined, 'latency 300 as 150 ms each way');
  assert.equal(f.down.latencyMs, 150);
  const c = await connect(t, port);
  const got = collect(c);
  const started = performance.now();
  c.write('ping');
  await got.until(4);
  const rtt = performance.now() - started;
  assert.ok(rtt >= 300, `a round trip took ${rtt.toFixed(0)} ms, under the 300 ms typed`);
  c.destroy();

  p.child.stdin.write('latency off\n');
  p.child.stdin.write('reset 4\n');
  await p.waitEvent((e) => e.event === 'faults' && e.up.resetAfter === 4 && !e.up.latencyMs, undefined, 'reset after 4 bytes, no latency');
  const r = await connect(t, port);
  const reset = collect(r);
  r.write('abcdefgh');
  await reset.end();
  assert.equal(reset.error?.code, 'ECONNRESET', `the client was reset (got ${reset.error?.code ?? 'a clean close'})`);
  const close = await p.waitEvent((e) => e.event === 'close' && e.how === 'rst', undefined, 'a close by reset');
  assert.match(close.reason, /reset both ends \(RST\) after 4 bytes up/);
});

test('--udp: the lessons\' UDP client through the proxy to the lessons\' UDP server, with loss on the way', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const server = spawn('python3', [join(PEERS, 'udp_hello_server.py')]);
  t.after(() => server.kill());
  const line = await within(new Promise((r) => createInterface({ input: server.stdout }).once('line', r)), { what: 'the UDP server port' });
  const serverPort = Number(/listening on (\d+)/.exec(line)[1]);
  const { p, port } = await proxyCli(t, serverPort, ['--udp']);
  const r = await run('python3', [join(PEERS, 'udp_client.py'), '127.0.0.1', String(port), 'Ann', 'Ben']);
  assert.equal(r.stdout, 'Hello, Ann!\nHello, Ben!\n');
  const down = await p.waitEvent((e) => e.event === 'data' && e.direction === 'down' && e.text === 'Hello, Ben!');
  assert.equal(down.id, 1);
  p.child.stdin.write('up loss 1\n');
  await p.waitEvent((e) => e.event === 'faults' && e.up.loss === 1);
  const lost = await run('python3', [join(PEERS, 'udp_client.py'), '127.0.0.1', String(port), 'Cy']);
  assert.equal(lost.stdout, 'timeout\n');
  const bad = await runCli(['proxy', '0', '127.0.0.1:9', '--udp', '--frame', 'line', '--reset-after', '4'], { timeoutMs: 45_000 });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--frame: not for a UDP relay/);
});
