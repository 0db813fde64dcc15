// The bridge end to end over a real WebSocket: sessions created by a page, real peers, exact bytes both ways, bounded floods.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uiServer, openPage } from './helpers.mjs';
import { requireWebsockets, runPy } from '../ws/helpers.mjs';
import { rawServer, tmpDir, closedPort, waitFor, quietFor, nextEvent } from '../helpers/index.mjs';

const b64 = (s) => Buffer.from(s, 'base64');

/** A TCP client of `port` on 127.0.0.1 that collects what it receives; destroyed when the test ends. */
async function peer(t, port) {
  const s = net.connect(port, '127.0.0.1');
  t.after(() => s.destroy());
  const p = { socket: s, received: Buffer.alloc(0) };
  s.on('data', (b) => (p.received = Buffer.concat([p.received, b])));
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  /** Resolves with everything received once it is at least as long as `bytes`. */
  p.waitFor = (bytes) =>
    waitFor(() => p.received.length >= bytes.length && p.received, {
      what: `${bytes.length} bytes at a client of port ${port}`,
      detail: () => `got ${p.received.length}: ${JSON.stringify(p.received.toString('latin1'))}`,
    });
  return p;
}

async function tcpServer(page, spec = {}) {
  const r = await page.request({ type: 'create', spec: { kind: 'tcp-server', host: '127.0.0.1', port: 0, encoding: 'utf8', frame: 'raw', ...spec } });
  assert.equal(r.ok, true, JSON.stringify(r));
  return r.session;
}

test('a TCP server created from the page: GBK in, the reply template out, exact bytes both ways', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const info = await tcpServer(page, { encoding: 'gbk', reply: '收到:{data}' });
  assert.equal(info.state, 'listening');
  assert.equal(info.kind, 'tcp-server');
  assert.deepEqual(info.addresses, ['127.0.0.1']);
  assert.ok(info.port > 0);

  const c = await peer(t, info.port);
  const hello = Buffer.from('c4e3bac3', 'hex'); // 你好 in GBK
  c.socket.write(hello);
  const data = await page.waitEvent((e) => e.event === 'data' && e.session === info.id);
  assert.deepEqual(b64(data.data), hello, 'the page gets the raw bytes');
  assert.equal(data.text, '你好', 'and the text decoded with the session encoding');
  assert.equal(data.bytes, 2 * 2);
  assert.equal(data.id, 1);
  assert.match(data.peer, /^127\.0\.0\.1:\d+$/);
  const expected = Buffer.concat([Buffer.from('cad5b5bd3a', 'hex'), hello]); // 收到:你好
  assert.deepEqual(await c.waitFor(expected), expected);
  const sent = await page.waitEvent((e) => e.event === 'send' && e.session === info.id);
  assert.deepEqual(b64(sent.data), expected);
  assert.equal(sent.text, '收到:你好');
  const connect = page.events.find((e) => e.event === 'connect');
  assert.equal(connect.id, 1);
});

test('sending from the page: text in the session encoding, hex, line endings, escapes, one client or all', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const info = await tcpServer(page, { encoding: 'gbk' });
  const a = await peer(t, info.port);
  const b = await peer(t, info.port);
  await waitFor(() => page.events.filter((e) => e.event === 'connect').length === 2, { what: 'the page to see both clients connect' });

  let r = await page.request({ type: 'send', session: info.id, target: 'all', payload: { kind: 'text', text: '世界', eol: 'crlf' } });
  assert.equal(r.ok, true);
  assert.equal(r.delivered, 2);
  const world = Buffer.from('cac0bde70d0a', 'hex');
  assert.deepEqual(await a.waitFor(world), world);
  assert.deepEqual(await b.waitFor(world), world);

  r = await page.request({ type: 'send', session: info.id, target: 1, payload: { kind: 'hex', hex: '01 03 00 00 00 0a c5 cd' } });
  assert.equal(r.delivered, 1);
  const modbus = Buffer.concat([world, Buffer.from('01030000000ac5cd', 'hex')]);
  assert.deepEqual(await a.waitFor(modbus), modbus);
  r = await page.request({ type: 'send', session: info.id, target: 2, payload: { kind: 'text', text: 'A\\x00B\\n', escapes: true } });
  const escaped = Buffer.concat([world, Buffer.from([0x41, 0, 0x42, 0x0a])]);
  assert.deepEqual(await b.waitFor(escaped), escaped);
  assert.deepEqual(a.received, modbus, 'client #1 did not get what went to #2');

  r = await page.request({ type: 'send', session: info.id, target: 9, payload: { kind: 'text', text: 'x' } });
  assert.equal(r.ok, false);
  assert.equal(r.error.field, 'target');
  assert.match(r.error.message, /client #9 is not connected/);
  r = await page.request({ type: 'send', session: info.id, target: 'all', payload: { kind: 'hex', hex: '4g' } });
  assert.equal(r.error.field, 'message');
  assert.match(r.error.message, /'g' at position 2 is not a hex digit/);
});

test('bad settings are named by field; a port in use says so and where', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const cases = [
    [{ kind: 'tcp-server', port: 70000, encoding: 'utf8', frame: 'raw' }, 'port', /from 0 to 65535, got '70000'/],
    [{ kind: 'tcp-server', port: 0, encoding: 'gbkk', frame: 'raw' }, 'encoding', /unknown encoding 'gbkk'; did you mean .*gbk/],
    [{ kind: 'tcp-server', port: 0, encoding: 'utf8', frame: 'raw', reply: 'bad \\q' }, 'reply', /unknown escape '\\q'/],
    [{ kind: 'tcp-server', port: 0, encoding: 'utf8', frame: '', host: 'a b' }, 'host', /host name or an IP address/],
    [{ kind: 'tcp-client', host: '', port: 80, encoding: 'utf8', frame: 'raw' }, 'host', /server's name or address/],
    [{ kind: 'tcp-client', host: '127.0.0.1', port: 0, encoding: 'utf8', frame: 'raw' }, 'port', /from 1 to 65535/],
    [{ kind: 'udp', port: 0, encoding: 'utf8', remote: '::1:80' }, 'remote', /brackets/],
    [{ kind: 'http', root: '/nonexistent/sockit', port: 0 }, 'root', /there is no folder/],
    [{ kind: 'proxy', port: 0, encoding: 'utf8', frame: 'raw' }, 'target', /give the host:port to relay to/],
    [{ kind: 'nonsense', port: 0 }, 'kind', /cannot create 'nonsense'/],
  ];
  for (const [spec, field, message] of cases) {
    const r = await page.request({ type: 'create', spec });
    assert.equal(r.ok, false, JSON.stringify(spec));
    assert.equal(r.error.field, field, JSON.stringify(r.error));
    assert.match(r.error.message, message);
  }
  const busy = await rawServer(t, () => {});
  const r = await page.request({ type: 'create', spec: { kind: 'tcp-server', host: '127.0.0.1', port: busy, encoding: 'utf8', frame: 'raw' } });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'SOCKIT_ERR_ADDR_IN_USE');
  assert.equal(r.error.field, 'port');
  assert.match(r.error.message, new RegExp(`port ${busy} is already in use`));
  assert.ok(r.error.hint);
  assert.equal(ui.bridge.hub.list().length, 0, 'failed sessions are not kept');
});

test('a TCP client session: connects, receives, sends, and reports the server closing, a reset, a refusal', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  let serverSide;
  const got = [];
  const port = await rawServer(t, (s) => {
    serverSide = s;
    s.on('data', (b) => got.push(b));
    s.write('Welcome!\n');
  });
  const r = await page.request({ type: 'create', spec: { kind: 'tcp-client', host: '127.0.0.1', port, encoding: 'utf8', frame: 'line' } });
  // UTF-8 text that is exactly the bytes travels once, as text; anything else carries its bytes too
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.session.state, 'connected');
  assert.equal(r.session.peer, `127.0.0.1:${port}`);
  const welcome = await page.waitEvent((e) => e.event === 'data');
  assert.equal(welcome.text, 'Welcome!');
  assert.equal(welcome.data, undefined);
  serverSide.write(Buffer.from([0xff, 0xfe, 0x0a]));
  const binary = await page.waitEvent((e) => e.event === 'data' && e.bytes === 2);
  assert.deepEqual(b64(binary.data), Buffer.from([0xff, 0xfe]));
  await page.request({ type: 'send', session: r.session.id, target: 'all', payload: { kind: 'text', text: 'PING', eol: 'lf' } });
  await waitFor(() => Buffer.concat(got).length >= 5, { what: 'PING to reach the server', detail: () => Buffer.concat(got).toString() });
  assert.equal(Buffer.concat(got).toString(), 'PING\n');
  serverSide.destroy();
  const closed = await page.waitFor((m) => m.type === 'session' && m.info.id === r.session.id && m.info.state === 'closed');
  assert.ok(closed.info.reason);

  // a reset shows as the session's banner, in words
  let victim;
  const resetPort = await rawServer(t, (s) => (victim = s));
  const second = await page.request({ type: 'create', spec: { kind: 'tcp-client', host: '127.0.0.1', port: resetPort, encoding: 'utf8', frame: 'raw' } });
  await waitFor(() => victim, { what: 'the session to connect to the server that resets' });
  victim.resetAndDestroy();
  const reset = await page.waitFor((m) => m.type === 'session' && m.info.id === second.session.id && m.info.state === 'closed');
  assert.equal(reset.info.error.code, 'SOCKIT_ERR_RESET');
  assert.match(reset.info.error.message, /was reset by the peer/);

  const refused = await page.request({ type: 'create', spec: { kind: 'tcp-client', host: '127.0.0.1', port: await closedPort(), encoding: 'utf8', frame: 'raw' } });
  assert.equal(refused.ok, false);
  assert.equal(refused.error.code, 'SOCKIT_ERR_REFUSED');
  assert.match(refused.error.message, /was refused: nothing is listening there/);
});


test('a UDP session: datagrams from a peer arrive, sends go to the remote, a typed address, or a peer by number', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const other = dgram.createSocket('udp4');
  t.after(() => other.close());
  const got = [];
  other.on('message', (m, rinfo) => got.push([m, rinfo]));
  await new Promise((r) => other.bind(0, '127.0.0.1', r));
  const remote = `127.0.0.1:${other.address().port}`;
  const r = await page.request({ type: 'create', spec: { kind: 'udp', host: '127.0.0.1', port: 0, encoding: 'utf8', remote } });
  assert.equal(r.ok, true, JSON.stringify(r));
  const info = r.session;
  assert.equal(info.state, 'listening');
  assert.equal(info.peer, remote);

  let s = await page.request({ type: 'send', session: info.id, target: '', payload: { kind: 'text', text: 'to the remote' } });
  assert.equal(s.ok, true, JSON.stringify(s));
  await waitFor(() => got.length >= 1, { what: 'a datagram to the remote' });
  assert.equal(got[0][0].toString(), 'to the remote');
  assert.equal(got[0][1].port, info.port);

  other.send('hello back', info.port, '127.0.0.1');
  const d = await page.waitEvent((e) => e.event === 'data');
  assert.equal(d.text, 'hello back');
  s = await page.request({ type: 'send', session: info.id, target: d.id, payload: { kind: 'hex', hex: '01 02' } });
  assert.equal(s.ok, true);
  s = await page.request({ type: 'send', session: info.id, target: remote, payload: { kind: 'text', text: 'typed' } });
  assert.equal(s.ok, true);
  await waitFor(() => got.length >= 3, { what: 'three datagrams at the remote', detail: () => got.map(([m]) => m.toString('hex')).join(' ') });
  assert.deepEqual(got[1][0], Buffer.from([1, 2]));
  assert.equal(got[2][0].toString(), 'typed');
  s = await page.request({ type: 'send', session: info.id, target: 'nowhere', payload: { kind: 'text', text: 'x' } });
  assert.equal(s.ok, false);
  assert.equal(s.error.field, 'target');
  const stats = await page.waitFor((m) => m.type === 'stats' && m.sessions[info.id]?.counters.messagesIn === 1, 3000);
  assert.equal(stats.sessions[info.id].clients[0].peer, remote);
});

test('cyclic sending repeats until stopped, and shows in the session info', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const info = await tcpServer(page);
  const c = await peer(t, info.port);
  await page.waitEvent((e) => e.event === 'connect');
  const bad = await page.request({ type: 'send', session: info.id, target: 'all', payload: { kind: 'text', text: 'x' }, repeatMs: 1 });
  assert.equal(bad.error.field, 'interval');
  const r = await page.request({ type: 'send', session: info.id, target: 'all', payload: { kind: 'text', text: 'tick;' }, repeatMs: 20 });
  assert.equal(r.ok, true);
  const running = await page.waitFor((m) => m.type === 'session' && m.info.cyclic);
  assert.equal(running.info.cyclic.intervalMs, 20);
  await c.waitFor(Buffer.from('tick;'.repeat(4)));
  const stop = await page.request({ type: 'stop-cyclic', session: info.id });
  assert.equal(stop.ok, true);
  assert.equal(stop.session.cyclic, undefined);
  // a marker sent after the stop: once it arrives, any tick still due would have come before it
  await page.request({ type: 'send', session: info.id, target: 'all', payload: { kind: 'text', text: 'END' } });
  const all = await waitFor(() => c.received.includes('END') && c.received.toString(), { what: 'the marker sent after stop-cyclic' });
  assert.match(all, /^(tick;){4,}END$/, 'only whole ticks, then the marker');
  // and none comes later: five intervals of silence
  await quietFor(c.socket, 'data', 100, { what: 'tick after stop-cyclic' });
});

test('a client is disconnected from the page; counters and clients arrive as stats', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const info = await tcpServer(page);
  const c = await peer(t, info.port);
  c.socket.write('abc');
  const stats = await page.waitFor((m) => m.type === 'stats' && m.sessions[info.id]?.clients?.length === 1 && m.sessions[info.id].counters.bytesIn === 3, 3000);
  const entry = stats.sessions[info.id];
  assert.equal(entry.clientsTotal, 1);
  assert.equal(entry.clients[0].bytesIn, 3);
  assert.equal(entry.counters.messagesIn, 1);
  const r = await page.request({ type: 'disconnect', session: info.id, client: 1 });
  assert.equal(r.ok, true);
  await nextEvent(c.socket, 'close', { what: 'the client disconnected from the page to be closed' });
  const closed = await page.waitEvent((e) => e.event === 'close');
  assert.equal(closed.reason, 'disconnected from the page');
  const again = await page.request({ type: 'disconnect', session: info.id, client: 1 });
  assert.match(again.error.message, /not connected/);
});

test('sessions outlive the page: another page finds them; closing, restarting and removing them', async (t) => {
  const ui = await uiServer(t);
  const first = await openPage(t, ui);
  const info = await tcpServer(first);
  first.ws.close();
  const second = await openPage(t, ui);
  const hello = second.messages.find((m) => m.type === 'hello');
  assert.deepEqual(hello.sessions.map((s) => s.id), [info.id]);
  assert.ok(hello.encodings.includes('gbk'));
  assert.deepEqual(hello.kinds, ['tcp-server', 'tcp-client', 'udp', 'http', 'ws-server', 'ws-client', 'proxy']);
  let r = await second.request({ type: 'close', session: info.id });
  assert.equal(r.session.state, 'closed');
  assert.equal(r.session.reason, 'closed from the page');
  const send = await second.request({ type: 'send', session: info.id, target: 'all', payload: { kind: 'text', text: 'x' } });
  assert.match(send.error.message, /closed; start it again/);
  r = await second.request({ type: 'restart', session: info.id });
  assert.equal(r.session.state, 'listening');
  const c = await peer(t, r.session.port);
  c.socket.write('after restart');
  const d = await second.waitEvent((e) => e.event === 'data' && e.text === 'after restart');
  assert.equal(d.session, info.id, 'the same session, so the page keeps one log');
  r = await second.request({ type: 'remove', session: info.id });
  assert.equal(r.ok, true);
  await second.waitFor((m) => m.type === 'removed' && m.session === info.id);
  assert.equal(ui.bridge.hub.list().length, 0);
});

test('decoding on demand with iconv-lite, for encodings a browser does not know', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const r = await page.request({ type: 'decode', encoding: 'cp437', items: [Buffer.from([0xb0, 0xb1, 0xdb]).toString('base64'), Buffer.from('cac0bde7', 'hex').toString('base64')] });
  assert.equal(r.ok, true);
  assert.equal(r.texts[0], '░▒█');
  const g = await page.request({ type: 'decode', encoding: 'gbk', items: [Buffer.from('cac0bde7', 'hex').toString('base64')] });
  assert.deepEqual(g.texts, ['世界']);
  const bad = await page.request({ type: 'decode', encoding: 'nope', items: [] });
  assert.equal(bad.error.field, 'encoding');
});

test('a static web server session logs each request', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'hello.txt'), 'hi there');
  const r = await page.request({ type: 'create', spec: { kind: 'http', root: dir, host: '127.0.0.1', port: 0 } });
  assert.equal(r.ok, true, JSON.stringify(r));
  const body = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: r.session.port, path: '/hello.txt' }, (res) => {
      let s = '';
      res.on('data', (b) => (s += b));
      res.on('end', () => resolve(s));
    }).on('error', reject);
  });
  assert.equal(body, 'hi there');
  const req = await page.waitEvent((e) => e.event === 'request');
  assert.equal(req.url, '/hello.txt');
  assert.equal(req.status, 200);
  const send = await page.request({ type: 'send', session: r.session.id, target: 'all', payload: { kind: 'text', text: 'x' } });
  assert.match(send.error.message, /nothing to send/);
});

for (const binary of [false, true]) {
  test(`a flood to a ${binary ? 'binary' : 'JSON'} page that does not keep up stays bounded; drops are counted and shown where they happened`, async (t) => {
    const ui = await uiServer(t);
    const page = await openPage(t, ui, { ack: false, binary });
    const info = await tcpServer(page);
    const c = await peer(t, info.port);
    await page.waitEvent((e) => e.event === 'connect');
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const total = 256 * 1024 * 1024;
    let written = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    while (written < total) {
      if (!c.socket.write(chunk)) await nextEvent(c.socket, 'drain', { what: `the session to keep reading the flood (${written} bytes written)` });
      written += chunk.length;
    }
    // wait until the server has read it all (the counters are exact whatever was dropped)
    await waitFor(() => ui.bridge.hub.stats()[info.id].counters.bytesIn === total, {
      what: `the session to read all ${total} bytes`,
      detail: () => `read ${ui.bridge.hub.stats()[info.id].counters.bytesIn}`,
    });
    clearInterval(sampler);
    const grew = (peak - before) / 1024 / 1024;
    t.diagnostic(`flood of ${total / 1024 / 1024} MiB in ${total / chunk.length} writes: RSS grew by ${grew.toFixed(1)} MiB at most; ${ui.bridge.droppedPerPage()[0]} events dropped for the slow page`);
    assert.ok(grew < 96, `RSS grew by ${grew.toFixed(1)} MiB`);
    const dropped = ui.bridge.droppedPerPage()[0];
    assert.ok(dropped > 0);

    // the page catches up: a marker tells it how many it missed
    page.ack = true;
    const lastSeq = Math.max(...page.messages.filter((m) => m.type === 'events').map((m) => m.seq));
    page.sendAck(lastSeq);
    const marker = await page.waitEvent((e) => e.event === 'dropped', 10000);
    assert.equal(marker.session, info.id);
    // the rest of the queue follows as the page acknowledges; then the markers add up to the header's count
    const markerSum = () => page.events.filter((e) => e.event === 'dropped').reduce((n, e) => n + e.count, 0);
    // a batch sent while the page was still taking them may carry an earlier count (drops can begin
    // before the window of unacknowledged batches closes): wait for the bridge's own
    await waitFor(() => (page.dropped === dropped && markerSum() === dropped) || undefined, {
      what: "the batch header to carry the bridge's count of drops, and the markers to add up to it",
      detail: () => `${markerSum()} in markers, ${page.dropped} in the header, ${dropped} counted by the bridge`,
    });
    const shown = page.events.filter((e) => e.event === 'data').reduce((n, e) => n + e.bytes, 0);
    assert.ok(shown < total, 'not everything was shown');
    t.diagnostic(`the page was shown ${(shown / 1024 / 1024).toFixed(1)} MiB in ${page.events.length} events; ${page.dropped} dropped`);
  });
}

test('a WebSocket server sends to the clients a page picked, and to no other; a list with none connected is refused', async (t) => {
  if (!requireWebsockets(t)) return;
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  const r0 = await page.request({ type: 'create', spec: { kind: 'ws-server', host: '127.0.0.1', port: 0, encoding: 'utf8' } });
  assert.equal(r0.ok, true, JSON.stringify(r0));
  const url = `ws://127.0.0.1:${r0.session.port}/`;
  const clients = [];
  // one after the other, so they are #1, #2 and #3; #2 waits for one message, the others for two
  for (const expect of [2, 1, 2]) {
    clients.push(runPy('ws_client.py', [url, '--expect', expect]));
    await waitFor(() => page.events.filter((e) => e.event === 'connect').length === clients.length, { what: `client #${clients.length} to connect` });
  }
  let r = await page.request({ type: 'send', session: r0.session.id, target: [1, 3], payload: { kind: 'text', text: 'pick' } });
  assert.equal(r.delivered, 2, JSON.stringify(r));
  r = await page.request({ type: 'send', session: r0.session.id, target: 'all', payload: { kind: 'text', text: 'end' } });
  assert.equal(r.delivered, 3);
  const [one, two, three] = await Promise.all(clients);
  assert.match(one.stdout, /recv text 'pick'\nrecv text 'end'/);
  assert.match(three.stdout, /recv text 'pick'\nrecv text 'end'/);
  assert.doesNotMatch(two.stdout, /pick/, 'client #2 was not picked');
  assert.match(two.stdout, /recv text 'end'/);
  r = await page.request({ type: 'send', session: r0.session.id, target: [7, 8], payload: { kind: 'text', text: 'x' } });
  assert.equal(r.error.field, 'target');
  assert.equal(r.error.message, 'none of clients #7, #8 is connected; nothing was sent');
  r = await page.request({ type: 'send', session: r0.session.id, target: ['1'], payload: { kind: 'text', text: 'x' } });
  assert.match(r.error.message, /target must be all, a client number, a list of them or an address/);
});
