// The text log's hex dump of a long message, written row by row as bytes, reads as the dump the library formats.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { exchange, spawnCli } from '../helpers/index.mjs';
import { formatHexDump } from '../../dist/index.js';

test('tcp listen --hex --show all: 3,000 bytes in a pipe show as the xxd-style dump of every byte', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--hex', '--show', 'all', '--no-color']);
  await server.waitStdout(/port \d+/);
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 131 + 7) & 0xff));
  await exchange(port, bytes, { end: true });
  await server.waitStdout(/closed \(closed by peer\)/);
  // the bytes may come in more than one read: each read is a dump of its own
  const rows = server.stdout.split('\n').filter((l) => /^ {4}[0-9a-f]{8}: /.test(l)).map((l) => l.slice(4));
  let at = 0;
  for (const l of server.stdout.split('\n')) {
    const m = /← (\d+) B$/.exec(l);
    if (!m) continue;
    const n = Number(m[1]);
    const want = formatHexDump(bytes.subarray(at, at + n)).split('\n');
    const got = rows.splice(0, want.length);
    assert.deepEqual(got, want, `the dump of the read at byte ${at}`);
    at += n;
  }
  assert.equal(at, bytes.length, 'every byte was shown');
  assert.deepEqual(rows, [], 'and nothing else');
  await server.stop();
});
