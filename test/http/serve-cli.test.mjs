// `sockit serve` end to end: spawned CLI, NDJSON events, access log, port argument, errors and exit codes.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { CLI, spawnCli, runCli, waitFor, nextEvent } from '../helpers/index.mjs';
import { tmpTree } from '../helpers/http.mjs';
import { createEventRenderer, LineWriter } from '../../dist/cli/output.js';

test('--json: a listening event with protocol http, then one request event per answer', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'hello' });
  const cli = spawnCli(t, ['serve', root, '-p', '0', '-H', '127.0.0.1', '--json']);
  const listening = await cli.waitEvent((e) => e.event === 'listening');
  assert.equal(listening.protocol, 'http');
  assert.deepEqual(listening.addresses, ['127.0.0.1']);
  assert.equal(await (await fetch(`http://127.0.0.1:${listening.port}/a.txt`)).text(), 'hello');
  const req = await cli.waitEvent((e) => e.event === 'request');
  assert.equal(req.method, 'GET');
  assert.equal(req.url, '/a.txt');
  assert.equal(req.status, 200);
  assert.equal(req.bytes, 5);
  assert.match(req.peer, /^127\.0\.0\.1:\d+$/);
  assert.match(req.ts, /^\d{4}-\d\d-\d\dT/);
  await cli.stop();
  const summary = cli.events.find((e) => e.event === 'summary');
  assert.equal(summary.messagesIn, 1);
});

test('text mode: the URLs to open, then an access log line per request (none with --quiet)', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'hello' });
  const cli = spawnCli(t, ['serve', root, '-p', '0']);
  await cli.waitStdout(/Local: +http:\/\/127\.0\.0\.1:\d+\//);
  assert.ok(cli.stdout.startsWith(`serving ${root}\n`));
  assert.match(cli.stdout, /on this machine only/);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(cli.stdout)[1]);
  await (await fetch(`http://127.0.0.1:${port}/a.txt?x=%1b[31m`)).text();
  await cli.waitStdout(/127\.0\.0\.1:\d+ GET \/a\.txt\?x=%1b\[31m 200 5 B/);

  const quiet = spawnCli(t, ['serve', root, '-p', '0', '--quiet']);
  await quiet.waitStdout(/Local: +http:\/\/127\.0\.0\.1:\d+\//);
  const qport = Number(/127\.0\.0\.1:(\d+)/.exec(quiet.stdout)[1]);
  assert.equal(await (await fetch(`http://127.0.0.1:${qport}/a.txt`)).text(), 'hello');
  // stopping flushes everything the server had to say: the answered request left no log line
  assert.equal((await quiet.stop()).code, 0);
  assert.doesNotMatch(quiet.stdout, /GET \/a\.txt/);
});

test('the access log escapes control characters (C0, DEL, C1) in what the client sent', () => {
  const sink = new PassThrough();
  let out = '';
  sink.on('data', (b) => (out += b));
  const writer = new LineWriter(sink);
  const render = createEventRenderer(writer, { json: false, hex: false, color: false });
  render({ event: 'request', ts: Date.now(), session: 's', method: 'GET', url: '/a\x1b[2J\x07\x7f\x9b31m\r\nInjected: yes', status: 404, bytes: 0, ms: 1, peer: '127.0.0.1:1' });
  writer.flush();
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(out.replace(/\n$/, '')), JSON.stringify(out));
  assert.ok(out.includes('/a\\x1b[2J\\x07\\x7f\\x9b31m\\r\\nInjected: yes 404'));
  assert.equal(out.split('\n').length, 2, 'one line');
});

test('`sockit serve 0`: a number is the port when no folder has that name', async (t) => {
  const cli = spawnCli(t, ['serve', '0', '--json']);
  const listening = await cli.waitEvent((e) => e.event === 'listening');
  assert.ok(listening.port > 0);
  assert.equal(listening.addresses[0], '127.0.0.1');
  const res = await fetch(`http://127.0.0.1:${listening.port}/package.json`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).name, 'sockit');
});

test('port in use: exit code 3, the port and its holder named, a free port suggested', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const blocker = net.createServer();
  await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = blocker.address().port;
  const res = await runCli(['serve', root, '-p', String(port), '-H', '127.0.0.1']);
  assert.equal(res.code, 3);
  assert.match(res.stderr, new RegExp(`error: port ${port} is already in use( by node \\(pid \\d+\\))? \\(could not listen on 127\\.0\\.0\\.1:${port}\\) \\[SOCKIT_ERR_ADDR_IN_USE\\]`));
  assert.match(res.stderr, /hint: .*\(\d+ is free\)/);
  assert.ok(!res.stderr.includes('    at '), 'no stack trace');
});

test('bad arguments: exit code 2 naming the argument', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const cases = [
    [['serve', root, '--dotfiles', 'maybe'], /--dotfiles must be allow, deny or ignore/],
    [['serve', root, '-p', '70000'], /--port must be a whole number from 0 to 65535/],
    [['serve', `${root}/missing`], /does not exist/],
    [['serve', `${root}/a.txt`], /is a file/],
    [['serve', root, '--cache', '-5'], /--cache must be a whole number/],
    [['serve', root, '--auth', 'nopassword'], /--auth must be user:password/],
    [['serve', root, '--timeout', '0'], /--timeout must be a number of seconds/],
    [['serve', root, '--cert', 'only-cert.pem'], /--cert and --key go together/],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(args)));
  runs.forEach((res, i) => {
    const [args, message] = cases[i];
    assert.equal(res.code, 2, args.join(' ') + '\n' + res.stderr);
    assert.match(res.stderr, message);
  });
});

test('started by a script from / without a folder, it refuses rather than share the whole disk', () => {
  const res = spawnSync(process.execPath, [CLI, 'serve', '-p', '0'], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /refusing to serve \/ without being asked/);
});

test('serving / when asked to works, with a warning that it is the whole file system (the rule the page asks by)', async (t) => {
  const srv = spawnCli(t, ['serve', '/', '-p', '0', '-H', '127.0.0.1']);
  await srv.waitStderr('warning: it serves /, the whole file system, to whoever can reach it');
});

/** Opens a keep-alive connection and asks for `path` once; resolves with the socket (still open) once the whole answer is in. */
async function keptAlive(t, port, path) {
  const s = net.connect(port, '127.0.0.1');
  t.after(() => s.destroy());
  s.on('error', () => {});
  await nextEvent(s, 'connect', { what: 'a keep-alive connection' });
  let got = '';
  s.setEncoding('latin1');
  s.on('data', (d) => (got += d));
  s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  await waitFor(() => /\r\n\r\nhello$/.test(got), { what: `the answer to GET ${path} on a kept-alive connection`, detail: () => got });
  return s;
}

/** One request on a new connection: { status } when answered, { dropped: true } when the server closed it without a word. */
function askOnce(port, path) {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
    s.setEncoding('latin1');
    s.on('data', (d) => (got += d));
    const done = () => resolve(got ? { status: Number(got.split(' ')[1]) } : { dropped: true });
    s.on('error', done);
    s.on('close', done);
  });
}

test('--max-conns: at the cap the oldest idle connection makes room; while every one is busy answering, a new one is dropped unanswered', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'hello', 'big.bin': Buffer.alloc(64 * 1024 * 1024) });
  const cli = spawnCli(t, ['serve', root, '-p', '0', '-H', '127.0.0.1', '--max-conns', '2', '--json']);
  const port = await cli.port();
  const first = await keptAlive(t, port, '/a.txt');
  const second = await keptAlive(t, port, '/a.txt');
  const firstClosed = nextEvent(first, 'close', { what: 'the oldest idle connection to be closed to make room' });
  assert.equal((await askOnce(port, '/a.txt')).status, 200, 'a third connection is served');
  await firstClosed;
  assert.equal(second.destroyed, false, 'only the oldest made room');
  second.destroy();
  // two clients that stop reading 64 MiB answers: both connections stay busy
  for (let i = 0; i < 2; i++) {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    t.after(() => s.destroy());
    s.on('error', () => {});
    await nextEvent(s, 'data', { what: 'the start of a large answer' });
    s.pause();
  }
  assert.deepEqual(await askOnce(port, '/a.txt'), { dropped: true }, 'no room while both connections are answering');
  assert.equal((await cli.stop()).code, 0);
});

