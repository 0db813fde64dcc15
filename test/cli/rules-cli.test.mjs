// Rules and builders through the CLI, each kind with a real peer: Modbus, an AT modem, a JSON API, and every action.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { spawnCli, runCli, runPeer, exchange, tmpDir, waitFor } from '../helpers/index.mjs';
import { requireWebsockets, runPy } from '../ws/helpers.mjs';

async function listen(t, args) {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--json', ...args]);
  return { server, port: await server.port() };
}

test('Modbus: a hex rule with wildcards answers a read request with a CRC the client checks itself', async (t) => {
  const { port } = await listen(t, ['--hex', '--rule', 'hex:01 03 ?? ?? ?? ?? => {hex:01 03 02 00 2a}{crc16modbus}']);
  const r = await runPeer('modbus_client.py', ['127.0.0.1', port]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.trim(), 'register 0 = 42');
});

test('an AT-command modem: line framing, exact text and prefix rules, a fallback for the rest', async (t) => {
  const { server, port } = await listen(t, [
    '--frame', 'line',
    '--rule', 'AT => OK\\r\\n',
    '--rule', 'prefix:AT+CSQ => +CSQ: 23,99\\r\\n\\r\\nOK\\r\\n',
    '--rule', 'prefix:AT+CGMI => Sockit Modems\\r\\nOK\\r\\n',
    '--reply', 'ERROR\\r\\n',
  ]);
  const r = await runPeer('at_modem_client.py', ['127.0.0.1', port, 'AT', 'AT+CSQ', 'AT+CGMI', 'ATZZ']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'AT -> OK\nAT+CSQ -> +CSQ: 23,99 |  | OK\nAT+CGMI -> Sockit Modems | OK\nATZZ -> ERROR\n');
  const { code } = await server.stop('SIGINT');
  assert.equal(code, 0);
  const summary = await server.waitEvent((e) => e.event === 'summary');
  assert.deepEqual(summary.rules.map((r) => r.hits), [1, 1, 1]);
});

test('a JSON API: a regex with captures builds the answer, {counter} numbers them', async (t) => {
  const { port } = await listen(t, ['--frame', 'line', '--rule', '/"method":"(?<method>\\w+)","id":(\\d+)/ => {"id":{2},"result":"{method} done","seq":{counter}}\\n']);
  const want1 = '{"id":7,"result":"ping done","seq":1}\n';
  assert.equal((await exchange(port, '{"method":"ping","id":7}\n', { expect: want1 })).toString(), want1);
  const want2 = '{"id":8,"result":"stop done","seq":2}\n';
  assert.equal((await exchange(port, '{"method":"stop","id":8}\n', { expect: want2 })).toString(), want2);
});

test('contains, len and any; delay, count, close, reset and ignore', async (t) => {
  const { port } = await listen(t, [
    '--rule', 'contains:slow => delay:300 late',
    '--rule', 'contains:once => count:1 first',
    '--rule', 'bye => then:close BYE',
    '--rule', 'boom => reset',
    '--rule', 'shh => ignore',
    '--rule', 'len>10 => long',
    '--rule', 'any => short',
  ]);
  const started = Date.now();
  assert.equal((await exchange(port, 'so slow', { expect: 'late' })).toString(), 'late');
  assert.ok(Date.now() - started >= 300, 'the delayed reply came after 300 ms');
  assert.equal((await exchange(port, 'once', { expect: 'first' })).toString(), 'first');
  // count:1 used up: the next rules answer
  assert.equal((await exchange(port, 'once', { expect: 'short' })).toString(), 'short');
  assert.equal((await exchange(port, 'a long message', { expect: 'long' })).toString(), 'long');
  // then:close: the answer, then the server's FIN (exchange waits for the close)
  assert.equal((await exchange(port, 'bye')).toString(), 'BYE');
  // reset: the connection is reset, no answer
  await assert.rejects(exchange(port, 'boom'), /ECONNRESET/);
  // ignore: nothing comes back, and the connection stays
  const s = net.connect(port, '127.0.0.1');
  t.after(() => s.destroy());
  await new Promise((r) => s.once('connect', r));
  const got = [];
  s.on('data', (d) => got.push(d));
  s.write('shh');
  await new Promise((r) => setTimeout(r, 300));
  s.write('x');
  await waitFor(() => Buffer.concat(got).toString() === 'short', { what: 'the answer to the message after an ignored one' });
});

test('--rules-file (YAML) is reloaded when it changes; a bad edit keeps the rules and says why', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'rules.yaml');
  fs.writeFileSync(file, '- PING => PONG\n- match: "hex:ff"\n  reply: "{hex:fe}"\n');
  const { server, port } = await listen(t, ['--rules-file', file]);
  assert.equal((await exchange(port, 'PING', { expect: 'PONG' })).toString(), 'PONG');
  assert.equal((await exchange(port, Buffer.from([0xff]), { expect: 1 })).toString('hex'), 'fe');
  fs.writeFileSync(file + '.tmp', '- PING => PANG\n');
  fs.renameSync(file + '.tmp', file); // as editors save
  await waitFor(async () => (await exchange(port, 'PING', { expect: 4 })).toString() === 'PANG', { what: 'the edited rule to answer' });
  fs.writeFileSync(file, '- PING => {nope}\n');
  const err = await server.waitEvent((e) => e.event === 'error' && /rules/.test(e.message));
  assert.match(err.message, /unknown variable \{nope\}/);
  assert.equal((await exchange(port, 'PING', { expect: 4 })).toString(), 'PANG');
});

test('rules on a UDP listener and on a TCP client', async (t) => {
  const udp = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--json', '--rule', 'prefix:HELLO => hi {peer}']);
  const uport = await udp.port();
  const r = await runPeer('udp_client.py', ['127.0.0.1', uport, 'HELLO there']);
  assert.match(r.stdout, /hi 127\.0\.0\.1:\d+/);
  // a server that asks a question; the client's rule answers it
  const srv = net.createServer((s) => {
    s.write('NAME?\n');
    s.on('data', (d) => {
      s.end(`hello ${d.toString().trim()}\n`);
    });
  }).listen(0, '127.0.0.1');
  t.after(() => srv.close());
  await new Promise((r) => srv.once('listening', r));
  const client = spawnCli(t, ['tcp', 'connect', '127.0.0.1', String(srv.address().port), '--rule', 'NAME? => sockit\\n', '--json']);
  const data = await client.waitEvent((e) => e.event === 'data' && /hello/.test(e.text));
  assert.equal(data.text, 'hello sockit\n');
});

test('a bad rule is a usage error naming the rule and the place', async (t) => {
  const r = await runCli(['tcp', 'listen', '0', '--rule', 'x => {crc17}']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--rule.*unknown builder \{crc17\} at column 1; known:/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
});

test('rules on a WebSocket server: each message a python websockets client sends is matched whole', async (t) => {
  if (!requireWebsockets(t)) return;
  const server = spawnCli(t, ['ws', 'listen', '0', '-H', '127.0.0.1', '--json', '--rule', '/^sum (\\d+) (\\d+)$/ => got {1} and {2}', '--rule', 'any => ?']);
  const port = await server.port();
  const r = await runPy('ws_client.py', [`ws://127.0.0.1:${port}/`, 'sum 2 3', 'hello']);
  assert.match(r.stdout, /recv text 'got 2 and 3'\nrecv text '\?'\n/);
});
