// A quiet relay hands its streaming reads to the other side without a copy: no byte may change while a write waits, whatever starts watching or shaping.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { loadTlsMaterial, startProxy } from '../../dist/index.js';
import { ReadBuffers } from '../../dist/net/read-buffers.js';
import { assertStreamsEchoed, waitFor } from '../helpers/index.mjs';
import { collect, echoTarget, target } from '../helpers/relay.mjs';

/** A relay nobody watches (the path that lends its reads); closed when the test ends. */
async function quietProxy(t, targetPort, options = {}) {
  const proxy = await startProxy({ port: 0, host: '127.0.0.1', targetHost: '127.0.0.1', targetPort, ...options });
  t.after(() => proxy.close(100));
  return proxy;
}

/** Streams `sent` through the relay to an echo and hashes what comes back; `midway` runs once 8 MiB are back. */
async function streamThrough(t, port, sent, midway) {
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  const back = createHash('sha256');
  let backBytes = 0;
  let ran = false;
  socket.on('data', (b) => {
    back.update(b);
    backBytes += b.length;
    if (!ran && backBytes >= 8 * 1024 * 1024) {
      ran = true;
      midway();
    }
  });
  for (let at = 0; at < sent.length; at += 256 * 1024) socket.write(sent.subarray(at, at + 256 * 1024));
  socket.end();
  await waitFor(() => backBytes === sent.length, { what: `all ${sent.length} bytes back through the relay`, detail: () => `${backBytes} so far` });
  assert.equal(back.digest('hex'), createHash('sha256').update(sent).digest('hex'), 'the bytes that came back are the bytes sent');
}

test('a quiet relay keeps every byte of several streams both ways while the readers stall', async (t) => {
  const echo = await echoTarget(t);
  const proxy = await quietProxy(t, echo.port);
  // the readers' stops queue writes on both sides of the relay
  await assertStreamsEchoed(proxy.port);
});

test('an observer that starts watching a quiet relay mid-stream gets each message as it was read', async (t) => {
  const echo = await echoTarget(t);
  const proxy = await quietProxy(t, echo.port);
  const sent = randomBytes(48 * 1024 * 1024);
  const kept = { up: [], down: [] };
  await streamThrough(t, proxy.port, sent, () => proxy.on('event', (e) => e.event === 'data' && kept[e.direction].push(e.payload)));
  for (const direction of ['up', 'down']) {
    const bytes = Buffer.concat(kept[direction]);
    assert.ok(bytes.length > 0 && bytes.length < sent.length, `the observer saw part of the ${direction} stream (${bytes.length} bytes)`);
    // each direction's messages are shown before they are written on, so all are in by the time the client has everything
    assert.ok(bytes.equals(sent.subarray(sent.length - bytes.length)), `what the observer kept ${direction} is the end of the stream, byte for byte`);
  }
});

test('faults switched on mid-stream shape copies: a delayed chunk is not overwritten by the reads after it', async (t) => {
  const echo = await echoTarget(t);
  const proxy = await quietProxy(t, echo.port);
  const sent = randomBytes(32 * 1024 * 1024);
  await streamThrough(t, proxy.port, sent, () => proxy.setFaults({ up: { latencyMs: 2 }, down: { latencyMs: 2 } }));
});

test('a plain target that speaks first is heard once its TLS client has shaken hands, not dropped before', async (t) => {
  const greeter = await target(t, (s) => {
    s.write('220 ready\r\n');
    s.pipe(s);
  });
  const material = await loadTlsMaterial({});
  const proxy = await quietProxy(t, greeter.port, { tls: { key: material.key, cert: material.cert } });
  // the target connects while the client's handshake is still under way, and greets at once
  const c = tls.connect({ port: proxy.port, host: '127.0.0.1', rejectUnauthorized: false });
  t.after(() => c.destroy());
  const got = collect(c);
  assert.equal((await got.until(11)).toString(), '220 ready\r\n');
  c.write('x'.repeat(40 * 1024));
  assert.equal((await got.until(11 + 40 * 1024)).subarray(11).toString(), 'x'.repeat(40 * 1024));
});

test('a lent read buffer is read into again only once no write made from it waits', async () => {
  const pool = new ReadBuffers(256 * 1024, 4);
  const stream = { ownReadBuffer: undefined, lentReadBuffers: undefined, pending: false, writesPending() { return this.pending; } };
  const shared = Buffer.allocUnsafe(64 * 1024);
  // a long read on the shared buffer earns the socket a buffer of its own
  pool.next(stream, false, 64 * 1024, shared, true);
  const own = stream.ownReadBuffer;
  assert.ok(own && own !== shared);
  // its next read is lent to a write that stays queued: the read after it lands elsewhere
  stream.pending = true;
  pool.next(stream, false, 64 * 1024, own, true);
  assert.notEqual(stream.ownReadBuffer, own);
  assert.deepEqual(stream.lentReadBuffers, [own]);
  // another stream meanwhile never gets the lent buffer
  const other = { ownReadBuffer: undefined, lentReadBuffers: undefined, writesPending: () => false };
  pool.next(other, false, 64 * 1024, shared, true);
  assert.notEqual(other.ownReadBuffer, own);
  // once the writes are out, the lent buffer is free for the next stream
  stream.pending = false;
  pool.next(stream, false, 64 * 1024, stream.ownReadBuffer, true);
  assert.equal(stream.lentReadBuffers, undefined);
  const third = { ownReadBuffer: undefined, lentReadBuffers: undefined, writesPending: () => false };
  pool.next(third, false, 64 * 1024, shared, true);
  assert.equal(third.ownReadBuffer, own);
});
