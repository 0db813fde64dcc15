// Every scenario in examples/ played with `sockit run` against a real peer, and a broken peer making one fail with the report.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { spawnCli, runCli, runPeer, startPeer, tmpDir, within, ROOT } from '../helpers/index.mjs';

const example = (name) => join(ROOT, 'examples', name);

/** Starts a scenario that listens; resolves with the handle and its port (from the JSON `listening` event). */
async function serverScenario(t, name, extra = []) {
  const run = spawnCli(t, ['run', example(name), '--var', 'port=0', '--json', ...extra]);
  const listening = await run.waitEvent((e) => e.event === 'listening', undefined, `${name} to listen`);
  return { run, port: listening.port };
}

async function result(run) {
  const { code } = await within(run.exited, { what: 'the scenario to end' });
  return { code, result: run.events.find((e) => e.event === 'result'), steps: run.events.filter((e) => e.event === 'step') };
}

test('gbk-greeting.yaml: the lesson\'s GBK client greets and gets 收到:<greeting>', async (t) => {
  const { run, port } = await serverScenario(t, 'gbk-greeting.yaml');
  const client = await runPeer('lesson_gbk_client.py', ['127.0.0.1', port]);
  assert.equal(client.stdout.trim(), '收到:你好服务端,我是客户端小黑!', client.stderr);
  const { code, result: r, steps } = await result(run);
  assert.equal(code, 0, run.stdout + run.stderr);
  assert.equal(r.ok, true);
  assert.equal(steps.find((s) => s.kind === 'expect').description, 'expect text "你好服务端,我是客户端小黑!"');
});

test('welcome-hello-exit.yaml: the lesson\'s client is welcomed, greeted by name and let go on exit', async (t) => {
  const { run, port } = await serverScenario(t, 'welcome-hello-exit.yaml');
  const client = await runPeer('lesson_name_client.py', ['127.0.0.1', port, 'alice']);
  assert.equal(client.stdout, 'Welcome!\nHello, alice!\nclosed\n', client.stderr);
  const { code, result: r } = await result(run);
  assert.equal(code, 0, run.stdout + run.stderr);
  assert.equal(r.vars.name, 'alice');
});

test('ack.yaml: five clients at once each get ACK! and the hang-up', async (t) => {
  const { run, port } = await serverScenario(t, 'ack.yaml');
  const r = await runPeer('lesson_many_clients.py', ['127.0.0.1', port, 5, 'ACK!']);
  assert.equal(r.stdout.trim(), '5/5 ok', r.stderr);
  const { code } = await result(run);
  assert.equal(code, 0, run.stdout + run.stderr);
});

test('udp-hello.yaml against the lessons\' UDP hello server', async (t) => {
  const peer = await startPeer(t, 'udp_hello_server.py');
  const r = await runCli(['run', example('udp-hello.yaml'), '--var', `port=${peer.port}`, '--var', 'name=Ann']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✓ steps\[2\]\s+expect text "Hello, Ann!"/);
  assert.match(r.stdout, /UDP hello \(client side\): passed, 3 steps/);
});

test('modbus-read.yaml against a Modbus TCP server', async (t) => {
  const peer = await startPeer(t, 'modbus_tcp_server.py');
  const r = await runCli(['run', example('modbus-read.yaml'), '--var', `port=${peer.port}`, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.at(-1).ok, true);
});

test('a broken Modbus peer: exit 1, the report shows expected and arrived bytes with the first difference marked', async (t) => {
  const peer = await startPeer(t, 'modbus_tcp_server.py', ['--broken']);
  const dir = tmpDir(t);
  const junit = join(dir, 'report.xml');
  const r = await runCli(['run', example('modbus-read.yaml'), '--var', `port=${peer.port}`, '--junit', junit]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /✗ steps\[2\]\s+expect hex 00 01 00 00 00 07 01 03 04 \?\? \?\? \?\? \?\?/);
  assert.match(r.stdout, /expected hex 00 01 00 00 00 07 01 03 04 \?\? \?\? \?\? \?\?; byte 5 differs/);
  assert.match(r.stdout, /first difference at byte 5 \(0x5\)/);
  // side by side: the expected row, then what arrived, the differing byte in brackets in both
  assert.ok(r.stdout.includes('000000   00  01  00  00  00 [07] 01  03    00  01  00  00  00 [03] 01  83 '), r.stdout);
  assert.ok(r.stdout.includes('000008   04  ??  ??  ??  ?? '), r.stdout);
  assert.match(r.stdout, /Modbus read holding registers: FAILED at steps\[2\] \(1 failed, 2 passed\)/);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite name="Modbus read holding registers" tests="3" failures="1"/);
  assert.match(xml, /<failure message="expected hex 00 01 00 00 00 07 01 03 04 \?\? \?\? \?\? \?\?; byte 5 differs">/);
});

test('http-request.yaml: a request by hand against python3 -m http.server', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  const server = spawn('python3', ['-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => server.kill());
  let said = '';
  server.stdout.on('data', (b) => (said += b));
  const port = await within(new Promise((resolve) => {
    const look = () => {
      const m = /port (\d+)/.exec(said);
      if (m) resolve(Number(m[1]));
      else setTimeout(look, 20);
    };
    look();
  }), { what: 'python3 -m http.server to say its port' });
  const r = await runCli(['run', example('http-request.yaml'), '--var', `port=${port}`, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.find((e) => e.captures?.status).captures.status, '200');
});

test('smtp-like.yaml against a line-by-line mail server', async (t) => {
  const peer = await startPeer(t, 'smtp_like_server.py');
  const r = await runCli(['run', example('smtp-like.yaml'), '--var', `port=${peer.port}`, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1));
  assert.equal(result.ok, true);
  assert.equal(result.vars.server, 'mail.example.test');
  assert.match(result.vars.id, /^M\d+$/);
});

test('the GBK greeting against a server that answers in UTF-8: the report shows both texts and where they part', async (t) => {
  // the scenario plays the client here: it connects to a sockit server answering in the wrong encoding
  const dir = tmpDir(t);
  const file = join(dir, 'gbk-client.yaml');
  writeFileSync(file, [
    'name: GBK greeting (client side)', 'encoding: gbk', 'vars: { port: 0 }', 'steps:',
    '  - connect: tcp://127.0.0.1:{port}', '  - send: 你好', '  - expect: 收到:你好', '',
  ].join('\n'));
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--reply', '收到:{data}', '--json']);
  const port = await server.port();
  const r = await runCli(['run', file, '--var', `port=${port}`]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /expected text: "收到:你好"/);
  assert.match(r.stdout, /arrived text: {2}"/);
  assert.match(r.stdout, /first difference at byte 0/);
  assert.match(r.stdout, /\[ca\]/);
});
