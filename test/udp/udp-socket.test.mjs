// The UDP session as a library: replies to each sender, per-peer numbering, IPv6, size limits, port unreachable, multicast.
import '../helpers/offline-dns.mjs';
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { listenUdp, openUdp, UdpSocket, MAX_DATAGRAM_IPV4, MAX_DATAGRAM_IPV6, SockitError } from '../../dist/index.js';
import { closedUdpPort, waitFor, unavailable, quietFor } from '../helpers/index.mjs';

/** A plain dgram socket on loopback for the other side; closed when the test ends. */
async function peerSocket(t, type = 'udp4', host = type === 'udp4' ? '127.0.0.1' : '::1') {
  const s = dgram.createSocket(type);
  await new Promise((r) => s.bind(0, host, r));
  t.after(() => s.close());
  const inbox = [];
  s.on('message', (msg, rinfo) => inbox.push({ msg, rinfo }));
  return {
    socket: s,
    port: s.address().port,
    send: (data, port, address = host) => new Promise((r, j) => s.send(data, port, address, (e) => (e ? j(e) : r()))),
    /** The next datagram that arrives here. */
    async next() {
      await waitFor(() => inbox.length > 0, { what: `a datagram at ${host}:${s.address().port}` });
      return inbox.shift();
    },
  };
}

function collectEvents(session) {
  const events = [];
  session.on('event', (e) => events.push(e));
  return {
    events,
    /** The first event matching `pred`, once it has been emitted. */
    wait(pred) {
      return waitFor(() => events.find(pred), { what: `an event matching ${pred}`, detail: () => `events so far: ${events.map((e) => e.event).join(', ')}` });
    },
  };
}


test('a listener answers each datagram to its sender, with {data}, {peer} and {n}', async (t) => {
  const server = await listenUdp({ port: 0, host: '127.0.0.1', reply: 'Hello, {data}! ({n})' });
  t.after(() => server.close());
  const seen = collectEvents(server);
  const a = await peerSocket(t);
  await a.send('Bob', server.port);
  const { msg, rinfo } = await a.next();
  assert.equal(msg.toString(), 'Hello, Bob! (1)');
  assert.equal(rinfo.port, server.port);
  const data = await seen.wait((e) => e.event === 'data');
  assert.equal(data.peer, `127.0.0.1:${a.port}`);
  assert.equal(data.id, 1);
  assert.equal(data.n, 1);
  assert.equal(data.bytes, 3);
  assert.equal(data.text, 'Bob');
  const sent = await seen.wait((e) => e.event === 'send');
  assert.equal(sent.bytes, 15);
  assert.equal(sent.peer, data.peer);
});

test('each peer gets its own number, and its datagrams are counted', async (t) => {
  const server = await listenUdp({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => server.close());
  const seen = collectEvents(server);
  const a = await peerSocket(t);
  const b = await peerSocket(t);
  await a.send('one', server.port);
  await a.next();
  await b.send('two', server.port);
  await b.next();
  await a.send('three', server.port);
  assert.equal((await a.next()).msg.toString(), 'three');
  const data = seen.events.filter((e) => e.event === 'data');
  assert.deepEqual(data.map((e) => [e.id, e.n, e.text]), [[1, 1, 'one'], [2, 1, 'two'], [1, 2, 'three']]);
  assert.deepEqual(server.peers().map((p) => [p.id, p.messagesIn, p.messagesOut]), [[1, 2, 2], [2, 1, 1]]);
  assert.equal(server.stats.connections, 2);
});

test('GBK datagrams are decoded, and echo returns the exact bytes', async (t) => {
  const server = await listenUdp({ port: 0, host: '127.0.0.1', encoding: 'gbk', echo: true });
  t.after(() => server.close());
  const seen = collectEvents(server);
  const a = await peerSocket(t);
  const bytes = Buffer.from([0xca, 0xc0, 0xbd, 0xe7]); // 世界 in GBK
  await a.send(bytes, server.port);
  assert.deepEqual((await a.next()).msg, bytes);
  assert.equal((await seen.wait((e) => e.event === 'data')).text, '世界');
});

test('the default listener hears IPv4 and IPv6 on one port, and names IPv4 peers plainly', async (t) => {
  const server = await listenUdp({ port: 0, echo: true });
  t.after(() => server.close());
  const seen = collectEvents(server);
  const v4 = await peerSocket(t, 'udp4');
  const v6 = await peerSocket(t, 'udp6');
  await v4.send('four', server.port, '127.0.0.1');
  assert.equal((await v4.next()).msg.toString(), 'four');
  await v6.send('six', server.port, '::1');
  assert.equal((await v6.next()).msg.toString(), 'six');
  const peers = seen.events.filter((e) => e.event === 'data').map((e) => e.peer);
  assert.deepEqual(peers, [`127.0.0.1:${v4.port}`, `[::1]:${v6.port}`]);
});

test('listening reports both families for the default listener, one address otherwise', async (t) => {
  const events = [];
  const all = await listenUdp({ port: 0 }, (e) => events.push(e));
  t.after(() => all.close());
  const one = await listenUdp({ port: 0, host: '::1' }, (e) => events.push(e));
  t.after(() => one.close());
  assert.deepEqual(events[0].addresses, ['0.0.0.0', '::']);
  assert.equal(events[0].protocol, 'udp');
  assert.deepEqual(events[1].addresses, ['::1']);
  assert.equal(events[1].port, one.port);
});

test('a client aimed at ::1 sends and hears the reply', async (t) => {
  const server = await listenUdp({ port: 0, host: '::1', reply: 'got {data}' });
  t.after(() => server.close());
  const client = await openUdp({ remoteHost: '::1', remotePort: server.port });
  t.after(() => client.close());
  const seen = collectEvents(client);
  assert.equal(client.isConnected, true);
  await client.send(Buffer.from('hi'));
  const data = await seen.wait((e) => e.event === 'data');
  assert.equal(data.text, 'got hi');
  assert.equal(data.peer, `[::1]:${server.port}`);
  assert.equal(data.id, 1);
});

test('a datagram over the protocol limit is refused before sending; the limit itself arrives whole', async (t) => {
  const sink = await peerSocket(t);
  const client = await openUdp({ remoteHost: '127.0.0.1', remotePort: sink.port });
  t.after(() => client.close());
  assert.throws(() => client.send(Buffer.alloc(MAX_DATAGRAM_IPV4 + 1)), (err) => {
    assert.ok(err instanceof SockitError);
    assert.equal(err.code, 'SOCKIT_ERR_DATAGRAM_TOO_LARGE');
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /over IPv4 can carry at most 65507 bytes; this one has 65508/);
    return true;
  });
  assert.equal(client.stats.messagesOut, 0);
  await client.send(Buffer.alloc(MAX_DATAGRAM_IPV4, 0x61));
  assert.equal((await sink.next()).msg.length, MAX_DATAGRAM_IPV4);

  const sink6 = await peerSocket(t, 'udp6');
  const client6 = await openUdp({ remoteHost: '::1', remotePort: sink6.port });
  t.after(() => client6.close());
  assert.throws(() => client6.send(Buffer.alloc(MAX_DATAGRAM_IPV6 + 1)), /over IPv6 can carry at most 65527 bytes/);
  await client6.send(Buffer.alloc(MAX_DATAGRAM_IPV6));
  assert.equal((await sink6.next()).msg.length, MAX_DATAGRAM_IPV6);
});

test('port unreachable on a connected socket is an error event saying nothing listens, not a crash', async (t) => {
  const port = await closedUdpPort();
  const client = await openUdp({ remoteHost: '127.0.0.1', remotePort: port });
  const seen = collectEvents(client);
  await client.send(Buffer.from('anyone?'));
  const err = await seen.wait((e) => e.event === 'error');
  assert.equal(err.code, 'SOCKIT_ERR_REFUSED');
  assert.equal(err.message, `nothing is listening on 127.0.0.1:${port} (UDP): the host answered "port unreachable"`);
  assert.ok(client.refused >= 1);
  await client.close();
  assert.equal(seen.events.at(-1).event, 'summary');
});

test('a bound port is reported in use, naming this process', async (t) => {
  const holder = await peerSocket(t);
  await assert.rejects(listenUdp({ port: holder.port, host: '127.0.0.1' }), (err) => {
    assert.equal(err.code, 'SOCKIT_ERR_ADDR_IN_USE');
    assert.equal(err.exitCode, 3);
    assert.match(err.message, new RegExp(`port ${holder.port} is already in use by node \\(pid ${process.pid}\\)`));
    return true;
  });
});

test('stdin-style sends reach every peer heard from, or one by number', async (t) => {
  const server = await listenUdp({ port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  const seen = collectEvents(server);
  const a = await peerSocket(t);
  const b = await peerSocket(t);
  assert.equal(server.sendToPeer(Buffer.from('nobody yet')), 0);
  await a.send('a', server.port);
  await b.send('b', server.port);
  await seen.wait((e) => e.event === 'data' && e.id === 2);
  assert.equal(server.sendToPeer(Buffer.from('all')), 2);
  assert.equal((await a.next()).msg.toString(), 'all');
  assert.equal((await b.next()).msg.toString(), 'all');
  assert.equal(server.sendToPeer(Buffer.from('just b'), 2), 1);
  assert.equal((await b.next()).msg.toString(), 'just b');
  assert.equal(server.sendToPeer(Buffer.from('x'), 9), 0);
});

test('with broadcast on, the socket stays unconnected and hears replies from any sender', async (t) => {
  const server = await listenUdp({ port: 0, host: '127.0.0.1', reply: 'pong' });
  t.after(() => server.close());
  const client = await openUdp({ remoteHost: '127.0.0.1', remotePort: server.port, broadcast: true });
  t.after(() => client.close());
  const seen = collectEvents(client);
  assert.equal(client.isConnected, false);
  await client.send(Buffer.from('ping'));
  const data = await seen.wait((e) => e.event === 'data');
  assert.equal(data.text, 'pong');
  assert.equal(data.peer, `127.0.0.1:${server.port}`);
});

test('bad options are refused up front, naming them', () => {
  assert.throws(() => new UdpSocket({ port: 0, join: ['10.0.0.1'] }), { field: 'join', message: /^join: '10.0.0.1' is not a multicast group address/ });
  assert.throws(() => new UdpSocket({ port: 0, multicastTtl: 300 }), { field: 'multicastTtl', message: /^multicastTtl must be a whole number from 0 to 255/ });
  assert.throws(() => new UdpSocket({ remoteHost: '127.0.0.1' }), /needs both a host and a port/);
});

test('an unknown remote host is a plain sentence', async () => {
  await assert.rejects(openUdp({ remoteHost: 'no-such-host.invalid', remotePort: 9 }), (err) => {
    assert.equal(err.code, 'SOCKIT_ERR_HOST_NOT_FOUND');
    assert.equal(err.exitCode, 4);
    return true;
  });
});

test('multicast: a listener that joined 239.255.x.x on loopback hears a group datagram', async (t) => {
  const group = '239.255.67.89';
  let server;
  try {
    server = await listenUdp({ port: 0, join: [group], multicastInterface: '127.0.0.1' });
  } catch (err) {
    // a join that fails is a skip that says why on a developer machine, a failure in CI
    return unavailable(t, `joining ${group} on loopback failed here: ${err.message}`);
  }
  t.after(() => server.close());
  const seen = collectEvents(server);
  // TTL 0 and the loopback interface keep the datagram on this host
  const client = await openUdp({ remoteHost: group, remotePort: server.port, multicastInterface: '127.0.0.1', multicastTtl: 0 });
  t.after(() => client.close());
  assert.equal(client.isConnected, false);
  await client.send(Buffer.from('to the group'));
  const data = await seen.wait((e) => e.event === 'data');
  assert.equal(data.text, 'to the group');
});

test('messageEvents = false: no data or send events are built, yet datagrams are answered and counted', async (t) => {
  const server = await listenUdp({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => server.close());
  server.messageEvents = false;
  const seen = collectEvents(server);
  const a = await peerSocket(t);
  await a.send('quiet', server.port);
  // the echo coming back shows the datagram went through the whole path
  assert.equal((await a.next()).msg.toString(), 'quiet');
  assert.deepEqual(seen.events.map((e) => e.event), [], 'no data or send event');
  assert.deepEqual([server.stats.messagesIn, server.stats.messagesOut], [1, 1]);

  const client = await openUdp({ remoteHost: '127.0.0.1', remotePort: a.port });
  t.after(() => client.close());
  client.messageEvents = false;
  const clientSeen = collectEvents(client);
  await client.send(Buffer.from('out'));
  const { rinfo } = await a.next();
  await a.send('back', rinfo.port);
  await waitFor(() => client.stats.messagesIn === 1, { what: 'the client to read the answer' });
  assert.deepEqual(clientSeen.events.map((e) => e.event), [], 'no data or send event');
});

test('the peer table keeps the 10,000 most recent senders: the oldest is forgotten, and comes back under a new number', async (t) => {
  const server = await listenUdp({ port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  const first = await peerSocket(t);
  await first.send('first', server.port);
  await waitFor(() => server.stats.messagesIn === 1, { what: 'the first datagram to be read' });

  // 10,000 more senders from many source ports on 127.0.0.2-5, in rounds small enough for the
  // server's receive buffer; a port the system hands out twice is one sender, so count distinct ones
  const senders = new Set();
  let sent = 1;
  while (senders.size < 10_000) {
    const round = Math.min(100, 10_000 - senders.size);
    const sockets = await Promise.all(Array.from({ length: round }, async (_, i) => {
      const s = dgram.createSocket('udp4');
      await new Promise((r) => s.bind(0, `127.0.0.${2 + (i % 4)}`, r));
      return s;
    }));
    for (const s of sockets) senders.add(`${s.address().address}:${s.address().port}`);
    await Promise.all(sockets.map((s) => new Promise((r, j) => s.send('x', server.port, '127.0.0.1', (e) => (e ? j(e) : r())))));
    sent += round;
    await waitFor(() => server.stats.messagesIn === sent, { what: `${sent} datagrams to be read`, detail: () => `read ${server.stats.messagesIn}` });
    await Promise.all(sockets.map((s) => new Promise((r) => s.close(r))));
  }
  const kept = server.peers();
  assert.equal(server.stats.connections, 10_001, 'every distinct sender was counted');
  assert.equal(kept.length, 10_000);
  assert.equal(server.stats.active, 10_000);
  assert.equal(kept[0].id, 2, 'the oldest kept is the second sender');
  assert.ok(!kept.some((p) => p.peer === `127.0.0.1:${first.port}`), 'the first sender was forgotten');
  assert.equal(server.sendToPeer(Buffer.from('to #1'), 1), 0, 'its number no longer reaches anyone');
  assert.deepEqual(new Set(kept.map((p) => p.peer)), senders);

  await first.send('again', server.port);
  await waitFor(() => server.stats.messagesIn === sent + 1, { what: 'the first sender to be heard again' });
  const back = server.peers().at(-1);
  assert.deepEqual([back.id, back.peer, back.messagesIn], [10_002, `127.0.0.1:${first.port}`, 1]);
  assert.equal(server.peers()[0].id, 3, 'and the second sender made room for it');
  assert.equal(server.sendToPeer(Buffer.from('welcome back'), 10_002), 1);
  assert.equal((await first.next()).msg.toString(), 'welcome back');
});
