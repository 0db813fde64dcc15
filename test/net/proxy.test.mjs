// The TCP relay session: both directions shown, half-close, backpressure, byte-exact transfers, unreachable targets and who closed first.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { closedPort, PEERS, requirePeer, waitFor, within } from '../helpers/index.mjs';
import { collect, connect, echoTarget, eventMatching, hashIncoming, proxyTo, sendRandom, target } from '../helpers/relay.mjs';

test('relays both ways, framing and showing each direction with its arrow', async (t) => {
  const echo = await echoTarget(t);
  const { events, port, proxy } = await proxyTo(t, echo.port, { frame: { kind: 'line' } });
  const c = await connect(t, port);
  const got = collect(c);
  c.write('hello\nwor');
  c.write('ld\n');
  assert.equal((await got.until(12)).toString(), 'hello\nworld\n');
  const data = await eventMatching(events, (e) => e.event === 'data' && e.direction === 'down' && e.n === 2, 'the second message down');
  assert.equal(data.text, 'world');
  const up = events.filter((e) => e.event === 'data' && e.direction === 'up').map((e) => e.text);
  assert.deepEqual(up, ['hello', 'world']);
  const tgt = events.find((e) => e.event === 'target');
  assert.equal(tgt.id, 1);
  assert.equal(tgt.target, `127.0.0.1:${echo.port}`);
  assert.ok(tgt.connectMs >= 0);
  c.end();
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.closedBy, 'client');
  assert.equal(close.how, 'fin');
  assert.match(close.reason, /client closed \(FIN\) first; then target closed \(FIN\)/);
  assert.equal(close.bytesIn, 12);
  assert.equal(close.bytesOut, 12);
  assert.equal(proxy.stats.messagesIn, 2);
  assert.equal(proxy.stats.messagesOut, 2);
});

test('a half-close travels through: the target reads to the end, then its answer still arrives', async (t) => {
  // the target answers only after the client's FIN, with the count of what it read
  const tgt = await target(t, (s) => {
    let n = 0;
    s.on('data', (b) => (n += b.length));
    s.on('end', () => s.end(`read ${n} bytes\n`));
  });
  const { events, port } = await proxyTo(t, tgt.port);
  const c = await connect(t, port);
  const got = collect(c);
  c.end('x'.repeat(100_000));
  assert.equal((await got.end()).toString(), 'read 100000 bytes\n');
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.closedBy, 'client');
  assert.equal(close.how, 'fin');
});

test('a python client half-closes through the relay to a python server and gets its answer', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const peer = spawn('python3', ['-c', `
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
data = b''
while True:
    b = c.recv(4096)
    if not b: break
    data += b
c.sendall(b'upper:' + data.upper()); c.close()
`]);
  t.after(() => peer.kill());
  const line = await within(new Promise((r) => createInterface({ input: peer.stdout }).once('line', r)), { what: 'the python server port' });
  const { port } = await proxyTo(t, Number(line));
  const client = spawn('python3', ['-c', `
import socket, sys
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(b'hello through'); s.shutdown(socket.SHUT_WR)
out = b''
while True:
    b = s.recv(4096)
    if not b: break
    out += b
sys.stdout.write(out.decode())
`]);
  let out = '';
  client.stdout.on('data', (b) => (out += b));
  const code = await within(new Promise((r) => client.on('exit', r)), { what: 'the python client' });
  assert.equal(code, 0);
  assert.equal(out, 'upper:HELLO THROUGH');
});

test('16 MiB of random bytes each way at once arrive with the same SHA-256', async (t) => {
  // 1 GiB each way, with a slow reader, is bench/proxy-soak.mjs
  const size = 16 * 1024 * 1024;
  let targetSide;
  const tgt = await target(t, (s) => {
    targetSide = Promise.all([hashIncoming(s), sendRandom(s, size)]);
  });
  const { port, events } = await proxyTo(t, tgt.port);
  const c = await connect(t, port);
  const [down, upSent] = await within(Promise.all([hashIncoming(c), sendRandom(c, size)]), { what: 'both transfers', timeoutMs: 100_000 });
  const [up, downSent] = await targetSide;
  assert.equal(up.bytes, size);
  assert.equal(up.sha256, upSent);
  assert.equal(down.bytes, size);
  assert.equal(down.sha256, downSent);
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.bytesIn, size);
  assert.equal(close.bytesOut, size);
});

test('backpressure holds both ways: a reader that does not read stops the writer, and nothing is lost', async (t) => {
  let server;
  const tgt = await target(t, (s) => (server = s));
  const { port } = await proxyTo(t, tgt.port);
  const c = await connect(t, port);
  await waitFor(() => server, { what: 'the target to accept' });
  for (const [writer, reader, name] of [[server, c, 'down'], [c, server, 'up']]) {
    reader.pause();
    const block = Buffer.alloc(64 * 1024, name === 'down' ? 0x64 : 0x75);
    let written = 0;
    // write until the socket says stop, a few times over: a relay without backpressure would take it all
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline && written < 256 * 1024 * 1024) {
      if (writer.write(block)) written += block.length;
      else {
        written += block.length;
        const drained = await Promise.race([new Promise((r) => writer.once('drain', () => r(true))), new Promise((r) => setTimeout(() => r(false), 300))]);
        if (!drained) break;
      }
    }
    assert.ok(written < 64 * 1024 * 1024, `${name}: the writer could write ${written} bytes to a reader that reads nothing`);
    let got = 0;
    const all = new Promise((resolve) => {
      reader.on('data', (b) => {
        got += b.length;
        if (got >= written) resolve();
      });
    });
    reader.resume();
    await within(all, { what: `${name}: all ${written} bytes` });
    assert.equal(got, written);
    reader.removeAllListeners('data');
  }
});

test('a refused target closes the client with the reason; the proxy keeps serving', async (t) => {
  const dead = await closedPort();
  const { events, port } = await proxyTo(t, dead);
  const c = await connect(t, port);
  const got = collect(c);
  await got.end();
  assert.equal(got.error, undefined, 'closed with FIN, not reset');
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.closedBy, 'target');
  assert.equal(close.how, 'refused');
  assert.match(close.reason, /refused/);
  const err = events.find((e) => e.event === 'error');
  assert.equal(err.code, 'SOCKIT_ERR_REFUSED');
  assert.equal(err.id, 1);
  // the target comes up: the next client gets through
  const up = net.createServer((s) => s.end('up now'));
  await new Promise((r) => up.listen(dead, '127.0.0.1', r));
  t.after(() => up.close());
  const c2 = await connect(t, port);
  assert.equal((await collect(c2).end()).toString(), 'up now');
});

test('with resetOnFail a refused target resets the client', async (t) => {
  const { port } = await proxyTo(t, await closedPort(), { resetOnFail: true });
  const c = await connect(t, port);
  const got = collect(c);
  await got.end();
  assert.equal(got.error?.code, 'ECONNRESET');
});

test('a target that never accepts times out; the client is told so', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const peer = spawn('python3', [join(PEERS, 'stuck_backlog_server.py'), '20']);
  t.after(() => peer.kill());
  const line = await within(new Promise((r) => createInterface({ input: peer.stdout }).once('line', r)), { what: 'the stuck server port' });
  const { events, port } = await proxyTo(t, Number(line), { connectTimeoutMs: 300 });
  const started = Date.now();
  const c = await connect(t, port);
  await collect(c).end();
  assert.ok(Date.now() - started >= 290, 'not before the connect timeout');
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.how, 'timeout');
  assert.match(close.reason, /timed out/);
});

test('who closed first: the target by FIN, then a client reset passed on as a reset', async (t) => {
  let targetReset;
  const tgt = await target(t, (s) => {
    targetReset = new Promise((resolve) => s.on('error', (e) => resolve(e.code)));
    s.end('bye\n');
  });
  const { events, port } = await proxyTo(t, tgt.port);
  const c = await connect(t, port);
  const got = collect(c);
  await got.end();
  assert.equal(got.bytes.toString(), 'bye\n');
  c.end();
  let close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.closedBy, 'target');
  assert.match(close.reason, /^target closed \(FIN\) first; then client closed \(FIN\)/);

  const tgt2 = await target(t, () => {});
  const { events: ev2, port: port2 } = await proxyTo(t, tgt2.port);
  let serverSide;
  tgt2.server.on('connection', (s) => {
    serverSide = s;
    targetReset = new Promise((resolve) => s.on('error', (e) => resolve(e.code)));
  });
  const c2 = await connect(t, port2);
  await eventMatching(ev2, (e) => e.event === 'target', 'target');
  assert.ok(serverSide);
  c2.resetAndDestroy();
  assert.equal(await within(targetReset, { what: 'the reset to reach the target' }), 'ECONNRESET');
  close = await eventMatching(ev2, (e) => e.event === 'close', 'close');
  assert.equal(close.closedBy, 'client');
  assert.equal(close.how, 'rst');
});

test('idle connections are closed after the idle timeout', async (t) => {
  const tgt = await target(t, () => {});
  const { events, port } = await proxyTo(t, tgt.port, { idleTimeoutMs: 200 });
  const c = await connect(t, port);
  await collect(c).end();
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.closedBy, 'proxy');
  assert.equal(close.how, 'timeout');
});

test('allow, deny and max-conns refuse clients before the target is dialled', async (t) => {
  let dialled = 0;
  const tgt = await target(t, (s) => {
    dialled++;
    s.end();
  });
  const denied = await proxyTo(t, tgt.port, { deny: ['127.0.0.0/8'] });
  // the reset may come before the connect callback: collect from the start
  const got = collect(net.connect(denied.port, '127.0.0.1'));
  await got.end();
  assert.equal(got.error?.code, 'ECONNRESET');
  assert.match((await eventMatching(denied.events, (e) => e.event === 'close')).reason, /not allowed/);

  const hold = await target(t, () => {});
  const limited = await proxyTo(t, hold.port, { maxConnections: 1 });
  await connect(t, limited.port);
  await eventMatching(limited.events, (e) => e.event === 'target', 'the first connection');
  const second = collect(net.connect(limited.port, '127.0.0.1'));
  await second.end();
  assert.match((await eventMatching(limited.events, (e) => e.event === 'close')).reason, /max-conns/);
  assert.equal(dialled, 0);
});

test('quiet: no message events are built, counters still count', async (t) => {
  const echo = await echoTarget(t);
  const { proxy, events, port } = await proxyTo(t, echo.port);
  proxy.messageEvents = false;
  const c = await connect(t, port);
  const got = collect(c);
  c.write('abc');
  await got.until(3);
  assert.equal(events.filter((e) => e.event === 'data').length, 0);
  assert.equal(proxy.stats.bytesIn, 3);
  assert.equal(proxy.stats.bytesOut, 3);
});

test('disconnect closes one connection (FIN) or resets it (RST), from outside', async (t) => {
  const tgt = await target(t, () => {});
  const { proxy, events, port } = await proxyTo(t, tgt.port);
  const a = collect(await connect(t, port));
  const b = collect(await connect(t, port));
  await eventMatching(events, (e) => e.event === 'target' && e.id === 2, 'both connected');
  assert.deepEqual(proxy.connections().map((c) => c.id), [1, 2]);
  assert.equal(proxy.disconnect(1, 'closed from a test'), true);
  assert.equal(proxy.disconnect(2, 'reset from a test', true), true);
  assert.equal(proxy.disconnect(9), false);
  await a.end();
  await b.end();
  assert.equal(a.error, undefined);
  assert.equal(b.error?.code, 'ECONNRESET');
  const closes = await waitFor(() => {
    const cs = events.filter((e) => e.event === 'close');
    return cs.length === 2 && cs;
  }, { what: 'two closes' });
  assert.deepEqual(closes.map((e) => e.reason).sort(), ['closed from a test', 'reset from a test']);
});
