import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { listenTcp, connectTcp, encodeText, parseFrame, encodeFrame } from '../../dist/index.js';
import { exchange, sleep } from '../helpers/index.mjs';

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

const ended = (socket) => new Promise((resolve) => socket.on('close', resolve));

/** Waits until an event matching `pred` has been recorded. */
async function seen(events, pred, ms = 3000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (events.some(pred)) return true;
    await sleep(10);
  }
  return false;
}

test('listening, connect, data, send and close events', async (t) => {
  const { s, events, port } = await server(t, { reply: 'got {data}' });
  assert.equal(events[0].event, 'listening');
  assert.equal(events[0].port, port);
  const reply = await exchange(port, 'hello', { ms: 300 });
  assert.equal(reply.toString(), 'got hello');
  await sleep(50);
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
  const reply = await exchange(port, payload, { ms: 300 });
  assert.deepEqual(reply, payload);
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
  assert.ok(await seen(events, (e) => e.event === 'close' && /quit word/.test(e.reason)));
});

test('--close: answer then hang up', async (t) => {
  const { port } = await server(t, { reply: 'ACK!', closeAfterReply: true });
  const reply = await exchange(port, 'anything', { ms: 2000 });
  assert.equal(reply.toString(), 'ACK!');
});

test('chat relays to the others, not the sender', async (t) => {
  const { port } = await server(t, { chat: true });
  const a = await connect(t, port);
  const b = await connect(t, port);
  const c = await connect(t, port);
  await sleep(50);
  const rb = reader(b);
  const rc = reader(c);
  let aGot = 0;
  a.on('data', (d) => (aGot += d.length));
  a.write('hi all');
  assert.equal((await rb.until(6)).toString(), 'hi all');
  assert.equal((await rc.until(6)).toString(), 'hi all');
  await sleep(50);
  assert.equal(aGot, 0);
});

test('send to all, to one client, disconnect one, list clients', async (t) => {
  const { s, port } = await server(t, {});
  const a = await connect(t, port);
  const b = await connect(t, port);
  await sleep(50);
  const [ca, cb] = s.clients();
  assert.equal(s.clients().length, 2);
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
  await sleep(20);
  assert.deepEqual(s.clients().map((c) => c.id), [cb.id]);
});

test('GBK text split across reads is decoded whole in data events', async (t) => {
  const { events, port } = await server(t, { encoding: 'gbk' });
  const c = await connect(t, port);
  const bytes = encodeText('你好服务端', 'gbk');
  c.write(bytes.subarray(0, 3));
  await sleep(60);
  c.write(bytes.subarray(3));
  await sleep(60);
  const text = events.filter((e) => e.event === 'data').map((e) => e.text).join('');
  assert.equal(text, '你好服务端');
  assert.ok(!text.includes('\ufffd'));
});

test('a peer that resets mid-stream is logged and the others are still served', async (t) => {
  const { port, events } = await server(t, { echo: true });
  const bad = await connect(t, port);
  bad.write('partial');
  await sleep(30);
  bad.resetAndDestroy();
  assert.ok(await seen(events, (e) => e.event === 'close' && e.reason === 'reset by peer'), JSON.stringify(events.filter((e) => e.event === 'close')));
  assert.equal((await exchange(port, 'still here', { ms: 200 })).toString(), 'still here');
});

test('an oversized length prefix closes that connection only, without allocating it', async (t) => {
  const { port, events } = await server(t, { frame: parseFrame('len32'), maxFrameBytes: 1024, echo: true });
  const bad = await connect(t, port);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(2 ** 31);
  bad.write(head);
  await ended(bad);
  assert.ok(await seen(events, (e) => e.event === 'error' && e.code === 'SOCKIT_ERR_FRAME_TOO_LARGE'));
  const framed = encodeFrame(parseFrame('len32'), Buffer.from('ok'));
  assert.deepEqual(await exchange(port, framed, { ms: 200 }), framed);
});

test('a client that never reads is cut once its unread output passes the bound', async (t) => {
  const { s, port, events } = await server(t, { maxPendingBytes: 256 * 1024 });
  const lazy = await connect(t, port);
  lazy.pause();
  const good = await connect(t, port);
  let goodBytes = 0;
  good.on('data', (d) => (goodBytes += d.length));
  await sleep(50);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 200 && s.clients().length === 2; i++) {
    s.send(chunk, 'all');
    await sleep(2);
  }
  await sleep(100);
  assert.ok(events.some((e) => e.event === 'close' && /slow reader/.test(e.reason)));
  assert.equal(s.clients().length, 1);
  assert.ok(goodBytes > 0);
});

test('an echo to a client that does not read pauses reading instead of buffering', async (t) => {
  const { s, port } = await server(t, { echo: true });
  const c = await connect(t, port);
  c.pause();
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  // write until our own socket pushes back for long enough: the server stopped reading
  for (let i = 0; i < 400; i++) {
    if (c.write(chunk)) written += chunk.length;
    else await new Promise((r) => setTimeout(r, 5));
  }
  await sleep(100);
  assert.ok(s.clients().length === 1, 'the echo client was not cut: it is paused, not buffered');
  const pending = s.stats.bytesIn - 0;
  assert.ok(pending < 400 * chunk.length, `server read ${pending} bytes of ${400 * chunk.length}: it stopped reading`);
});

test('--max-conns refuses the extra client with a reason', async (t) => {
  const { port, events } = await server(t, { maxConnections: 1 });
  const a = await connect(t, port);
  const b = await connect(t, port);
  await ended(b);
  assert.ok(await seen(events, (e) => e.event === 'close' && /max-conns/.test(e.reason)));
  assert.equal(a.destroyed, false);
});

test('--deny and --allow by CIDR', async (t) => {
  const denied = await server(t, { deny: ['127.0.0.0/8'] });
  const c = await connect(t, denied.port);
  await ended(c);
  assert.ok(await seen(denied.events, (e) => e.event === 'close' && /not allowed/.test(e.reason)));
  const allowed = await server(t, { allow: ['127.0.0.1/32'], echo: true });
  assert.equal((await exchange(allowed.port, 'ok', { ms: 200 })).toString(), 'ok');
});

test('idle timeout closes a silent client', async (t) => {
  const { port, events } = await server(t, { idleTimeoutMs: 150 });
  const c = await connect(t, port);
  await ended(c);
  assert.ok(await seen(events, (e) => e.event === 'close' && /idle/.test(e.reason)));
});

test('close() flushes, closes clients and emits a summary', async (t) => {
  const events = [];
  const s = await listenTcp({ port: 0, host: '127.0.0.1', echo: true }, (e) => events.push(e));
  const c = await connect(t, s.port);
  c.resume();
  c.write('x');
  await sleep(50);
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
  assert.equal((await exchange(v6.port, 'six', { host: '::1', ms: 200 })).toString(), 'six');
  const any = await listenTcp({ port: 0, echo: true });
  t.after(() => any.close(50));
  assert.equal((await exchange(any.port, 'four', { host: '127.0.0.1', ms: 200 })).toString(), 'four');
  assert.equal((await exchange(any.port, 'six', { host: '::1', ms: 200 })).toString(), 'six');
});

test('restarting on the same port while clients are in TIME_WAIT binds at once', async (t) => {
  const first = await listenTcp({ port: 0, host: '127.0.0.1', reply: 'bye', closeAfterReply: true });
  const port = first.port;
  // the server closes first, so its side of each connection sits in TIME_WAIT
  for (let i = 0; i < 5; i++) await exchange(port, 'x', { ms: 500 });
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
  await sleep(80);
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
  const reply = await exchange(port, 'one\ntwo', { end: true, ms: 500 });
  assert.equal(reply.toString(), '<one><two>');
  assert.deepEqual(events.filter((e) => e.event === 'data').map((e) => e.text), ['one', 'two']);
});
