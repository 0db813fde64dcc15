// Workspaces: sockit.json checked with paths in its errors, saved with unknown fields kept, and `sockit up` starting its sessions against real peers.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirePeer, run, runCli, runPeer, spawnCli, startPeer, tmpDir, WAIT_MS } from '../helpers/index.mjs';
import { loadWorkspace, saveWorkspace, WorkspaceError } from '../../dist/index.js';

function writeWorkspace(t, doc) {
  const dir = tmpDir(t, 'sockit-ws-');
  const file = join(dir, 'sockit.json');
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return { dir, file };
}

test('bad fields are reported with their path, every one, with exit code 2', async (t) => {
  const { dir } = writeWorkspace(t, {
    sessions: [
      { name: 'ok', kind: 'tcp-server', port: 0 },
      { name: 'rules', kind: 'tcp-server', port: 0, rules: [{ match: 'hex:zz', reply: 'x' }] },
      { name: 'far', kind: 'tcp-server', port: 70000 },
      { name: 'ok', kind: 'tcp-client', host: '127.0.0.1', port: 0 },
      { name: 'set', kind: 'tcp-server', port: 0, rules: 'nope' },
    ],
    quick: [{ id: 'q1', label: 'bad hex', mode: 'hex', text: '0g' }],
  });
  const r = await runCli(['up', '--list', '--workspace', join(dir, 'sockit.json')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /sessions\[2\]\.port must be a whole number from 0 to 65535, got '70000'/);
  assert.match(r.stderr, /sessions\[1\]\.rules\[0\]\.match: /);
  assert.match(r.stderr, /sessions\[3\]\.name: 'ok' is used twice/);
  assert.match(r.stderr, /sessions\[3\]\.port must be a whole number from 1 to 65535/);
  assert.match(r.stderr, /sessions\[4\]\.rules: there is no rule set 'nope' in rules/);
  assert.match(r.stderr, /quick\[0\]\.text/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');

  const notJson = writeWorkspace(t, '{\n  "sessions": [\n    { "name": "a", }\n  ]\n}\n');
  const k = await runCli(['up', '--list'], { cwd: notJson.dir });
  assert.equal(k.code, 2);
  assert.match(k.stderr, /sockit\.json: not JSON at line 3, column \d+/);
});

test('loadWorkspace and saveWorkspace keep unknown fields, and a change on disk is never overwritten silently', async (t) => {
  const { dir, file } = writeWorkspace(t, {
    $comment: 'kept by the team',
    sessions: [{ name: 'echo', kind: 'tcp-server', port: 0, echo: true, owner: 'alice' }],
    rules: { modbus: [{ match: 'hex:01 03 ?? ??', reply: '{hex:01 03 02 00 2a}{crc16modbus}' }] },
    quick: [{ id: 'ping', label: 'PING', mode: 'text', text: 'PING', eol: 'lf', color: 'red' }],
    scenarios: [{ name: 'smoke', file: 'smoke.yaml' }],
    future: { anything: [1, 2, 3] },
  });
  const ws = loadWorkspace(file);
  assert.equal(ws.sessions[0].name, 'echo');
  assert.equal(ws.sessions[0].spec.kind, 'tcp-server');
  assert.equal(ws.sessions[0].spec.echo, true);
  assert.equal(ws.dir, dir);

  const doc = structuredClone(ws.doc);
  doc.sessions.push({ name: 'modbus', kind: 'tcp-server', port: 0, rules: 'modbus' });
  const saved = await saveWorkspace(file, doc, { version: ws.version });
  const back = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(back.$comment, 'kept by the team');
  assert.deepEqual(back.future, { anything: [1, 2, 3] });
  assert.equal(back.sessions[0].owner, 'alice');
  assert.equal(back.quick[0].color, 'red');
  assert.equal(back.sessions[1].rules, 'modbus');
  assert.equal(saved.sessions[1].spec.rules.length, 1);

  // someone edits the file; a save from the old version is refused and changes nothing
  writeFileSync(file, readFileSync(file, 'utf8').replace('alice', 'bob'));
  await assert.rejects(saveWorkspace(file, doc, { version: saved.version }), (err) => {
    assert.equal(err.code, 'SOCKIT_ERR_WORKSPACE_CHANGED');
    assert.match(err.message, /was changed on disk since it was loaded/);
    return true;
  });
  assert.match(readFileSync(file, 'utf8'), /bob/);
  await saveWorkspace(file, doc, { version: saved.version, force: true });
  assert.match(readFileSync(file, 'utf8'), /alice/);

  // a bad document is refused before anything is written
  const bad = structuredClone(doc);
  bad.sessions[0].port = 70000;
  await assert.rejects(saveWorkspace(file, bad), (err) => err instanceof WorkspaceError && /sessions\[0\]\.port/.test(err.problems[0]));
  assert.doesNotMatch(readFileSync(file, 'utf8'), /70000/);
});

test('sockit up starts the named sessions in one process, logs prefixed by name, Ctrl-C ends them all', async (t) => {
  const echoPeer = await startPeer(t, 'tcp_echo_asyncio.py', [0]);
  const { dir, file } = writeWorkspace(t, {
    sessions: [
      { name: 'echo', kind: 'tcp-server', host: '127.0.0.1', port: 0, echo: true },
      { name: 'greeter', kind: 'tcp-server', host: '127.0.0.1', port: 0, reply: 'Hello, {data}!' },
      { name: 'device', kind: 'tcp-client', host: '127.0.0.1', port: echoPeer.port },
      { name: 'unused', kind: 'tcp-server', host: '127.0.0.1', port: 0 },
    ],
  });

  const list = await runCli(['up', '--list', '-w', file]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /echo\s+tcp listen 127\.0\.0\.1:0/);
  assert.match(list.stdout, /device\s+tcp connect 127\.0\.0\.1:\d+/);

  const unknown = await runCli(['up', 'nobody', '-w', file]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /there is no session 'nobody' in .*sockit\.json; it has echo, greeter, device, unused/);

  // JSON: each event's session is the workspace name
  const up = spawnCli(t, ['up', 'echo', 'greeter', 'device', '-w', file, '--json']);
  const echoPort = (await up.waitEvent((e) => e.event === 'listening' && e.session === 'echo', WAIT_MS, 'echo listening')).port;
  const greeterPort = (await up.waitEvent((e) => e.event === 'listening' && e.session === 'greeter', WAIT_MS, 'greeter listening')).port;
  await up.waitEvent((e) => e.event === 'connect' && e.session === 'device', WAIT_MS, 'device connected');
  assert.ok(!up.events.some((e) => e.session === 'unused'), 'a session not named is not started');

  const asked = await runPeer('tcp_ask_client.py', ['127.0.0.1', echoPort, 'text:ping\\n']);
  assert.match(asked.stdout, /reply 70 69 6e 67 0a/);
  if (requirePeer(t, 'nc')) {
    const nc = await run('nc', ['-q', '1', '127.0.0.1', String(greeterPort)], { input: 'Bob\n' });
    assert.match(nc.stdout, /Hello, Bob!/);
  }
  const heard = await up.waitEvent((e) => e.event === 'data' && e.session === 'greeter', WAIT_MS, 'the greeter heard Bob');
  // NDJSON events carry their text, as every --json does
  assert.equal(heard.text, 'Bob\n');
  const echoed = await up.waitEvent((e) => e.event === 'data' && e.session === 'echo', WAIT_MS, 'the echo heard ping');
  assert.equal(echoed.text, 'ping\n');

  const { code } = await up.stop('SIGINT');
  assert.equal(code, 0);
  for (const name of ['echo', 'greeter', 'device']) assert.ok(up.events.some((e) => e.event === 'summary' && e.session === name), `${name} ended with its summary`);

  // readable lines: each prefixed by its session's name, started from the folder's sockit.json
  const text = spawnCli(t, ['up', 'echo'], { cwd: dir });
  await text.waitStdout(/^echo \| listening on 127\.0\.0\.1 port \d+/m);
  const textPort = Number(/^echo \| listening on 127\.0\.0\.1 port (\d+)/m.exec(text.stdout)[1]);
  await text.waitStderr('1 session running from');
  // every line of a message is named: a plain one, an escaped one, and each row of a dump of bytes that are not text
  const sent = await runPeer('tcp_ask_client.py', ['127.0.0.1', textPort, 'text:plain words', 'text:two\\nlines']);
  assert.match(sent.stdout, /reply 74 77 6f 0a 6c 69 6e 65 73/);
  await runPeer('tcp_ask_client.py', ['127.0.0.1', textPort, 'modbus:00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11']);
  await text.waitStdout(/^echo \| {5}00000010: 1011/m);
  assert.match(text.stdout, /^echo \| \S+ #\d+ 127\.0\.0\.1:\d+ ← 11 B plain words$/m);
  assert.match(text.stdout, /^echo \| \S+ #\d+ 127\.0\.0\.1:\d+ → 9 B two\\nlines$/m);
  for (const l of text.stdout.trim().split('\n')) assert.match(l, /^echo \| /, `named: ${JSON.stringify(l)}`);
  assert.equal((await text.stop('SIGINT')).code, 0);
});

test('sockit up stops what it started when one session cannot start, naming it', async (t) => {
  const first = writeWorkspace(t, { sessions: [{ name: 'holder', kind: 'tcp-server', host: '127.0.0.1', port: 0 }] });
  const holder = spawnCli(t, ['up', '-w', first.file, '--json']);
  const port = (await holder.waitEvent((e) => e.event === 'listening')).port;
  const { file } = writeWorkspace(t, {
    sessions: [
      { name: 'fine', kind: 'tcp-server', host: '127.0.0.1', port: 0 },
      { name: 'clash', kind: 'tcp-server', host: '127.0.0.1', port },
    ],
  });
  const r = await runCli(['up', '-w', file]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`clash: .*${port}.* in use`));
  await holder.stop('SIGINT');
});

test('sockit run plays a scenario the workspace names, inline or from its file', async (t) => {
  const echoPeer = await startPeer(t, 'tcp_echo_asyncio.py', [0]);
  const { dir } = writeWorkspace(t, {
    scenarios: [
      { name: 'ping', vars: { port: 1 }, steps: [{ connect: 'tcp://127.0.0.1:{port}' }, { send: 'ping\n' }, { expect: 'ping\n', within: 5000 }, { close: true }] },
      { name: 'from-file', file: 'pong.json' },
    ],
  });
  writeFileSync(join(dir, 'pong.json'), JSON.stringify({ name: 'pong', steps: [{ connect: 'tcp://127.0.0.1:{port}' }, { send: 'pong\n' }, { expect: 'PONG\n' }] }));
  const ok = await runCli(['run', 'ping', '--var', `port=${echoPeer.port}`], { cwd: dir });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const failed = await runCli(['run', 'from-file', '--var', `port=${echoPeer.port}`, '-w', join(dir, 'sockit.json')]);
  assert.equal(failed.code, 1, 'the echo answers pong, not PONG');
  assert.match(failed.stdout, /pong: FAILED/);
  const none = await runCli(['run', 'nothing'], { cwd: dir });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /there is no scenario file nothing, nor a scenario 'nothing' in .*sockit\.json; it has ping, from-file/);
});

test('sockit ui opens the sockit.json of its folder, or the file --workspace names', async (t) => {
  const { dir, file } = writeWorkspace(t, { sessions: [] });
  const here = spawnCli(t, ['ui', '-p', '0'], { cwd: dir });
  await here.waitStdout(`workspace: ${file}`);
  await here.stop('SIGINT');
  const other = tmpDir(t, 'sockit-ws-other-');
  const named = spawnCli(t, ['ui', '-p', '0', '--workspace', join(other, 'lab.json')], { cwd: other });
  await named.waitStdout(`workspace: ${join(other, 'lab.json')}`);
  await named.stop('SIGINT');
});

test('sockit up: a UDP echo answers a python3 client, and a served root is found beside the workspace', async (t) => {
  const { dir, file } = writeWorkspace(t, {
    sessions: [
      { name: 'udp-echo', kind: 'udp', host: '127.0.0.1', port: 0, echo: true },
      { name: 'site', kind: 'http', host: '127.0.0.1', port: 0, root: 'public' },
    ],
  });
  mkdirSync(join(dir, 'public'));
  writeFileSync(join(dir, 'public', 'index.html'), '<h1>lab</h1>\n');
  // started from elsewhere: the root is still the workspace's public/
  const up = spawnCli(t, ['up', '-w', file, '--json'], { cwd: tmpDir(t, 'sockit-elsewhere-') });
  const udpPort = (await up.waitEvent((e) => e.event === 'listening' && e.session === 'udp-echo', WAIT_MS, 'the UDP echo listening')).port;
  const sitePort = (await up.waitEvent((e) => e.event === 'listening' && e.session === 'site', WAIT_MS, 'the site listening')).port;
  const udp = await runPeer('udp_client.py', ['127.0.0.1', udpPort, 'hello']);
  assert.equal(udp.stdout.trim(), 'hello', udp.stderr);
  if (requirePeer(t, 'curl')) {
    const page = await run('curl', ['-s', `http://127.0.0.1:${sitePort}/`]);
    assert.equal(page.stdout, '<h1>lab</h1>\n');
  }
  assert.equal((await up.stop('SIGINT')).code, 0);
});
