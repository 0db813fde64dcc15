// The UDP session as a library: replies to each sender, per-peer numbering, IPv6, size limits, port unreachable, multicast.
import '../helpers/offline-dns.mjs';
import test from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { listenUdp, openUdp, UdpSocket, MAX_DATAGRAM_IPV4, MAX_DATAGRAM_IPV6, SockitError } from '../../dist/index.js';
import { closedUdpPort } from '../helpers/index.mjs';

/** A plain dgram socket on loopback for the other side; closed when the test ends. */
async function peerSocket(t, type = 'udp4', host = type === 'udp4' ? '127.0.0.1' : '::1') {
  const s = dgram.createSocket(type);
  await new Promise((r) => s.bind(0, host, r));
  t.after(() => s.close());
  const inbox = [];
  const waiters = [];
  s.on('message', (msg, rinfo) => {
    inbox.push({ msg, rinfo });
    for (const w of waiters.splice(0)) w();
  });
  return {
    socket: s,
    port: s.address().port,
    send: (data, port, address = host) => new Promise((r, j) => s.send(data, port, address, (e) => (e ? j(e) : r()))),
    async next(ms = 2000) {
      const deadline = Date.now() + ms;
      while (inbox.length === 0) {
        if (Date.now() > deadline) throw new Error('no datagram arrived');
        await new Promise((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return inbox.shift();
    },
  };
}

function collectEvents(session) {
  const events = [];
  session.on('event', (e) => events.push(e));
  return {
    events,
    async wait(pred, ms = 2000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = events.find(pred);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`event not seen; got ${events.map((e) => e.event).join(',')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
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
  assert.throws(() => new UdpSocket({ port: 0, join: ['10.0.0.1'] }), /--join: '10.0.0.1' is not a multicast group address/);
  assert.throws(() => new UdpSocket({ port: 0, multicastTtl: 300 }), /--ttl must be a whole number from 0 to 255/);
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
    t.skip(`the kernel does not allow joining ${group} on loopback here: ${err.message}`);
    return;
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
