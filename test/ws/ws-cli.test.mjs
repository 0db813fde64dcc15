// `sockit ws listen` and `sockit ws connect` as a person runs them: readable lines, stdin to clients, exit codes.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { closedPort, runCli, spawnCli } from '../helpers/index.mjs';

const T = { timeout: 60_000 };

test('ws listen shows the handshake, each frame with its type, and the close code; stdin lines reach one client or all', T, async (t) => {
  const srv = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--no-color', '--welcome', 'welcome {peer}']);
  await srv.waitStdout(/port \d+/);
  const port = Number(/port (\d+)/.exec(srv.stdout)[1]);
  const a = spawnCli(t, ['ws', 'connect', `ws://127.0.0.1:${port}/room?x=1`, '--origin', 'http://page.example', '-H', 'X-Team: blue']);
  await a.waitStdout(/welcome 127\.0\.0\.1:\d+\n/);
  await srv.waitStdout(/#1 127\.0\.0\.1:\d+ connected \/room\?x=1, origin http:\/\/page\.example\n(    .*\n)*    x-team: blue/);
  const b = spawnCli(t, ['ws', 'connect', `ws://127.0.0.1:${port}/`, '--send-hex']);
  await srv.waitStdout('#2 ');
  a.child.stdin.write('hello from a\n');
  await srv.waitStdout(/#1 127\.0\.0\.1:\d+ ← text 12 B hello from a/);
  b.child.stdin.write('00 ff\n');
  await srv.waitStdout(/#2 127\.0\.0\.1:\d+ ← binary 2 B\n    00000000: 00ff/);
  srv.child.stdin.write('@2 just for b\n');
  srv.child.stdin.write('for all\n');
  await b.waitStdout('just for b\nfor all\n');
  await a.waitStdout('for all\n');
  assert.ok(!a.stdout.includes('just for b'));
  a.child.stdin.end();
  await srv.waitStdout(/#1 .* closed \(closed by peer; received 1000 normal closure\)/);
  const exit = await a.exited;
  assert.equal(exit.code, 0);
  assert.match(a.stderr, /connection closed \(closed by us; sent 1000 normal closure\)/);
});

test('ws connect: stdin lines are messages, replies on stdout; the end of stdin closes with 1000', T, async (t) => {
  const srv = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--reply', 'got {data}', '--json']);
  const port = await srv.port();
  const r = await runCli(['ws', 'connect', `ws://127.0.0.1:${port}/`], { input: 'one\ntwo\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'got one\ngot two\n');
  assert.match(r.stderr, /^connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+\n/);
  assert.match(r.stderr, /connection closed \(closed by us; sent 1000 normal closure\); 14 B received, 6 B sent/);
  const close = await srv.waitEvent((e) => e.event === 'close');
  assert.deepEqual(close.closeFrame, { code: 1000, reason: '', by: 'peer' });
});

test('ws connect --send --repeat --fragment --binary: what the server saw', T, async (t) => {
  const srv = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--json']);
  const port = await srv.port();
  const r = await runCli(['ws', 'connect', `ws://127.0.0.1:${port}/`, '-s', 'abcdef', '--fragment', '4', '--repeat', '2', '--interval', '10', '--wait', '200', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const sends = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'send');
  assert.deepEqual(sends.map((e) => [e.hex, e.fin ?? true]), [['61626364', false], ['6566', true], ['61626364', false], ['6566', true]]);
  await srv.waitEvent((e) => e.event === 'data' && e.n === 2);
  assert.deepEqual(srv.events.filter((e) => e.event === 'data').map((e) => [e.text, e.opcode]), [['abcdef', 'text'], ['abcdef', 'text']]);
  const bin = await runCli(['ws', 'connect', `ws://127.0.0.1:${port}/`, '-s', 'AB', '--binary', '--wait', '100']);
  assert.equal(bin.code, 0, bin.stderr);
  await srv.waitEvent((e) => e.event === 'data' && e.opcode === 'binary' && e.hex === '4142');
});

test('ws listen --quiet shows connections, not messages; --hex shows text frames as hex', T, async (t) => {
  const quiet = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const qport = await quiet.port();
  const r = await runCli(['ws', 'connect', `ws://127.0.0.1:${qport}/`, '-s', 'x', '--wait', '200']);
  assert.equal(r.stdout, 'x\n');
  await quiet.waitEvent((e) => e.event === 'close');
  assert.deepEqual([...new Set(quiet.events.map((e) => e.event))], ['listening', 'connect', 'close']);

  const hex = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--hex', '--no-color']);
  await hex.waitStdout(/port \d+/);
  const hport = Number(/port (\d+)/.exec(hex.stdout)[1]);
  await runCli(['ws', 'connect', `ws://127.0.0.1:${hport}/`, '-s', 'Hi', '--wait', '100']);
  await hex.waitStdout(/← text 2 B\n    00000000: 4869 +Hi/);
});

test('ws connect --reconnect shows each pause and gives up never; Ctrl-C ends it', T, async (t) => {
  const port = await closedPort();
  const c = spawnCli(t, ['ws', 'connect', `ws://127.0.0.1:${port}/`, '--reconnect', '--no-color']);
  await c.waitStderr(/reconnecting in 0\.5 s \(attempt 1\): connection to 127\.0\.0\.1:\d+ was refused/);
  await c.waitStderr('reconnecting in 1.0 s (attempt 2)');
  const exit = await c.stop('SIGINT');
  assert.equal(exit.code, 0);
});

test('bad arguments exit 2 naming them; an unreachable server exits 4', T, async () => {
  const cases = [
    [['ws', 'connect', 'ftp://x/'], /url 'ftp:\/\/x\/' must begin with ws:\/\/ or wss:\/\//],
    [['ws', 'connect', 'ws://127.0.0.1:1/', '-H', 'nonsense'], /--header 'nonsense' must be written as 'Name: value'/],
    [['ws', 'connect', 'ws://127.0.0.1:1/', '--auth', 'nopassword'], /auth must be written as user:password/],
    [['ws', 'connect', 'ws://127.0.0.1:1/', '--proxy', 'socks5://x:1'], /only http:\/\/ proxies/],
    [['ws', 'listen', '0', '--path', 'chat'], /--path must begin with \/, got 'chat'/],
    [['ws', 'listen', '0', '--max-payload', 'lots'], /--max-payload/],
    [['ws', 'listen', '70000'], /port/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const port = await closedPort();
  const refused = await runCli(['ws', 'connect', `ws://127.0.0.1:${port}/`]);
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, /^error: connection to 127\.0\.0\.1:\d+ was refused: nothing is listening there \[SOCKIT_ERR_REFUSED\]/);
});
