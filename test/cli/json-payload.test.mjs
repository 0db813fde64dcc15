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
