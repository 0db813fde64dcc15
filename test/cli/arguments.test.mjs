// Arguments as nc, ncat and socat users write them: host:port anywhere a host and a port are asked for, framing kinds told from typos.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { spawnCli, runCli, exchange, within } from '../helpers/index.mjs';

test('host:port and [v6]:port wherever a host and a port are asked for', async (t) => {
  const v4 = spawnCli(t, ['tcp', 'listen', '127.0.0.1:0', '--echo', '--json']);
  const e4 = await v4.waitEvent((e) => e.event === 'listening');
  assert.deepEqual(e4.addresses, ['127.0.0.1']);
  const r4 = await runCli(['tcp', 'connect', `127.0.0.1:${e4.port}`, '--send', 'v4', '--wait', '2000']);
  assert.equal(r4.stdout, 'v4', r4.stderr);
  const ping = await runCli(['port', 'ping', `127.0.0.1:${e4.port}`, '-c', '1']);
  assert.equal(ping.code, 0, ping.stderr);

  const v6 = spawnCli(t, ['tcp', 'listen', '[::1]:0', '--echo', '--json']);
  const e6 = await v6.waitEvent((e) => e.event === 'listening');
  assert.equal(e6.address, '::1');
  const r6 = await runCli(['tcp', 'connect', `[::1]:${e6.port}`, '--send', 'v6', '--wait', '2000']);
  assert.equal(r6.stdout, 'v6', r6.stderr);

  const s = dgram.createSocket('udp4');
  s.on('message', (m, from) => s.send(`got ${m}`, from.port, from.address));
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  t.after(() => s.close());
  const u = await runCli(['udp', 'send', `127.0.0.1:${s.address().port}`, 'hi', '--wait', '2000']);
  assert.equal(u.code, 0, u.stderr);
  assert.equal(u.stdout, 'got hi\n');
});

test('host and port said twice, or the port missing: usage errors that say so', async () => {
  const cases = [
    [['tcp', 'connect', '127.0.0.1:9', '80'], /the port is given twice: in '127\.0\.0\.1:9' and as '80'/],
    [['tcp', 'connect', '::1'], /missing port: give <host> <port>, or <host>:<port>/],
    [['tcp', 'connect', '127.0.0.1:x'], /port must be a whole number from 1 to 65535, got 'x'/],
    [['udp', 'send', '127.0.0.1:9', 'a', 'b'], /too many arguments/],
    [['tcp', 'listen', '127.0.0.1:0', '-H', '::1'], /the address is given twice/],
  ];
  await Promise.all(cases.map(async ([args, pattern]) => {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }));
});

test('--frame: a mistyped kind is refused with the nearest one; a delimiter is explicit; the banner names the framing', async (t) => {
  const typo = await runCli(['tcp', 'listen', '0', '--frame', 'lines']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /--frame: unknown kind 'lines' \(did you mean line\?\); the kinds are raw, line, len16 and len32/);
  assert.match(typo.stderr, /hint: to split messages at the text 'lines', write --frame delim:lines/);
  const len = await runCli(['tcp', 'connect', '127.0.0.1', '9', '--frame', 'len8']);
  assert.match(len.stderr, /did you mean len16\?/);

  const words = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'delim:END', '--reply', '<{data}>']);
  await words.waitStdout(/port (\d+) \(tcp, delimiter "END"\)/);
  const port = Number(/port (\d+)/.exec(words.stdout)[1]);
  assert.equal((await exchange(port, 'oneENDtwoEND', { expect: '<one><two>' })).toString(), '<one><two>');

  const crlf = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', '\\r\\n']);
  await crlf.waitStdout(/\(tcp, delimiter "\\r\\n"\)/);
  const line = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line']);
  await line.waitStdout(/\(tcp, line framing\)/);
});
