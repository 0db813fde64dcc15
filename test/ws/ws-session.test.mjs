// The WebSocket server and client sessions through the library: frames, handshakes, behaviours, refusals, limits and reconnects.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { listenWs, connectWs, WsClient, loadTlsMaterial, parseWsUrl, parseHeaderLine } from '../../dist/index.js';
import { closedPort } from '../helpers/index.mjs';
import { encodeFrame, firstFrame, rawWsClient, recorder, until } from './helpers.mjs';

const T = { timeout: 60_000 };

async function server(t, options = {}) {
  const rec = recorder();
  const s = await listenWs({ port: 0, host: '127.0.0.1', ...options }, rec.onEvent);
  t.after(() => s.close(100));
  return { s, ...rec, url: `ws${options.tls ? 's' : ''}://127.0.0.1:${s.port}` };
}

async function client(t, options) {
  const rec = recorder();
  const c = await connectWs(options, rec.onEvent);
  t.after(() => c.close(1000, '', true));
  return { c, ...rec };
}

/** Resolves when the socket drains, or after `ms`, leaving no listener behind. */
const drainOr = (socket, ms) =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('drain', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('drain', done);
  });

const sha = (b) => createHash('sha256').update(b).digest('hex');

test('echo keeps each message whole and its type: text, binary, fragmented', T, async (t) => {
  const srv = await server(t, { echo: true });
  const cl = await client(t, { url: `${srv.url}/echo` });
  await cl.c.send(Buffer.from('你好'));
  await cl.c.send(Buffer.from([0, 1, 2, 255]), { binary: true });
  await cl.c.send(Buffer.from('frag-'), { fin: false });
  await cl.c.send(Buffer.from('ment'));
  await cl.waitEvent((e) => e.event === 'data' && e.n === 3, 'the third echo');
  const data = cl.events.filter((e) => e.event === 'data');
  assert.deepEqual(data.map((e) => [e.opcode, e.payload.toString('hex')]), [
    ['text', Buffer.from('你好').toString('hex')], ['binary', '000102ff'], ['text', Buffer.from('frag-ment').toString('hex')],
  ]);
  assert.equal(data[0].text, '你好');
  const sends = cl.events.filter((e) => e.event === 'send');
  assert.deepEqual(sends.map((e) => e.fin), [undefined, undefined, false, undefined]);
  const got = srv.events.filter((e) => e.event === 'data');
  assert.equal(got.length, 3, 'the server saw three messages, the fragments as one');
  assert.equal(got[2].text, 'frag-ment');
});

test('the handshake is shown on connect: path, headers, subprotocol, origin, auth', T, async (t) => {
  const srv = await server(t, { subprotocols: ['v2', 'v1'] });
  const cl = await client(t, {
    url: `${srv.url}/chat?room=1`, subprotocols: ['v1', 'v2'], origin: 'https://app.example',
    headers: { 'X-Trace': 'abc' }, auth: 'alice:s3cret',
  });
  const connect = await srv.waitEvent((e) => e.event === 'connect', 'the server connect event');
  assert.equal(connect.handshake.path, '/chat?room=1');
  assert.equal(connect.handshake.subprotocol, 'v2', "the server's preference wins");
  assert.equal(connect.handshake.origin, 'https://app.example');
  assert.equal(connect.handshake.headers['x-trace'], 'abc');
  assert.equal(connect.handshake.headers.authorization, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  const mine = cl.events.find((e) => e.event === 'connect');
  assert.equal(mine.handshake.subprotocol, 'v2');
  assert.equal(mine.handshake.headers['sec-websocket-protocol'], 'v2');
  assert.equal(srv.s.clients()[0].path, '/chat?room=1');
});

test('reply, welcome, quit and chat work on messages as on TCP', T, async (t) => {
  const srv = await server(t, { welcome: 'hi {peer}', reply: '#{n}: {data}', quit: 'bye', chat: true });
  const a = await client(t, { url: srv.url });
  const b = await client(t, { url: srv.url });
  await a.waitEvent((e) => e.event === 'data' && e.text.startsWith('hi 127.0.0.1:'), 'the welcome');
  await a.c.send(Buffer.from('ping'));
  await a.waitEvent((e) => e.event === 'data' && e.text === '#1: ping', 'the reply');
  await b.waitEvent((e) => e.event === 'data' && e.text === 'ping', 'the chat relay to the other client');
  await b.c.send(Buffer.from([1, 2, 3]), { binary: true });
  const relayed = await a.waitEvent((e) => e.event === 'data' && e.opcode === 'binary' && e.bytes === 3, 'the binary relay');
  assert.equal(relayed.payload.toString('hex'), '010203', 'relayed as binary, byte for byte');
  await a.c.send(Buffer.from('bye'));
  const closed = await a.waitEvent((e) => e.event === 'close', 'the close after the quit word');
  assert.deepEqual(closed.closeFrame, { code: 1000, reason: '', by: 'peer' });
  const srvClose = await srv.waitEvent((e) => e.event === 'close' && e.id === 1, 'the server close');
  assert.match(srvClose.reason, /quit word 'bye'/);
});

test('refused handshakes: wrong path 404, origin 403, too many clients 503, denied address 403', T, async (t) => {
  const srv = await server(t, { path: '/ws', origins: ['https://good.example'], maxConnections: 1 });
  const attempt = (url, origin) => new WsClient({ url, origin }).connect();
  await assert.rejects(attempt(`${srv.url}/other`, 'https://good.example'), (e) => e.code === 'SOCKIT_ERR_HANDSHAKE' && /HTTP 404/.test(e.message) && e.exitCode === 4);
  await assert.rejects(attempt(`${srv.url}/ws`, 'https://evil.example'), (e) => e.code === 'SOCKIT_ERR_HANDSHAKE' && /HTTP 403.*evil\.example/.test(e.message));
  await assert.rejects(attempt(`${srv.url}/ws`), (e) => /HTTP 403.*no Origin/.test(e.message));
  const ok = await client(t, { url: `${srv.url}/ws`, origin: 'https://GOOD.example/' });
  assert.ok(ok.c.connected);
  await assert.rejects(attempt(`${srv.url}/ws`, 'https://good.example'), (e) => /HTTP 503.*--max-conns/.test(e.message));
  const notes = srv.events.filter((e) => e.event === 'request').map((e) => `${e.status} ${e.note}`);
  assert.equal(notes.length, 4);
  assert.match(notes[0], /^404 refused: no WebSocket at \/other/);

  const denied = await server(t, { deny: ['127.0.0.0/8'] });
  await assert.rejects(attempt(denied.url), (e) => /HTTP 403.*not allowed by --allow\/--deny/.test(e.message));
});

test('a 16 MiB message is accepted by default; past --max-payload it is refused with 1009 and the server goes on', T, async (t) => {
  const big = Buffer.alloc(16 * 1024 * 1024, 7);
  big.write('start');
  const srv = await server(t, { echo: true });
  const cl = await client(t, { url: srv.url });
  await cl.c.send(big, { binary: true });
  const back = await cl.waitEvent((e) => e.event === 'data', 'the 16 MiB echo', 30_000);
  assert.equal(back.bytes, big.length);
  assert.equal(sha(back.payload), sha(big));

  const small = await server(t, { echo: true, maxPayloadBytes: 1024 * 1024 });
  const victim = await client(t, { url: small.url });
  await victim.c.send(big, { binary: true });
  const closed = await victim.waitEvent((e) => e.event === 'close', 'the close of the refused message', 30_000);
  assert.equal(closed.closeFrame.code, 1009);
  const err = await small.waitEvent((e) => e.event === 'error', 'the server error event');
  assert.equal(err.code, 'SOCKIT_ERR_WS_PROTOCOL');
  assert.match(err.message, /larger than the limit of 1048576 bytes; closed with 1009 message too big/);
  const next = await client(t, { url: small.url });
  await next.c.send(Buffer.from('still here'));
  await next.waitEvent((e) => e.event === 'data' && e.text === 'still here', 'an echo after the refusal');
});

test('invalid UTF-8 in a text frame is closed with 1007', T, async (t) => {
  const srv = await server(t, { echo: true });
  const raw = await rawWsClient(t, srv.s.port);
  raw.socket.write(encodeFrame(0x1, Buffer.from([0x68, 0x69, 0xff, 0xfe])));
  const frame = await until(() => firstFrame(raw.received), 'the close frame');
  assert.equal(frame.opcode, 0x8);
  assert.equal(frame.payload.readUInt16BE(0), 1007);
  const close = await srv.waitEvent((e) => e.event === 'close', 'the server close event');
  assert.match(close.reason, /not valid UTF-8/);
  assert.equal(close.closeFrame.code, 1007);
  assert.equal(srv.events.filter((e) => e.event === 'data').length, 0, 'no message was delivered');
});

test('a client that never reads: the server stops reading from it, so what it holds stays bounded', T, async (t) => {
  const limit = 4 * 1024 * 1024;
  const srv = await server(t, { echo: true, maxPendingBytes: limit });
  srv.s.messageEvents = false;
  const raw = await rawWsClient(t, srv.s.port, '/', { read: false });
  const chunk = encodeFrame(0x2, Buffer.alloc(64 * 1024, 1));
  let written = 0;
  const deadline = Date.now() + 8000;
  // write until the server pushes back or cuts the client off, bounded in bytes and time
  while (written < 512 * 1024 * 1024 && Date.now() < deadline && !raw.socket.destroyed) {
    if (!raw.socket.write(chunk)) await drainOr(raw.socket, 200);
    written += chunk.length;
    assert.ok(srv.s.stats.bytesIn - srv.s.stats.bytesOut <= limit + 256 * 1024 * 4, 'what the server holds stays near its limit');
  }
  assert.ok(srv.s.stats.bytesIn < 64 * 1024 * 1024, `the server read ${srv.s.stats.bytesIn} bytes of ${written}: it stopped reading`);
  assert.ok(srv.s.stats.bytesOut <= srv.s.stats.bytesIn);
});

test('ping and pong: the round trip of our pings; the ping of the other side answered', T, async (t) => {
  const srv = await server(t);
  const cl = await client(t, { url: srv.url, pingIntervalMs: 50 });
  const pong = await cl.waitEvent((e) => e.event === 'control' && e.opcode === 'pong' && e.direction === 'in', 'a pong');
  assert.ok(pong.rttMs >= 0 && pong.rttMs < 5000);
  await srv.waitEvent((e) => e.event === 'control' && e.opcode === 'ping' && e.direction === 'in', 'the ping at the server');
  assert.equal(srv.s.ping(), 1);
  const srvPong = await srv.waitEvent((e) => e.event === 'control' && e.opcode === 'pong' && e.direction === 'in', 'the pong answering the server');
  assert.ok(srvPong.rttMs >= 0);
});

test('close codes and reasons both ways; a server going away closes with 1001', T, async (t) => {
  const srv = await server(t);
  const cl = await client(t, { url: srv.url });
  await srv.waitEvent((e) => e.event === 'connect', 'the connect');
  assert.throws(() => srv.s.disconnect(1, 'x', 1006), /close code must be 1000 or from 3000 to 4999, got '1006'/);
  srv.s.disconnect(1, 'maintenance', 4001);
  const closed = await cl.waitEvent((e) => e.event === 'close', 'the close');
  assert.deepEqual(closed.closeFrame, { code: 4001, reason: 'maintenance', by: 'peer' });
  assert.throws(() => new WsClient({ url: srv.url }).close(1006), /close code must be 1000 or from 3000 to 4999/);

  const other = await client(t, { url: srv.url });
  await srv.s.close();
  const gone = await other.waitEvent((e) => e.event === 'close', 'the close at shutdown');
  assert.equal(gone.closeFrame.code, 1001);
});

test('reconnect: after the server drops the connection, and with growing pauses while it is down', T, async (t) => {
  const srv = await server(t, { echo: true });
  const port = srv.s.port;
  const cl = await client(t, { url: srv.url, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
  await srv.waitEvent((e) => e.event === 'connect', 'the first connection');
  srv.s.disconnect(1, 'go away', 4000);
  const retry = await cl.waitEvent((e) => e.event === 'retry', 'a retry');
  assert.equal(retry.attempt, 1);
  assert.equal(retry.delayMs, 50);
  await cl.waitEvent((e) => e.event === 'connect' && e.id === 2, 'the second connection');
  await cl.c.send(Buffer.from('again'));
  await cl.waitEvent((e) => e.event === 'data' && e.text === 'again', 'an echo on the new connection');
  await srv.s.close();
  await cl.waitEvent((e) => e.event === 'retry' && e.attempt === 3, 'three retries while the server is down');
  const delays = cl.events.filter((e) => e.event === 'retry').slice(1).map((e) => e.delayMs);
  assert.deepEqual(delays.slice(0, 3), [50, 100, 200]);
  // it comes back on the same port: the client finds it
  const back = await listenWs({ port, host: '127.0.0.1', echo: true });
  t.after(() => back.close(100));
  await cl.waitEvent((e) => e.event === 'connect' && e.id === 3, 'the connection to the restarted server', 15_000);
  await cl.c.close();
  assert.ok(cl.c.ended);
});

test('connect failures in words: refused, not a WebSocket server, bad address', T, async (t) => {
  const port = await closedPort();
  await assert.rejects(new WsClient({ url: `ws://127.0.0.1:${port}/` }).connect(), (e) => e.code === 'SOCKIT_ERR_REFUSED' && e.exitCode === 4);
  assert.throws(() => new WsClient({ url: 'ftp://x' }), (e) => e.code === 'SOCKIT_ERR_USAGE' && /must begin with ws:\/\//.test(e.message));
  assert.throws(() => new WsClient({ url: 'ws://x', proxy: 'socks5://p:1' }), /only http:\/\/ proxies/);
  assert.deepEqual(parseWsUrl('localhost:8080/chat'), { url: 'ws://localhost:8080/chat', secure: false, host: 'localhost', port: 8080, path: '/chat' });
  assert.equal(parseWsUrl('https://[::1]/x?y=1').url, 'wss://[::1]/x?y=1');
  assert.deepEqual(parseHeaderLine('X-Token:  abc '), ['X-Token', 'abc']);
  assert.throws(() => parseHeaderLine('no colon'), /must be written as 'Name: value'/);
});

test('wss: a self-signed server is refused unless trusted (--ca) or accepted as is (--insecure)', T, async (t) => {
  const tls = await loadTlsMaterial({});
  const srv = await server(t, { echo: true, tls: { key: tls.key, cert: tls.cert } });
  assert.equal(srv.events[0].protocol, 'wss');
  await assert.rejects(new WsClient({ url: `wss://localhost:${srv.s.port}/` }).connect(), (e) => e.code === 'SOCKIT_ERR_TLS' && /--insecure/.test(e.hint));
  const trusted = await client(t, { url: `wss://localhost:${srv.s.port}/`, tls: { ca: tls.cert } });
  await trusted.c.send(Buffer.from('secret'));
  await trusted.waitEvent((e) => e.event === 'data' && e.text === 'secret', 'the echo over TLS');
  const insecure = await client(t, { url: `wss://127.0.0.1:${srv.s.port}/`, tls: { rejectUnauthorized: false } });
  assert.ok(insecure.c.connected);
});

test('--quiet: no data, send or control events are built, counters still count', T, async (t) => {
  const srv = await server(t, { echo: true });
  srv.s.messageEvents = false;
  const cl = await client(t, { url: srv.url, pingIntervalMs: 20 });
  for (let i = 0; i < 20; i++) await cl.c.send(Buffer.from(`m${i}`));
  await cl.waitEvent((e) => e.event === 'data' && e.text === 'm19', 'the last echo');
  await cl.waitEvent((e) => e.event === 'control' && e.direction === 'in', 'a pong');
  assert.deepEqual([...new Set(srv.events.map((e) => e.event))], ['listening', 'connect']);
  assert.equal(srv.s.stats.messagesIn, 20);
  assert.equal(srv.s.stats.messagesOut, 20);
});
