// What sockit shows on a terminal (a pseudo-terminal here): bounded messages with the rest counted, hex beside the text where bytes are not text, encoding hints.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { requirePeer, rawServer, exchange } from '../helpers/index.mjs';
import { runCliOnTerminal, spawnCliOnTerminal } from '../helpers/pty.mjs';

/** Terminal lines without their time of day. */
const untimed = (text) => text.replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, '');

test('tcp listen on a terminal: 70,000 random bytes show as a bounded hex dump with the rest counted', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const server = spawnCliOnTerminal(t, ['tcp', 'listen', '0', '-H', '127.0.0.1']);
  await server.waitOutput(/port (\d+)/);
  const port = Number(/port (\d+)/.exec(server.output)[1]);
  await exchange(port, randomBytes(70_000), { expect: 0 });
  await server.waitOutput(/closed \(closed by peer\)/);
  const lines = server.output.split('\n');
  assert.ok(lines.every((l) => l.length < 160), 'no line floods the terminal');
  assert.match(server.output, /← \d+ B\n {4}00000000: /);
  assert.match(server.output, /… [\d.]+ kB more \(--show all shows everything\)/);
  // 512 bytes of each read at most: 32 rows of 16
  const rows = lines.filter((l) => /^ {4}[0-9a-f]{8}: /.test(l));
  const reads = (server.output.match(/ ← \d+ B/g) ?? []).length;
  assert.ok(rows.length <= reads * 32, `${rows.length} rows for ${reads} reads`);
});

test('tcp connect on a terminal: text shown, --show bounds it; GBK at a UTF-8 client: hex beside it and a hint', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const port = await rawServer(t, (s) => {
    s.on('data', (d) => {
      if (String(d) === 'text') s.end('hello world, and more');
      else s.end(Buffer.from('c4e3bac3b7fecef1b6cb', 'hex')); // 你好服务端 in GBK
    });
  });
  const shown = await runCliOnTerminal(['tcp', 'connect', '127.0.0.1', String(port), '--send', 'text', '--show', '5']);
  assert.equal(shown.code, 0, shown.stderr);
  // each line with its time and direction
  assert.match(shown.stdout, /^\d\d:\d\d:\d\d\.\d{3} → text\n\d\d:\d\d:\d\d\.\d{3} ← /);
  assert.equal(untimed(shown.stdout), '→ text\n← hello … 16 B more (--show all shows everything)\n');
  const gbk = await runCliOnTerminal(['tcp', 'connect', '127.0.0.1', String(port), '--send', 'gbk']);
  assert.match(untimed(gbk.stdout), /^→ gbk\n← 10 B\n00000000: c4e3 bac3 b7fe cef1 b6cb +\.{10}\n$/);
  assert.match(gbk.stderr, /hint: these bytes are not utf8 but read as GBK: try --encoding gbk/);
  const asGbk = await runCliOnTerminal(['tcp', 'connect', '127.0.0.1', String(port), '--send', 'gbk', '--encoding', 'gbk']);
  assert.equal(untimed(asGbk.stdout), '→ gbk\n← 你好服务端\n');
  const hex = await runCliOnTerminal(['tcp', 'connect', '127.0.0.1', String(port), '--send', 'gbk', '--encoding', 'gbk', '--hex']);
  assert.match(untimed(hex.stdout), /\n← 10 B\n00000000: c4e3 bac3 b7fe cef1 b6cb +你好服务端\n$/);
});
