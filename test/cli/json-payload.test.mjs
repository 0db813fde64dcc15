// --payload: how --json writes each message's bytes (hex by default, base64, or none).
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { exchange, runCli, spawnCli } from '../helpers/index.mjs';

for (const [form, check] of [
  ['hex', (e) => assert.equal(e.hex, '6869ff')],
  ['base64', (e) => { assert.equal(e.base64, Buffer.from('hi\xff', 'latin1').toString('base64')); assert.equal(e.hex, undefined); }],
  ['none', (e) => { assert.equal(e.hex, undefined); assert.equal(e.base64, undefined); }],
]) {
  test(`tcp listen --json --payload ${form}`, async (t) => {
    const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--json', '--echo', '--payload', form]);
    const port = await server.port();
    await exchange(port, Buffer.from('hi\xff', 'latin1'), { expect: 3 });
    for (const kind of ['data', 'send']) {
      const e = await server.waitEvent((e) => e.event === kind, undefined, `the '${kind}' event`);
      assert.equal(e.bytes, 3);
      check(e);
    }
    await server.stop();
  });
}

test('--payload takes hex, base64 or none; ws listen and udp listen take it too', async () => {
  const bad = await runCli(['tcp', 'listen', '0', '--json', '--payload', 'b64']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--payload must be hex, base64, none, got 'b64'/);
  for (const cmd of [['ws', 'listen'], ['udp', 'listen']]) {
    const r = await runCli([...cmd, '0', '--payload', 'nope']);
    assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--payload must be/);
  }
});

// a long message's hex or base64 is written in pieces straight into the output: the line must still be whole and exact
for (const form of ['hex', 'base64']) {
  test(`ws listen --json --payload ${form}: a 300 KiB binary message arrives whole on one line`, async (t) => {
    const { default: WebSocket } = await import('ws');
    const server = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--json', '--payload', form]);
    const port = await server.port();
    const sent = Buffer.alloc(300 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7919) & 0xff;
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    t.after(() => client.terminate());
    await new Promise((resolve, reject) => { client.once('open', resolve); client.once('error', reject); });
    client.send(sent, { binary: true });
    const e = await server.waitEvent((e) => e.event === 'data', undefined, "the 300 KiB message's 'data' event");
    assert.equal(e.bytes, sent.length);
    assert.ok(Buffer.from(e[form], form).equals(sent), `the ${form} field holds the message's bytes exactly`);
    await server.stop();
  });
}

test('tcp listen --show all: a 100 KiB line of Chinese text is shown whole in a pipe, its arrow and text on one line', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line', '--show', 'all', '--no-color']);
  await server.waitStdout(/port \d+/);
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  const text = '中文测试'.repeat(8 * 1024 + 256);
  await exchange(port, Buffer.from(text + '\n'), { end: true });
  await server.waitStdout(text);
  const line = server.stdout.split('\n').find((l) => l.includes(text));
  assert.ok(line.includes(`← ${Buffer.byteLength(text)} B ${text}`), `the head and the whole text on one line: ${line.slice(0, 80)}…`);
  await server.stop();
});
