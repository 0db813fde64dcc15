// The scenario engine through its library API and the CLI: steps on real sockets, captures, parallel clients, resets, bad files named by path, and replay of a capture.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { scenario, runScenario, listenTcp, formatReport, loadScenario } from '../../dist/index.js';
import { spawnCli, runCli, tmpDir, within } from '../helpers/index.mjs';

async function nameServer(t, options = {}) {
  const server = await listenTcp({ port: 0, host: '127.0.0.1', frame: { kind: 'line' }, welcome: 'Welcome!\n', reply: 'Hello, {data}!\n', quit: 'exit', ...options });
  t.after(() => server.close());
  return server;
}

test('the library API: connect, send, expect with a capture kept as a variable, close', async (t) => {
  const server = await nameServer(t);
  const result = await scenario({ vars: { who: 'bob' } })
    .connect(`tcp://127.0.0.1:${server.port}`)
    .expect('Welcome!\n')
    .send('{who}\n')
    .expect(/Hello, (?<name>\w+)!\n/)
    .send('exit\n')
    .expect('closed')
    .run();
  assert.equal(result.ok, true, formatReport(result));
  assert.equal(result.vars.name, 'bob');
  assert.deepEqual(result.steps.map((s) => s.kind), ['connect', 'expect', 'send', 'expect', 'send', 'expect']);
});

test('a scenario that listens, and parallel clients in the same scenario, each with its own connection', async () => {
  const result = await runScenario({
    vars: { port: 0 },
    steps: [
      { listen: { port: '{port}', host: '127.0.0.1' } },
      {
        parallel: [
          [{ repeat: 3, steps: [{ accept: null }, { expect: { bytes: 2 } }, { send: 'ok{i}' }, 'close'] }],
          [{ parallel: 3, steps: [{ connect: 'tcp://127.0.0.1:{server_port}' }, { send: 'hi' }, { expect: /ok\d/ }, { expect: 'closed' }] }],
        ],
      },
    ],
  });
  assert.equal(result.ok, true, formatReport(result));
  assert.equal(result.steps.filter((s) => s.kind === 'connect').length, 3);
  assert.ok(result.steps.some((s) => s.path === 'steps[1].parallel[1][0].steps[2]@3'), result.steps.map((s) => s.path).join(' '));
});

test('reset: the peer sees a reset, not a close', async (t) => {
  const seen = [];
  // an echo peer: once the scenario has its answer the peer has read everything, so the reset is what it reads next
  const server = net.createServer((s) => s.on('error', (e) => seen.push(e.code)).on('close', () => seen.push('close')).on('data', (b) => s.write(b)));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const result = await scenario().connect(`tcp://127.0.0.1:${server.address().port}`).send('x').expect('x').reset().run();
  assert.equal(result.ok, true, formatReport(result));
  await within(new Promise((r) => {
    const look = () => (seen.includes('close') ? r() : setTimeout(look, 10));
    look();
  }), { what: 'the peer to see the connection end' });
  assert.deepEqual(seen, ['ECONNRESET', 'close']);
});

test('an expect that times out says what it waited for and what arrived', async (t) => {
  const server = await nameServer(t);
  const result = await scenario().connect(`tcp://127.0.0.1:${server.port}`).expect('Welcome!\nMore', { within: 300 }).run();
  assert.equal(result.ok, false);
  const failed = result.steps.at(-1);
  assert.match(failed.error, /expected text "Welcome!\\nMore" within 300 ms; 9 bytes arrived that do not complete it/);
  assert.match(formatReport(result), /arrived text: {2}"Welcome!\\n"/);
});

test('a bad scenario file is refused with the path of the bad field', async (t) => {
  const dir = tmpDir(t);
  const cases = [
    ['steps:\n  - send: hi\n  - expect: { bytes: 0 }\n', /steps\[1\]\.expect\.bytes: 0 is not a whole number above 0/],
    ['steps:\n  - sned: hi\n', /steps\[0\]: unknown step with sned; use one of connect, listen/],
    ['steps:\n  - repeat: 2\n    steps:\n      - sleep: -1\n', /steps\[0\]\.steps\[0\]\.sleep: -1 is not a number of milliseconds/],
    ['vars: { 1x: 2 }\nsteps: []\n', /vars\.1x: a variable name is letters, digits and _/],
    ['steps: [', /not YAML or JSON/],
  ];
  for (const [text, pattern] of cases) {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, text);
    assert.throws(() => loadScenario(file), pattern);
    const r = await runCli(['run', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
  const missing = await runCli(['run', join(dir, 'none.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /none\.yaml: cannot read it: no such file/);
  const unknownVar = join(dir, 'var.yaml');
  writeFileSync(unknownVar, 'steps:\n  - connect: tcp://127.0.0.1:{nope}\n');
  const r = await runCli(['run', unknownVar]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /steps\[0\]\.connect: no variable \{nope\}; give it in vars or with --var nope=\.\.\./);
});

test('capture, export --scenario, run and replay --check: a regression test from one real session', async (t) => {
  const dir = tmpDir(t);
  const capture = join(dir, 'session.ndjson');
  const good = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line', '--welcome', 'Welcome!\\n', '--reply', 'Hello, {data}!\\n', '--quit', 'exit', '--json']);
  const port = await good.port();
  const client = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--send', 'ann\\n', '--send', 'exit\\n', '--capture', capture]);
  assert.equal(client.code, 0, client.stderr);

  // the capture as a scenario file, played by sockit run against the same kind of server
  const yaml = join(dir, 'session.yaml');
  const exported = await runCli(['export', capture, '--scenario', yaml]);
  assert.equal(exported.code, 0, exported.stderr);
  const text = readFileSync(yaml, 'utf8');
  assert.match(text, /connect: tcp:\/\/\{host\}:\{port\}/);
  // both lines were sent before the answers came, so the answers are expected together
  assert.match(text, /text: Welcome!\\nHello, ann!\\n/);
  const again = await runCli(['run', yaml, '--var', `port=${port}`]);
  assert.equal(again.code, 0, again.stdout + again.stderr);

  // replay --check: the same server passes, one that answers otherwise fails with the report
  const ok = await runCli(['replay', capture, '--check', '--fast', '--port', String(port)]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const other = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line', '--welcome', 'Welcome!\\n', '--reply', 'Hi, {data}.\\n', '--json']);
  const otherPort = await other.port();
  const bad = await runCli(['replay', capture, '--check', '--fast', '--port', String(otherPort), '--within', '1000']);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /expected text "Welcome!\\nHello, ann!\\n"; byte 10 differs/);
  // without --check the answers are not compared
  const plain = await runCli(['replay', capture, '--fast', '--port', String(otherPort)]);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
});

test('replay --as server plays the captured server for a real client', async (t) => {
  const dir = tmpDir(t);
  const capture = join(dir, 'server.ndjson');
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--reply', 'ACK!', '--close', '--json', '--capture', capture]);
  const port = await server.port();
  const first = await runCli(['tcp', 'connect', '127.0.0.1', String(port), '--send', 'hello']);
  assert.equal(first.stdout, 'ACK!');
  await server.waitEvent((e) => e.event === 'close');
  assert.equal((await server.stop('SIGINT')).code, 0);

  const replay = spawnCli(t, ['replay', capture, '--as', 'server', '--port', '0', '--check', '--json']);
  const listening = await replay.waitEvent((e) => e.event === 'listening');
  const second = await runCli(['tcp', 'connect', '127.0.0.1', String(listening.port), '--send', 'hello']);
  assert.equal(second.stdout, 'ACK!', second.stderr);
  const { code } = await within(replay.exited, { what: 'the replayed server to finish' });
  assert.equal(code, 0, replay.stdout + replay.stderr);
});

test('--junit writes a report CI systems read; --json gives a step event each and the result', async (t) => {
  const server = await nameServer(t);
  const dir = tmpDir(t);
  const file = join(dir, 's.json');
  writeFileSync(file, JSON.stringify({ name: 'names', steps: [{ connect: `tcp://127.0.0.1:${server.port}` }, { expect: 'Welcome!\n' }] }));
  const junit = join(dir, 'junit.xml');
  const r = await runCli(['run', file, '--json', '--junit', junit]);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.event), ['step', 'step', 'result']);
  assert.equal(events[2].ok, true);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite name="names" tests="2" failures="0"/);
  assert.match(xml, /<testcase classname="names" name="steps\[1\] expect text &quot;Welcome!\\n&quot;" time="/);
});
