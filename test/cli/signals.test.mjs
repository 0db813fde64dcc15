// SIGTERM (what a service manager or `kill` sends) ends every long-running command cleanly: exit 0, its summary printed, its port released.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { spawnCli, rawServer, exchange, waitFor, tmpDir, OFFLINE } from '../helpers/index.mjs';

/** Resolves once nothing accepts TCP connections on 127.0.0.1:`port` any more. */
function refused(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), resolve(false)));
    s.on('error', (err) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** A UDP socket on 127.0.0.1 that collects what it receives; closed when the test ends. */
async function udpClient(t) {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  t.after(() => s.close());
  const got = [];
  s.on('message', (m) => got.push(m.toString()));
  return { socket: s, got, port: s.address().port };
}

test('tcp listen: SIGTERM closes the clients, prints the summary and exits 0', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo']);
  await server.waitStdout(/port (\d+)/);
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  assert.equal((await exchange(port, 'ping', { expect: 4 })).toString(), 'ping');
  const held = net.connect(port, '127.0.0.1');
  t.after(() => held.destroy());
  const heldClosed = new Promise((r) => held.on('close', r));
  held.on('error', () => {});
  await server.waitStdout('#2');
  assert.equal((await server.stop('SIGTERM')).code, 0, server.stderr);
  await heldClosed;
  assert.match(server.stdout, /summary: 2 connections, 4 B in \(1 message\), 4 B out \(1 message\) in \d+\.\d s\n$/);
  assert.equal(await refused(port), true, 'the port is released');
});

test('tcp connect: SIGTERM closes the connection, says so with its byte counts and exits 0', async (t) => {
  let serverSide;
  const port = await rawServer(t, (s) => {
    serverSide = s;
    s.write('hello');
  });
  const client = spawnCli(t, ['tcp', 'connect', '127.0.0.1', String(port)]);
  await client.waitStdout('hello');
  assert.equal((await client.stop('SIGTERM')).code, 0, client.stderr);
  assert.match(client.stderr, /connection closed \(closed by us\); 5 B received, 0 B sent\n$/);
  await waitFor(() => serverSide.destroyed || serverSide.readableEnded, { what: 'the server to see the connection end' });
});

test('udp listen: SIGTERM prints the summary and exits 0', async (t) => {
  const server = spawnCli(t, ['udp', 'listen', '0', '-H', '127.0.0.1', '--echo']);
  await server.waitStdout(/port (\d+) \(udp\)/);
  const port = Number(/port (\d+) \(udp\)/.exec(server.stdout)[1]);
  const peer = await udpClient(t);
  peer.socket.send('ping', port, '127.0.0.1');
  await waitFor(() => peer.got.length === 1, { what: 'the echo from udp listen' });
  assert.equal((await server.stop('SIGTERM')).code, 0, server.stderr);
  assert.match(server.stdout, /summary: 1 peer, 4 B in \(1 message\), 4 B out \(1 message\) in \d+\.\d s\n$/);
});

test('udp send, interactive: SIGTERM stops reading lines, prints what was sent and received, exits 0', async (t) => {
  const peer = await udpClient(t);
  peer.socket.on('message', (m, rinfo) => peer.socket.send(`got ${m}`, rinfo.port, rinfo.address));
  const send = spawnCli(t, ['udp', 'send', '127.0.0.1', String(peer.port)], { env: OFFLINE });
  send.child.stdin.write('one\n');
  await send.waitStdout('got one\n');
  assert.equal((await send.stop('SIGTERM')).code, 0, send.stderr);
  assert.match(send.stderr, new RegExp(`1 datagram sent \\(3 B\\) to 127\\.0\\.0\\.1:${peer.port}, 1 received \\(7 B\\)\\n$`));
});

test('serve: SIGTERM ends the server with its summary event and exits 0', async (t) => {
  const root = tmpDir(t);
  const server = spawnCli(t, ['serve', root, '-p', '0', '--json']);
  const port = await server.port();
  assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200);
  assert.equal((await server.stop('SIGTERM')).code, 0, server.stderr);
  const summary = server.events.at(-1);
  assert.equal(summary.event, 'summary');
  assert.equal(summary.messagesIn, 1);
  assert.equal(await refused(port), true, 'the port is released');
});

test('ui: SIGTERM closes the assistant and exits 0', async (t) => {
  const ui = spawnCli(t, ['ui', '--json']);
  const port = await ui.port();
  assert.equal((await ui.stop('SIGTERM')).code, 0, ui.stderr);
  assert.equal(await refused(port), true, 'the port is released');
});

test('load: SIGTERM ends the run early with its report, exit 0', async (t) => {
  const port = await rawServer(t, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
  const load = spawnCli(t, ['load', '127.0.0.1', String(port), '-c', '2', '-d', '60', '--json'], { env: OFFLINE });
  await load.waitStderr('load: 1 s');
  assert.equal((await load.stop('SIGTERM')).code, 0, load.stderr);
  const report = JSON.parse(load.stdout.trim());
  assert.equal(report.event, 'load');
  assert.ok(report.durationMs < 60_000 && report.messagesReceived > 0, JSON.stringify(report));
});

test('port ping: SIGTERM prints the statistics so far, exit 0', async (t) => {
  const port = await rawServer(t, (s) => s.destroy());
  const ping = spawnCli(t, ['port', 'ping', '127.0.0.1', String(port), '-i', '50'], { env: OFFLINE });
  await ping.waitStdout(/seq=2 connected/);
  assert.equal((await ping.stop('SIGTERM')).code, 0, ping.stderr);
  assert.match(ping.stdout, /tcping statistics ---\n\d+ probes, \d+ connected, 0% loss, time \d+ ms\nrtt min\/avg\/max\/mdev = [\d./]+ ms\n$/);
});
