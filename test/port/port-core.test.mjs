// The port utilities as a library: port lists, probes, tcping statistics, interfaces.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parsePortList, parsePortRange, scanPorts, probeTcp, pingTcp, computePingStats, serviceName, listInterfaces, addressScope, checkPort, UsageError } from '../../dist/index.js';

test('port lists: single ports and ranges, sorted, without repeats', () => {
  assert.deepEqual(parsePortList('22,80,8000-8003'), [22, 80, 8000, 8001, 8002, 8003]);
  assert.deepEqual(parsePortList(' 443 , 80,80, 79-81 '), [79, 80, 81, 443]);
  assert.deepEqual(parsePortList('65535'), [65535]);
  assert.equal(parsePortList('1-65535').length, 65535);
  for (const [text, message] of [
    ['0', /port 0 cannot be scanned/],
    ['0-10', /port 0 cannot be scanned/],
    ['', /empty entry/],
    ['22,', /empty entry/],
    ['22;80', /'22;80' is not a port or a range/],
    ['-5', /is not a port or a range/],
    ['65536', /port 65536 is out of range/],
    ['9-3', /runs backwards; write 3-9/],
  ]) {
    assert.throws(() => parsePortList(text), (err) => err instanceof UsageError && message.test(err.message), text);
  }
});

test('port ranges for port free', () => {
  assert.deepEqual(parsePortRange('20000-30000'), { from: 20000, to: 30000 });
  assert.deepEqual(parsePortRange('8080'), { from: 8080, to: 8080 });
  assert.throws(() => parsePortRange('0-10'), /ports run from 1 to 65535/);
  assert.throws(() => parsePortRange('a-b'), /must be a range of ports such as 20000-30000/);
});

test('service names come from the well-known table only', () => {
  assert.equal(serviceName(22), 'ssh');
  assert.equal(serviceName(443), 'https');
  assert.equal(serviceName(53), 'domain');
  assert.equal(serviceName(1023), undefined);
  assert.equal(serviceName(8080), undefined);
});

test('probes and scans against loopback: open and closed, concurrency bounded', async (t) => {
  let active = 0;
  let peak = 0;
  // holds each connection a moment, so overlapping probes would show
  const server = net.createServer((s) => {
    peak = Math.max(peak, ++active);
    s.on('close', () => active--);
    setTimeout(() => s.destroy(), 15);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const open = server.address().port;
  const probe = await probeTcp('127.0.0.1', open, 1000);
  assert.equal(probe.state, 'open');
  assert.ok(probe.ms > 0 && probe.ms < 1000);
  await new Promise((r) => setTimeout(r, 30));
  peak = 0;
  const held = await scanPorts({ address: '127.0.0.1', ports: Array(30).fill(open), concurrency: 7, timeoutMs: 1000 });
  assert.equal(held.length, 30);
  assert.ok(peak >= 2 && peak <= 7, `peak ${peak}`);

  const ports = [open, ...Array.from({ length: 60 }, (_, i) => 20500 + i)];
  const results = await scanPorts({ address: '127.0.0.1', ports, concurrency: 7, timeoutMs: 1000 });
  assert.equal(results.length, 61);
  assert.deepEqual(results.map((r) => r.port), [...ports].sort((a, b) => a - b));
  assert.equal(results.find((r) => r.port === open).state, 'open');
  assert.ok(results.filter((r) => r.state === 'closed').length >= 55);
  await assert.rejects(scanPorts({ address: 'localhost', ports: [1] }), /must be an IP address/);
  await assert.rejects(scanPorts({ address: '127.0.0.1', ports: [1], concurrency: 0 }), { field: 'concurrency', message: "concurrency must be a whole number from 1 to 1000, got '0'" });
});

test('a scan stops when its signal aborts', async () => {
  const abort = new AbortController();
  let seen = 0;
  const results = await scanPorts({
    address: '127.0.0.1', ports: Array.from({ length: 500 }, (_, i) => 21500 + i), concurrency: 2,
    signal: abort.signal,
    onResult: () => {
      if (++seen === 10) abort.abort();
    },
  });
  assert.ok(results.length >= 10 && results.length < 500, `${results.length} results`);
});

test("tcping statistics are ping's: min/avg/max and mdev as the standard deviation", () => {
  const s = computePingStats([1, 2, 3], 4, 3000);
  assert.equal(s.probes, 4);
  assert.equal(s.connected, 3);
  assert.equal(s.lossPercent, 25);
  assert.equal(s.minMs, 1);
  assert.equal(s.avgMs, 2);
  assert.equal(s.maxMs, 3);
  assert.ok(Math.abs(s.mdevMs - Math.sqrt(2 / 3)) < 1e-9);
  const none = computePingStats([], 2, 10);
  assert.deepEqual([none.lossPercent, none.minMs, none.avgMs, none.mdevMs], [100, 0, 0, 0]);
});

test('pingTcp probes count times, and stop() ends it early with the statistics so far', async (t) => {
  const server = net.createServer((s) => s.destroy());
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = server.address().port;
  const probes = [];
  const stats = await pingTcp({ address: '127.0.0.1', port, count: 3, intervalMs: 10 }, (p) => probes.push(p)).done;
  assert.deepEqual(probes.map((p) => [p.seq, p.state]), [[1, 'open'], [2, 'open'], [3, 'open']]);
  assert.equal(stats.connected, 3);
  assert.equal(stats.lossPercent, 0);
  const endless = pingTcp({ address: '127.0.0.1', port, intervalMs: 10 }, (p) => p.seq === 4 && endless.stop());
  const s = await endless.done;
  assert.equal(s.probes, 4);
  assert.throws(() => pingTcp({ address: '127.0.0.1', port, count: 0 }), { field: 'count', message: "count must be a whole number 1 or more, got '0'" });
  assert.throws(() => pingTcp({ address: '127.0.0.1', port, intervalMs: -1 }), { field: 'intervalMs', message: "intervalMs must be a whole number 0 or more, got '-1'" });
});

test('interfaces: loopback is there, internal, with CIDR addresses', () => {
  const list = listInterfaces();
  const lo = list.find((i) => i.internal && i.addresses.some((a) => a.address === '127.0.0.1'));
  assert.ok(lo, JSON.stringify(list));
  const v4 = lo.addresses.find((a) => a.address === '127.0.0.1');
  assert.equal(v4.cidr, '127.0.0.1/8');
  assert.equal(v4.prefix, 8);
  assert.equal(v4.scope, 'loopback');
  for (const iface of list) for (const a of iface.addresses) assert.match(a.cidr, /\/\d{1,3}$/);
  assert.equal(addressScope('192.168.1.20', 4), 'private');
  assert.equal(addressScope('fe80::1', 6), 'link-local');
  assert.equal(addressScope('fd00::2', 6), 'private');
  assert.equal(addressScope('8.8.8.8', 4), 'global');
});

test('checkPort from the library: in use by this process', async (t) => {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const r = await checkPort(server.address().port);
  assert.equal(r.state, 'in-use');
  assert.equal(r.holders[0].pid, process.pid);
  assert.equal(r.connections.LISTEN, 1);
});
