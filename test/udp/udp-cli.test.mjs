// The udp commands end to end, against python3 peers written like the lessons and nc -u.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, runCli, runPeer, run, skipUnless, unavailable, tmpDir, closedUdpPort, startPeer, peerOutput, waitFor, within, quietFor, OFFLINE } from '../helpers/index.mjs';

// host names other than localhost fail inside the CLI without asking a resolver
const cli = (args, options = {}) => runCli(args, { ...options, env: { ...OFFLINE, ...options.env } });
const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Sends one datagram from a throwaway socket (no answer awaited). */
async function sendDatagram(port, payload, host = '127.0.0.1') {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise((r, j) => s.send(payload, port, host, (e) => (e ? j(e) : r())));
  s.close();
}


test("the lesson's UDP server: udp listen --reply 'Hello, {data}!' answers a python client", async (t) => {
  const server = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--reply', 'Hello, {data}!', '--json']);
  const port = await server.port();
  const r = await runPeer('udp_client.py', ['127.0.0.1', port, 'alice', '世界']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Hello, alice!\nHello, 世界!\n');
  const data = await server.waitEvent((e) => e.event === 'data' && e.n === 2);
  assert.equal(data.text, '世界');
  assert.equal(data.hex, 'e4b896e7958c');
  assert.equal(data.id, 1);
  const sends = server.events.filter((e) => e.event === 'send');
  assert.equal(sends.length, 2);
  assert.equal(sends[0].peer, data.peer);
});

test('udp listen shows datagrams as readable lines, and as a hex dump with --hex', async (t) => {
  const plain = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1']);
  await plain.waitStdout(/listening on 127\.0\.0\.1 port (\d+) \(udp\)/);
  const port = Number(/port (\d+)/.exec(plain.stdout)[1]);
  await sendDatagram(port, 'hi there');
  await plain.waitStdout(/#1 127\.0\.0\.1:\d+ ← 8 B hi there/);

  const hex = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--hex']);
  await hex.waitStdout('(udp)');
  const hport = Number(/port (\d+)/.exec(hex.stdout)[1]);
  await sendDatagram(hport, 'Hello');
  await hex.waitStdout('00000000: 4865 6c6c 6f');
});

test('udp send talks to the lesson server: text, repeats, stdin lines and hex', async (t) => {
  const peer = await startPeer(t, 'udp_hello_server.py');
  // four clients at once; each waits for 3 s of silence, as a busy machine may be slow to answer
  const [one, many, lines, hex] = await Promise.all([
    cli(['udp', 'send', '127.0.0.1', peer.port, 'Bob', '--wait', '3000']),
    cli(['udp', 'send', '127.0.0.1', peer.port, 'again', '--repeat', '3', '--interval', '20', '--wait', '3000']),
    cli(['udp', 'send', '127.0.0.1', peer.port, '--wait', '3000'], { input: 'ann\nben\n' }),
    cli(['udp', 'send', '127.0.0.1', peer.port, '48 69', '--send-hex', '--wait', '3000']),
  ]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, 'Hello, Bob!\n');
  assert.match(one.stderr, /1 datagram sent \(3 B\) to 127\.0\.0\.1:\d+, 1 received \(11 B\)/);
  assert.equal(many.stdout, 'Hello, again!\n'.repeat(3));
  assert.equal(lines.code, 0, lines.stderr);
  assert.equal(lines.stdout, 'Hello, ann!\nHello, ben!\n');
  assert.equal(hex.stdout, 'Hello, Hi!\n');
  assert.match(peer.output(), /received 5 bytes/);
});

test('udp send --json gives connect, send, data and summary events', async (t) => {
  const peer = await startPeer(t, 'udp_hello_server.py');
  const r = await cli(['udp', 'send', '127.0.0.1', peer.port, 'Zed', '--json', '--wait', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.event), ['connect', 'send', 'data', 'summary']);
  assert.equal(events[2].text, 'Hello, Zed!');
  assert.equal(events[0].peer, `127.0.0.1:${peer.port}`);
});

test('udp send --file splits a file into datagrams of --size bytes, all arriving in order', async (t) => {
  const dir = tmpDir(t);
  const body = randomBytes(10000);
  const file = join(dir, 'data.bin');
  writeFileSync(file, body);
  const sink = await startPeer(t, 'udp_sink.py', [34]);
  const r = await cli(['udp', 'send', '127.0.0.1', sink.port, '--file', file, '--size', '300', '--wait', '0']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /34 datagrams sent \(10\.0 kB\)/);
  // the sink reports once all 34 are in; if some were lost, SIGTERM asks it what did come
  await within(sink.exited, { what: 'the sink to receive all 34 datagrams' }).catch(() => sink.child.kill('SIGTERM'));
  await within(sink.exited, { what: 'the sink to report after SIGTERM' });
  const result = JSON.parse(sink.output().trim().split('\n').at(-1));
  assert.deepEqual(result, { datagrams: 34, bytes: 10000, sizes: [100, 300], sha256: sha(body) });
});

test('nothing listening: exit 4 with one sentence, no stack', async () => {
  const port = await closedUdpPort();
  const r = await cli(['udp', 'send', '127.0.0.1', port, 'hello?', '--repeat', '5', '--interval', '50']);
  assert.equal(r.code, 4);
  assert.match(r.stderr, new RegExp(`error: nothing is listening on 127\\.0\\.0\\.1:${port} \\(UDP\\): the host answered "port unreachable" \\[SOCKIT_ERR_REFUSED\\]`));
  assert.doesNotMatch(r.stderr, /at .*\.js/);
  // it stops at the first refusal rather than sending all five
  assert.match(r.stderr, /[12] datagrams? sent/);
  const six = await cli(['udp', 'send', '::1', port, 'hello?']);
  assert.equal(six.code, 4);
  assert.match(six.stderr, /nothing is listening on \[::1\]:\d+ \(UDP\)/);
});

test('too large for one datagram: refused before sending, exit 2', async (t) => {
  const peer = await startPeer(t, 'udp_hello_server.py');
  const r = await cli(['udp', 'send', '127.0.0.1', peer.port, 'x'.repeat(65508)]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /a UDP datagram over IPv4 can carry at most 65507 bytes; this one has 65508, so it was not sent \[SOCKIT_ERR_DATAGRAM_TOO_LARGE\]/);
  assert.match(r.stderr, /0 datagrams sent/);
  // a marker sent after the refusal is the first thing the server hears: nothing went before it
  const marker = await cli(['udp', 'send', '127.0.0.1', peer.port, 'marker', '--wait', '0']);
  assert.equal(marker.code, 0, marker.stderr);
  await peerOutput(peer, /received 6 bytes/);
  assert.match(peer.output(), /^listening on \d+\nreceived 6 bytes/);

  const dir = tmpDir(t);
  writeFileSync(join(dir, 'f'), 'abc');
  const size = await cli(['udp', 'send', '127.0.0.1', peer.port, '--file', join(dir, 'f'), '--size', '65520']);
  assert.equal(size.code, 2);
  assert.match(size.stderr, /--size: a UDP datagram over IPv4 can carry at most 65507 bytes/);
});

test('bad arguments name the argument (exit 2); an unknown host is exit 4', async () => {
  const cases = [
    [['udp', 'send', '127.0.0.1', '70000', 'x'], 2, /port must be a whole number from 1 to 65535, got '70000'/],
    [['udp', 'listen', 'abc'], 2, /port must be a whole number from 0 to 65535, got 'abc'/],
    [['udp', 'send', '127.0.0.1', '9', '4g', '--send-hex'], 2, /'g' at position 2 is not a hex digit/],
    [['udp', 'listen', '0', '--join', '10.1.2.3'], 2, /--join: '10\.1\.2\.3' is not a multicast group address/],
    [['udp', 'send', 'no-such-host.invalid', '9', 'x'], 4, /host no-such-host\.invalid was not found/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(args)));
  runs.forEach((r, i) => {
    assert.equal(r.code, cases[i][1], `${cases[i][0].join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][2]);
  });
});

test('a UDP port in use is exit 3, naming the program that holds it', async (t) => {
  const peer = await startPeer(t, 'udp_hello_server.py');
  const r = await cli(['udp', 'listen', String(peer.port), '-H', '127.0.0.1']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, new RegExp(`port ${peer.port} is already in use by python3 \\(pid ${peer.child.pid}\\)`));
});

test('lines typed into udp listen go to every peer heard from, or to one with @id', async (t) => {
  const server = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--json']);
  const port = await server.port();
  const a = dgram.createSocket('udp4');
  t.after(() => a.close());
  const got = [];
  a.on('message', (m) => got.push(m.toString()));
  a.send('hi', port, '127.0.0.1');
  await server.waitEvent((e) => e.event === 'data');
  server.child.stdin.write('hello back\n@1 just you\n@7 nobody\n');
  await server.waitStderr('no peer #7; nothing sent');
  await waitFor(() => got.length >= 2, { what: 'two datagrams typed on stdin', detail: () => JSON.stringify(got) });
  assert.deepEqual(got, ['hello back', 'just you']);
});

test('IPv6: udp listen on ::1 and udp send to ::1', async (t) => {
  const server = spawnCli(t, ['udp', 'listen', '0', '-H', '::1', '--echo', '--json']);
  const port = await server.port();
  const r = await cli(['udp', 'send', '::1', port, 'six', '--wait', '1000']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'six\n');
  assert.match((await server.waitEvent((e) => e.event === 'data')).peer, /^\[::1\]:\d+$/);
});

test('--broadcast sends unconnected, so each reply says who sent it', async (t) => {
  const peer = await startPeer(t, 'udp_hello_server.py');
  const r = await cli(['udp', 'send', '127.0.0.1', peer.port, 'all', '--broadcast', '--wait', '1000']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `127.0.0.1:${peer.port}: Hello, all!\n`);
});

test('multicast: udp listen --join hears udp send to the group on loopback', async (t) => {
  const group = '239.255.42.99';
  const server = spawnCli(t, ['udp', 'listen', '0', '--join', group, '--iface', '127.0.0.1', '--json']);
  const started = await Promise.race([server.port(), server.exited.then(() => undefined)]);
  // a join that fails is a skip that says why on a developer machine, a failure in CI
  if (started === undefined) return unavailable(t, `joining ${group} on loopback failed here: ${server.stderr.trim()}`);
  const r = await cli(['udp', 'send', group, started, 'to the group', '--iface', '127.0.0.1', '--ttl', '0', '--wait', '0']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await server.waitEvent((e) => e.event === 'data')).text, 'to the group');
});

test('nc -u as a client of udp listen --echo', { skip: skipUnless('nc') }, async (t) => {
  const server = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--json']);
  const port = await server.port();
  const r = await run('nc', ['-u', '-w', '1', '127.0.0.1', String(port)], { input: 'ping over nc\n' });
  assert.equal(r.stdout, 'ping over nc\n');
  assert.equal((await server.waitEvent((e) => e.event === 'data')).text, 'ping over nc\n');
});

test('udp send is heard by nc -u -l', { skip: skipUnless('nc') }, async (t) => {
  // nc cannot report a port it chose, so the port comes from a socket we bound and released
  const port = await closedUdpPort();
  const nc = spawn('nc', ['-u', '-l', '-W', '1', '127.0.0.1', String(port)]);
  t.after(() => nc.kill());
  let got = '';
  nc.stdout.on('data', (b) => (got += b));
  // nc needs a moment to bind; until then the send is refused, so retry up to a deadline
  await waitFor(async () => got || (await cli(['udp', 'send', '127.0.0.1', port, 'to nc\n', '--wait', '100']), got), { what: `nc -u -l on port ${port} to print a datagram` });
  assert.equal(got, 'to nc\n');
});

/** A UDP socket bound to `address` (any of 127.0.0.0/8) that collects what comes back; closed when the test ends. */
async function udpPeer(t, address = '127.0.0.1') {
  const socket = dgram.createSocket('udp4');
  await new Promise((r) => socket.bind(0, address, r));
  t.after(() => socket.close());
  const got = [];
  socket.on('message', (m) => got.push(m.toString()));
  return { socket, got, address, send: (text, port) => new Promise((r, j) => socket.send(text, port, '127.0.0.1', (e) => (e ? j(e) : r()))) };
}

test('udp listen --quiet: datagrams are answered but not shown; the summary still counts them', async (t) => {
  const text = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet']);
  await text.waitStdout(/port (\d+) \(udp\)/);
  const port = Number(/port (\d+) \(udp\)/.exec(text.stdout)[1]);
  const a = await udpPeer(t);
  await a.send('hush', port);
  // the echo shows the datagram was handled; stopping then flushes whatever would have been shown
  await waitFor(() => a.got.length === 1, { what: 'the echo of a datagram sent to udp listen --quiet' });
  assert.equal((await text.stop('SIGTERM')).code, 0, text.stderr);
  assert.doesNotMatch(text.stdout, /hush|←|→/);
  assert.match(text.stdout, /summary: 1 peer, 4 B in \(1 message\), 4 B out \(1 message\)/);

  const json = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const jport = await json.port();
  await a.send('hush', jport);
  await waitFor(() => a.got.length === 2, { what: 'the echo of a datagram sent to udp listen --quiet --json' });
  assert.equal((await json.stop('SIGTERM')).code, 0, json.stderr);
  assert.deepEqual(json.events.map((e) => e.event), ['listening', 'summary']);
  assert.equal(json.events[1].messagesIn, 1);
  assert.equal(json.events[1].messagesOut, 1);
});

test('udp listen --allow/--deny: datagrams from other addresses are neither shown nor answered; --deny wins', async (t) => {
  const server = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--allow', '127.0.0.0/24', '--deny', '127.0.0.3', '--echo', '--json']);
  const port = await server.port();
  const denied = await udpPeer(t, '127.0.0.3');
  const outside = await udpPeer(t, '127.0.1.9');
  const allowed = await udpPeer(t, '127.0.0.2');
  await denied.send('from .3', port);
  await outside.send('from 127.0.1.9', port);
  await allowed.send('from .2', port);
  // datagrams are handled in the order they arrived: when .2 is answered, the others were already passed over
  await waitFor(() => allowed.got.length === 1, { what: 'the echo to the allowed address' });
  await Promise.all([denied, outside].map((p) => quietFor(p.socket, 'message', 300, { what: `an answer to ${p.address}` })));
  const data = server.events.filter((e) => e.event === 'data');
  assert.deepEqual(data.map((e) => [e.peer.split(':')[0], e.text]), [['127.0.0.2', 'from .2']]);
  assert.equal(data[0].id, 1, 'ignored senders are not numbered');
});

test('udp listen --allow with a bad range is a usage error naming the option', async () => {
  const r = await cli(['udp', 'listen', '0', '--allow', '127.0.0.0/33']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--allow: bad prefix length in '127\.0\.0\.0\/33'/);
});
