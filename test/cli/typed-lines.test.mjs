// Lines typed into a listener: @id, /clients, /kick, /help; a line that looks like a mistake is refused, never broadcast as it is.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnCli, waitFor } from '../helpers/index.mjs';
import { parseTypedLine } from '../../dist/cli/typed-lines.js';

test('parseTypedLine: sends, commands and mistakes', () => {
  assert.deepEqual(parseTypedLine('hello'), { kind: 'send', target: 'all', text: 'hello' });
  assert.deepEqual(parseTypedLine('@2 hi there'), { kind: 'send', target: 2, text: 'hi there' });
  assert.deepEqual(parseTypedLine('@@home'), { kind: 'send', target: 'all', text: '@home' });
  assert.deepEqual(parseTypedLine('//tmp'), { kind: 'send', target: 'all', text: '/tmp' });
  assert.deepEqual(parseTypedLine('/clients'), { kind: 'clients' });
  assert.deepEqual(parseTypedLine('/kick 3'), { kind: 'kick', id: 3 });
  assert.deepEqual(parseTypedLine('/help'), { kind: 'help' });
  assert.match(parseTypedLine('@2').message, /@2: nothing to send; write @2 <text>/);
  assert.match(parseTypedLine('@x bad').message, /'@x' is not a client number; nothing sent/);
  assert.match(parseTypedLine('/kick').message, /\/kick needs one client number/);
  assert.match(parseTypedLine('/quit').message, /unknown command '\/quit'; nothing sent/);
});

test('tcp listen: /clients lists the clients, /kick closes one, mistakes are told on stderr and nothing is sent', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--json']);
  const port = await server.port();
  const a = net.connect(port, '127.0.0.1');
  const b = net.connect(port, '127.0.0.1');
  t.after(() => (a.destroy(), b.destroy()));
  let aText = '';
  a.on('data', (d) => (aText += d));
  const aClosed = new Promise((r) => a.on('close', r));
  b.write('from b');
  const first = await server.waitEvent((e) => e.event === 'connect');
  await server.waitEvent((e) => e.event === 'data');
  const second = server.events.find((e) => e.event === 'connect' && e.id !== first.id);
  const aId = [first, second].find((e) => e.peer === `127.0.0.1:${a.localPort}`).id;
  server.child.stdin.write('@x hi\n@2\n/quit\n/clients\n');
  await server.waitStderr(/#\d+ 127\.0\.0\.1:\d+ {2}for \d+ s {2}↓6 B in 1, ↑0 B in 0/);
  assert.match(server.stderr, /'@x' is not a client number; nothing sent/);
  assert.match(server.stderr, /@2: nothing to send; write @2 <text>/);
  assert.match(server.stderr, /unknown command '\/quit'; nothing sent/);
  server.child.stdin.write(`@@to all\n/kick ${aId}\n/help\n`);
  await waitFor(() => aText.includes('@to all') || undefined, { what: 'the @@ line to reach a client', detail: () => aText });
  await aClosed;
  const close = await server.waitEvent((e) => e.event === 'close' && e.id === aId);
  assert.equal(close.reason, 'closed by /kick');
  await server.waitStderr('/kick 2          close client #2');
  assert.equal(aText, '@to all\n', 'nothing of the mistaken lines reached a client');
});
