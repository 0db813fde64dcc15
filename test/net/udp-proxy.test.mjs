// The UDP relay: one upstream socket per client address, idle mappings forgotten, a bounded table, and datagram faults accounted for exactly.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { startProxy } from '../../dist/index.js';
import { closedUdpPort, waitFor, within, WAIT_MS } from '../helpers/index.mjs';
import { eventMatching } from '../helpers/relay.mjs';

/** A UDP echo target on 127.0.0.1; `received` lists what arrived with its sender's port. */
async function udpEcho(t, { echo = true } = {}) {
  const socket = dgram.createSocket('udp4');
  const received = [];
  socket.on('message', (msg, rinfo) => {
    received.push({ text: msg.toString(), port: rinfo.port });
    if (echo) socket.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  t.after(() => socket.close());
  return { port: socket.address().port, received };
}

async function udpProxy(t, targetPort, options = {}) {
  const events = [];
  const proxy = await startProxy({ udp: true, port: 0, host: '127.0.0.1', targetHost: '127.0.0.1', targetPort, ...options }, (e) => events.push(e));
  t.after(() => proxy.close());
  return { proxy, events, port: proxy.port };
}

/** A client socket whose answers are collected; `until(n)` waits for n of them. */
async function udpClient(t, port) {
  const socket = dgram.createSocket('udp4');
  const answers = [];
  const waiters = new Set();
  socket.on('message', (msg) => {
    answers.push(msg.toString());
    for (const w of [...waiters]) w();
  });
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  t.after(() => socket.close());
  return {
    socket,
    answers,
    send: (text) => new Promise((r) => socket.send(text, port, '127.0.0.1', r)),
    until: (n, timeoutMs = WAIT_MS) =>
      within(new Promise((resolve) => {
        const check = () => {
          if (answers.length >= n) {
            waiters.delete(check);
            resolve(answers);
          }
        };
        waiters.add(check);
        check();
      }), { what: `${n} answers (got ${answers.length})`, timeoutMs }),
  };
}

const waitUntil = (what, test) => waitFor(test, { what });

test('each client address gets its own upstream socket; both directions shown', async (t) => {
  const target = await udpEcho(t);
  const { proxy, events, port } = await udpProxy(t, target.port);
  const a = await udpClient(t, port);
  const b = await udpClient(t, port);
  await a.send('from a');
  await b.send('from b');
  await a.send('again a');
  await a.until(2);
  await b.until(1);
  assert.deepEqual(a.answers, ['from a', 'again a']);
  assert.deepEqual(b.answers, ['from b']);
  const ports = new Set(target.received.map((r) => r.port));
  assert.equal(ports.size, 2, 'two upstream sockets');
  assert.equal(proxy.connections().length, 2);
  const up = events.filter((e) => e.event === 'data' && e.direction === 'up').map((e) => `${e.id}:${e.text}`);
  assert.deepEqual(up, ['1:from a', '2:from b', '1:again a']);
  await eventMatching(events, (e) => e.event === 'data' && e.direction === 'down' && e.text === 'again a', 'the echo down');
  assert.equal(proxy.stats.bytesIn, 19);
});

test('an idle client is forgotten; a bounded table forgets the longest silent first', async (t) => {
  const target = await udpEcho(t);
  const idle = await udpProxy(t, target.port, { idleTimeoutMs: 150 });
  const c = await udpClient(t, idle.port);
  await c.send('x');
  await c.until(1);
  const close = await eventMatching(idle.events, (e) => e.event === 'close', 'the idle close');
  assert.match(close.reason, /idle for 0\.15 s/);
  await c.send('y');
  await c.until(2);
  assert.equal(idle.proxy.connections()[0].id, 2);

  const bounded = await udpProxy(t, target.port, { maxClients: 2 });
  const clients = [await udpClient(t, bounded.port), await udpClient(t, bounded.port), await udpClient(t, bounded.port)];
  for (const [i, cl] of clients.entries()) {
    await cl.send(`c${i}`);
    await cl.until(1);
  }
  const evicted = await eventMatching(bounded.events, (e) => e.event === 'close', 'an eviction');
  assert.equal(evicted.id, 1);
  assert.match(evicted.reason, /at most 2/);
  assert.deepEqual(bounded.proxy.connections().map((m) => m.id), [2, 3]);
});

test('loss and duplication are accounted for exactly: what arrives plus what was lost is what was sent', async (t) => {
  const target = await udpEcho(t, { echo: false });
  const { proxy, port } = await udpProxy(t, target.port, { faults: { up: { loss: 0.3, duplicate: 0.2 } }, seed: 1 });
  const c = await udpClient(t, port);
  const sent = 300;
  for (let i = 0; i < sent; i++) {
    await c.send(`${i}`);
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
  }
  await waitUntil('the proxy to account for every datagram', () => {
    const m = proxy.connections()[0];
    return m && m.messagesIn === sent;
  });
  const { lost, duplicated } = proxy.connections()[0].faultCounts.up;
  await waitUntil(`${sent - lost + duplicated} datagrams at the target (got ${target.received.length})`, () => target.received.length === sent - lost + duplicated);
  assert.ok(lost > sent * 0.2 && lost < sent * 0.4, `lost ${lost} of ${sent}`);
  assert.ok(duplicated > 0, 'some were duplicated');
  const seen = new Set(target.received.map((r) => r.text));
  assert.equal(seen.size, sent - lost);
});

test('reorder holds a datagram back past the next one; all arrive', async (t) => {
  const target = await udpEcho(t, { echo: false });
  const { proxy, port } = await udpProxy(t, target.port, { faults: { up: { reorder: 0.3 } }, seed: 3 });
  const c = await udpClient(t, port);
  const sent = 100;
  for (let i = 0; i < sent; i++) {
    await c.send(`${i}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  await waitUntil(`all ${sent} datagrams at the target (got ${target.received.length})`, () => target.received.length === sent);
  const order = target.received.map((r) => Number(r.text));
  assert.deepEqual([...order].sort((x, y) => x - y), Array.from({ length: sent }, (_, i) => i));
  const outOfOrder = order.filter((n, i) => i > 0 && n < order[i - 1]).length;
  assert.ok(outOfOrder > 0, 'some arrived out of order');
  assert.ok(proxy.connections()[0].faultCounts.up.reordered > 0);
});

test('latency on UDP adds to each round trip, never less', async (t) => {
  const target = await udpEcho(t);
  const { port } = await udpProxy(t, target.port, { faults: { up: { latencyMs: 60 }, down: { latencyMs: 60 } } });
  const c = await udpClient(t, port);
  for (let i = 1; i <= 3; i++) {
    const started = performance.now();
    await c.send(`p${i}`);
    await c.until(i);
    const rtt = performance.now() - started;
    assert.ok(rtt >= 120, `round trip ${rtt.toFixed(1)} ms`);
  }
});

test('a target that answers "port unreachable" is reported once per client', async (t) => {
  const { events, port } = await udpProxy(t, await closedUdpPort());
  const c = await udpClient(t, port);
  for (let i = 0; i < 3; i++) {
    await c.send('anyone?');
    await new Promise((r) => setTimeout(r, 20));
  }
  const err = await eventMatching(events, (e) => e.event === 'error', 'the refusal');
  assert.equal(err.code, 'SOCKIT_ERR_REFUSED');
  assert.equal(err.id, 1);
  await eventMatching(events, (e) => e.event === 'data' && e.n === 3, 'the third datagram');
  assert.equal(events.filter((e) => e.event === 'error').length, 1);
});
