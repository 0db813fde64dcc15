// The TCP server and client sessions as a library, against raw sockets: events, replies, limits, access lists, half-close.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { listenTcp, connectTcp, encodeText, parseFrame, encodeFrame } from '../../dist/index.js';
import { exchange, waitFor, nextEvent, quietFor } from '../helpers/index.mjs';

async function server(t, options) {
  const events = [];
  const s = await listenTcp({ port: 0, host: '127.0.0.1', ...options }, (e) => events.push(e));
  t.after(() => s.close(100));
  return { s, events, port: s.port };
}

function connect(t, port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => resolve(socket));
    socket.on('error', reject);
    t.after(() => socket.destroy());
  });
}

function reader(socket) {
  let buf = Buffer.alloc(0);
  const waiters = [];
  socket.on('data', (b) => {
    buf = Buffer.concat([buf, b]);
    for (const w of [...waiters]) w();
  });
  return {
    until(n, ms = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (buf.length >= n) {
            waiters.splice(waiters.indexOf(check), 1);
            clearTimeout(timer);
            const out = buf.subarray(0, n);
            buf = buf.subarray(n);
            resolve(out);
          }
        };
        const timer = setTimeout(() => reject(new Error(`got ${buf.length} of ${n} bytes: ${buf}`)), ms);
        waiters.push(check);
        check();
      });
    },
  };
}

const ended = (socket) => nextEvent(socket, 'close', { what: 'the server to close the connection' });

/** Resolves with the first recorded event matching `pred`, once there is one. */
function seen(events, pred) {
  return waitFor(() => events.find(pred), { what: `an event matching ${pred}`, detail: () => JSON.stringify(events.map((e) => [e.event, e.reason ?? e.code ?? ''])) });
}

test('listening, connect, data, send and close events', async (t) => {
  const { s, events, port } = await server(t, { reply: 'got {data}' });
  assert.equal(events[0].event, 'listening');
  assert.equal(events[0].port, port);
  const reply = await exchange(port, 'hello', { expect: 9 });
  assert.equal(reply.toString(), 'got hello');
  await seen(events, (e) => e.event === 'close');
  const kinds = events.map((e) => e.event);
  assert.deepEqual(kinds, ['listening', 'connect', 'data', 'send', 'close']);
  const data = events[2];
  assert.equal(data.text, 'hello');
  assert.equal(data.bytes, 5);
  assert.equal(data.n, 1);
  assert.match(data.peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(s.stats.bytesIn, 5);
});

test('echo returns the exact bytes, binary included', async (t) => {
  const { port } = await server(t, { echo: true });
  const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const reply = await exchange(port, payload, { expect: payload.length });
  assert.deepEqual(reply, payload);
});

test('answers held to the end of a turn keep every byte in order: 40 clients at once, messages from 1 B to 40 KiB, an observer attached', async (t) => {
  const { port, events } = await server(t, { echo: true });
  const { createHash, randomBytes } = await import('node:crypto');
  const sizes = [1, 64, 700, 5000, 17000, 40960, 3, 16383, 16384, 100];
  const clients = await Promise.all(Array.from({ length: 40 }, () => connect(t, port)));
  await Promise.all(clients.map(async (socket, i) => {
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let total = 0;
    let received = 0;
    const done = new Promise((resolve, reject) => {
      socket.on('data', (b) => {
        got.update(b);
        received += b.length;
        if (received === total) resolve();
      });
      socket.on('error', reject);
    });
    for (let round = 0; round < 5; round++) {
      for (const size of sizes) {
        const bytes = randomBytes(size + ((i * 7 + round) % 5));
        sent.update(bytes);
        total += bytes.length;
        socket.write(bytes);
      }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`client ${i}: ${received} of ${total} bytes came back in 30 s`)), 30_000))]);
    assert.equal(got.digest('hex'), sent.digest('hex'), `client ${i}: the echo is the bytes sent, in order`);
  }));
  assert.ok(events.some((e) => e.event === 'send'), 'the observer heard the answers');
});

test('an answer and a hang-up in the same turn: the answer arrives before the end', async (t) => {
  const { port } = await server(t, { reply: 'bye {data}', closeAfterReply: true });
  for (let i = 0; i < 20; i++) {
    const reply = await exchange(port, `n${i}`, { expect: 6 + String(i).length });
    assert.equal(reply.toString(), `bye n${i}`);
  }
});

test('welcome, reply per message with {n}, quit word closes', async (t) => {
  const { port, events } = await server(t, { welcome: 'Welcome!\\n', reply: '{n}:{data}\\n', quit: 'exit', frame: parseFrame('line') });
  const c = await connect(t, port);
  const r = reader(c);
  assert.equal((await r.until(9)).toString(), 'Welcome!\n');
  c.write('a\nb\n');
  assert.equal((await r.until(8)).toString(), '1:a\n2:b\n');
  c.write('exit\r\n');
  await ended(c);
  await seen(events, (e) => e.event === 'close' && /quit word/.test(e.reason));
});

test('--close: answer then hang up', async (t) => {
  const { port } = await server(t, { reply: 'ACK!', closeAfterReply: true });
  // no `expect`: this resolves only when the server hangs up
  const reply = await exchange(port, 'anything');
  assert.equal(reply.toString(), 'ACK!');
});

test('chat relays to the others, not the sender', async (t) => {
  const { s, port } = await server(t, { chat: true });
  const a = await connect(t, port);
  const b = await connect(t, port);
  const c = await connect(t, port);
  await waitFor(() => s.clients().length === 3, { what: 'the server to accept three clients' });
  const ra = reader(a);
  const rb = reader(b);
  const rc = reader(c);
  a.write('hi all');
  assert.equal((await rb.until(6)).toString(), 'hi all');
  assert.equal((await rc.until(6)).toString(), 'hi all');
  // b speaks after a: if a had been sent its own words, they would reach it before b's
  b.write('from b');
  assert.equal((await ra.until(6)).toString(), 'from b');
  assert.equal((await rc.until(6)).toString(), 'from b');
});

test('send to all, to one client, disconnect one, list clients', async (t) => {
  const { s, port } = await server(t, {});
  const a = await connect(t, port);
  const b = await connect(t, port);
  await waitFor(() => s.clients().length === 2, { what: 'the server to accept two clients' });
  const [ca, cb] = s.clients();
  const ra = reader(a);
  const rb = reader(b);
  assert.equal(s.send(Buffer.from('all'), 'all'), 2);
  assert.equal((await ra.until(3)).toString(), 'all');
  assert.equal((await rb.until(3)).toString(), 'all');
  assert.equal(s.send(Buffer.from('only b'), cb.id), 1);
  assert.equal((await rb.until(6)).toString(), 'only b');
  assert.equal(s.send(Buffer.from('x'), 999), 0);
  assert.equal(s.disconnect(ca.id), true);
  await ended(a);
  await waitFor(() => s.clients().length === 1, { what: 'the server to forget the disconnected client' });
  assert.deepEqual(s.clients().map((c) => c.id), [cb.id]);
});

test('GBK text split across reads is decoded whole in data events', async (t) => {
  const { s, events, port } = await server(t, { encoding: 'gbk' });
  const c = await connect(t, port);
  const bytes = encodeText('你好服务端', 'gbk');
  // 3 bytes end in the middle of 好; the rest is written only once the server has read them
  c.write(bytes.subarray(0, 3));
  await waitFor(() => s.stats.bytesIn === 3, { what: 'the server to read the first 3 bytes' });
  c.write(bytes.subarray(3));
  await waitFor(() => s.stats.bytesIn === bytes.length, { what: 'the server to read the rest' });
  const data = events.filter((e) => e.event === 'data');
  assert.equal(data.length, 2, 'two reads, two messages');
  assert.deepEqual(data.map((e) => e.text), ['你', '好服务端']);
});

test('a peer that resets mid-stream is logged and the others are still served', async (t) => {
  const { port, events } = await server(t, { echo: true });
  const bad = await connect(t, port);
  const badReader = reader(bad);
  bad.write('partial');
  await badReader.until(7);
  bad.resetAndDestroy();
  await seen(events, (e) => e.event === 'close' && e.reason === 'reset by peer');
  assert.equal((await exchange(port, 'still here', { expect: 10 })).toString(), 'still here');
});

test('an oversized length prefix closes that connection only, without allocating it', async (t) => {
  const { port, events } = await server(t, { frame: parseFrame('len32'), maxFrameBytes: 1024, echo: true });
  const bad = await connect(t, port);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(2 ** 31);
  bad.write(head);
  await ended(bad);
  await seen(events, (e) => e.event === 'error' && e.code === 'SOCKIT_ERR_FRAME_TOO_LARGE');
  const framed = encodeFrame(parseFrame('len32'), Buffer.from('ok'));
  assert.deepEqual(await exchange(port, framed, { expect: framed }), framed);
});

test('a client that never reads is cut once its unread output passes the bound', async (t) => {
  const { s, port, events } = await server(t, { maxPendingBytes: 256 * 1024 });
  const lazy = await connect(t, port);
  lazy.pause();
  const good = await connect(t, port);
  let goodBytes = 0;
  good.on('data', (d) => (goodBytes += d.length));
  await waitFor(() => s.clients().length === 2, { what: 'the server to accept both clients' });
  const [lazyId, goodId] = s.clients().map((c) => c.id);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  // 12.5 MiB at most: far past the bound plus what the kernel buffers for the lazy one
  for (let i = 0; i < 200 && s.clients().length === 2; i++) {
    s.send(chunk, 'all');
    sent += chunk.length;
    await new Promise((r) => setImmediate(r));
  }
  const cut = await seen(events, (e) => e.event === 'close' && /slow reader/.test(e.reason));
  assert.equal(cut.id, lazyId, 'the lazy client was cut');
  assert.deepEqual(s.clients().map((c) => c.id), [goodId]);
  // the reader that keeps up gets every byte sent while both were connected
  await waitFor(() => goodBytes >= sent, { what: `the good client to read ${sent} bytes`, detail: () => `read ${goodBytes}` });
});

test('an echo to a client that does not read pauses reading instead of buffering', async (t) => {
  const { s, port } = await server(t, { echo: true });
  const c = await connect(t, port);
  c.pause();
  const chunk = Buffer.alloc(64 * 1024);
  const total = 400 * chunk.length;
  for (let i = 0; i < 400; i++) c.write(chunk);
  // wait until the server has stopped reading: its count holds still for half a second
  let last = -1;
  let since = Date.now();
  await waitFor(() => {
    if (s.stats.bytesIn !== last) [last, since] = [s.stats.bytesIn, Date.now()];
    return Date.now() - since >= 500;
  }, { what: 'the server to stop reading from a client that does not read its echo', detail: () => `read ${s.stats.bytesIn} of ${total}` });
  assert.equal(s.clients().length, 1, 'the echo client was not cut: it is paused, not buffered');
  // a server that buffered its echoes would have read everything; this one left most of it with the client
  assert.ok(s.stats.bytesIn < total / 2, `server read ${s.stats.bytesIn} bytes of ${total}`);
  assert.ok(c.writableLength > total / 2, `${c.writableLength} bytes still wait in the client`);
  assert.equal(s.stats.bytesOut, s.stats.bytesIn, 'everything read was echoed into the socket, none held back in memory');
});

test('--max-conns refuses the extra client with a reason', async (t) => {
  const { port, events } = await server(t, { maxConnections: 1 });
  const a = await connect(t, port);
  const b = await connect(t, port);
  await ended(b);
  await seen(events, (e) => e.event === 'close' && /max-conns/.test(e.reason));
  assert.equal(a.destroyed, false);
});

test('--deny and --allow by CIDR', async (t) => {
  const denied = await server(t, { deny: ['127.0.0.0/8'] });
  const c = await connect(t, denied.port);
  await ended(c);
  await seen(denied.events, (e) => e.event === 'close' && /not allowed/.test(e.reason));
  const allowed = await server(t, { allow: ['127.0.0.1/32'], echo: true });
  assert.equal((await exchange(allowed.port, 'ok', { expect: 2 })).toString(), 'ok');
});

test('idle timeout closes a silent client', async (t) => {
  const { port, events } = await server(t, { idleTimeoutMs: 150 });
  const c = await connect(t, port);
  await ended(c);
  await seen(events, (e) => e.event === 'close' && /idle/.test(e.reason));
});

test('close() flushes, closes clients and emits a summary', async (t) => {
  const events = [];
  const s = await listenTcp({ port: 0, host: '127.0.0.1', echo: true }, (e) => events.push(e));
  const c = await connect(t, s.port);
  c.resume();
  c.write('x');
  await waitFor(() => s.stats.bytesOut === 1, { what: 'the echo of one byte' });
  const closing = ended(c);
  await s.close();
  await closing;
  const summary = events.at(-1);
  assert.equal(summary.event, 'summary');
  assert.equal(summary.connections, 1);
  assert.equal(summary.bytesIn, 1);
  assert.equal(summary.bytesOut, 1);
});

test('IPv6 loopback and the all-interfaces default (dual stack)', async (t) => {
  const v6 = await listenTcp({ port: 0, host: '::1', echo: true });
  t.after(() => v6.close(50));
  assert.equal((await exchange(v6.port, 'six', { host: '::1', expect: 3 })).toString(), 'six');
  const any = await listenTcp({ port: 0, echo: true });
  t.after(() => any.close(50));
  assert.equal((await exchange(any.port, 'four', { host: '127.0.0.1', expect: 4 })).toString(), 'four');
  assert.equal((await exchange(any.port, 'six', { host: '::1', expect: 3 })).toString(), 'six');
});

test('restarting on the same port while clients are in TIME_WAIT binds at once', async (t) => {
  const first = await listenTcp({ port: 0, host: '127.0.0.1', reply: 'bye', closeAfterReply: true });
  const port = first.port;
  // the server closes first, so its side of each connection sits in TIME_WAIT
  for (let i = 0; i < 5; i++) assert.equal((await exchange(port, 'x')).toString(), 'bye');
  await first.close(50);
  const second = await listenTcp({ port, host: '127.0.0.1', echo: true });
  t.after(() => second.close(50));
  assert.equal(second.port, port);
});

test('port in use: a BindError naming the port and the holder', async (t) => {
  const { port } = await server(t, {});
  await assert.rejects(listenTcp({ port, host: '127.0.0.1' }), (e) => e.code === 'SOCKIT_ERR_ADDR_IN_USE' && e.exitCode === 3 && new RegExp(`port ${port} is already in use by node \\(pid ${process.pid}\\)`).test(e.message) && /is free/.test(e.hint));
});

test('library client: connect, send, receive, half-close', async (t) => {
  const { port } = await server(t, { reply: 'R:{data}' });
  const events = [];
  const client = await connectTcp({ host: '127.0.0.1', port }, (e) => events.push(e));
  await client.send(Buffer.from('one'));
  await waitFor(() => events.some((e) => e.event === 'data'), { what: 'the reply to reach the client' });
  client.end();
  await client.closed;
  const data = events.filter((e) => e.event === 'data').map((e) => e.text).join('');
  assert.equal(data, 'R:one');
  assert.equal(events.at(-1).event, 'summary');
});

test('library client: refused and timeout errors are one plain sentence', async () => {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  await assert.rejects(connectTcp({ host: '127.0.0.1', port }), (e) => e.code === 'SOCKIT_ERR_REFUSED' && e.exitCode === 4 && e.message === `connection to 127.0.0.1:${port} was refused: nothing is listening there`);
});

test('line framing: an unterminated last line before the peer closes is still a message', async (t) => {
  const { port, events } = await server(t, { frame: parseFrame('line'), reply: '<{data}>' });
  const reply = await exchange(port, 'one\ntwo', { end: true });
  assert.equal(reply.toString(), '<one><two>');
  assert.deepEqual(events.filter((e) => e.event === 'data').map((e) => e.text), ['one', 'two']);
});
