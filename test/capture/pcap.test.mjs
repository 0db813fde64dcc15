// Captures exported to pcap and read by Debian's tshark: the right bytes in the right TCP stream, handshakes, FIN and RST, IPv6 and UDP, valid checksums.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { listenTcp, captureSession, exportPcap, encodeText } from '../../dist/index.js';
import { spawnCli, runCli, runPeer, run, tmpDir, requirePeer, exchange, within } from '../helpers/index.mjs';

const GREETING = '你好服务端,我是客户端小黑!';

/** tshark's output for `args` on a pcap; the "running as root" notice goes to stderr. */
async function tshark(file, args) {
  const r = await run('tshark', ['-r', file, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** The payloads `follow,<proto>,raw,<stream>` shows: [{ from: 'client'|'server', hex }]. */
async function follow(file, proto, stream = 0) {
  const out = await tshark(file, ['-qz', `follow,${proto},raw,${stream}`]);
  const nodes = [...out.matchAll(/^Node (\d): (.*)$/gm)].map((m) => m[2]);
  const turns = out.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l)).map((l) => ({ from: l.startsWith('\t') ? 'server' : 'client', hex: l.trim() }));
  return { nodes, turns };
}

test('the GBK lesson, captured by tcp listen --capture and exported: tshark follows the stream with the exact bytes', async (t) => {
  if (!requirePeer(t, 'tshark')) return;
  const dir = tmpDir(t);
  const capture = join(dir, 'gbk.ndjson');
  const pcap = join(dir, 'gbk.pcap');
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--encoding', 'gbk', '--reply', '收到:{data}', '--json', '--capture', capture]);
  const port = await server.port();
  const client = await runPeer('lesson_gbk_client.py', ['127.0.0.1', port]);
  assert.equal(client.stdout.trim(), `收到:${GREETING}`, client.stderr);
  await server.waitEvent((e) => e.event === 'close');
  assert.equal((await server.stop('SIGINT')).code, 0);
  assert.match(server.stderr, /captured 6 records, 57 B of data/);

  const r = await runCli(['export', capture, '--pcap', pcap]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /8 packets, 1 connection/);
  const { nodes, turns } = await follow(pcap, 'tcp');
  assert.match(nodes[0], /^127\.0\.0\.1:\d+$/);
  assert.equal(nodes[1], `127.0.0.1:${port}`);
  assert.deepEqual(turns, [
    { from: 'client', hex: encodeText(GREETING, 'gbk').toString('hex') },
    { from: 'server', hex: encodeText(`收到:${GREETING}`, 'gbk').toString('hex') },
  ]);
  // handshake, the two segments, FIN both ways; every checksum right
  const flags = (await tshark(pcap, ['-T', 'fields', '-e', 'tcp.flags.str'])).trim().split('\n').map((f) => f.replace(/[·\s]/g, ''));
  assert.deepEqual(flags, ['S', 'AS', 'A', 'AP', 'AP', 'AF', 'AF', 'A']);
  const checks = (await tshark(pcap, ['-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'tcp.checksum.status', '-e', 'ip.checksum.status'])).trim().split('\n');
  assert.deepEqual([...new Set(checks)], ['1\t1'], 'every TCP and IP checksum is good');
  // no sequence problems tshark would flag (lost segments, retransmissions, out of order)
  assert.equal((await tshark(pcap, ['-Y', 'tcp.analysis.flags'])).trim(), '');
});

test('a reset connection ends with RST; a later one is its own stream', async (t) => {
  if (!requirePeer(t, 'tshark')) return;
  const dir = tmpDir(t);
  const server = await listenTcp({ port: 0, host: '127.0.0.1', rules: ['boom => reset'], reply: 'ok:{data}' });
  t.after(() => server.close());
  const capture = captureSession(server, join(dir, 'c.ndjson.gz'));
  assert.equal((await exchange(server.port, 'hi', { expect: 'ok:hi' })).toString(), 'ok:hi');
  await exchange(server.port, 'boom').catch(() => {});
  await within(new Promise((r) => {
    const look = () => (server.stats.active === 0 && server.stats.connections === 2 ? r() : setTimeout(look, 20));
    look();
  }), { what: 'both connections to end' });
  await server.close();
  await capture.close();
  const stats = await exportPcap(join(dir, 'c.ndjson.gz'), join(dir, 'c.pcap'));
  assert.equal(stats.connections, 2);
  const pcap = join(dir, 'c.pcap');
  assert.deepEqual((await follow(pcap, 'tcp', 0)).turns.map((x) => Buffer.from(x.hex, 'hex').toString()), ['hi', 'ok:hi']);
  assert.deepEqual((await follow(pcap, 'tcp', 1)).turns.map((x) => Buffer.from(x.hex, 'hex').toString()), ['boom']);
  const last = (await tshark(pcap, ['-Y', 'tcp.stream == 1', '-T', 'fields', '-e', 'tcp.flags.reset'])).trim().split('\n').pop();
  assert.ok(last === 'True' || last === '1', `the last packet of stream 1 has RST set (tcp.flags.reset: ${last})`);
});

test('UDP over IPv6: each datagram a packet between the right ends', async (t) => {
  if (!requirePeer(t, 'tshark')) return;
  const dir = tmpDir(t);
  const capture = join(dir, 'udp.ndjson');
  const server = spawnCli(t, ['udp', 'listen', '0', '-H', '::1', '--reply', 'Hello, {data}!', '--json', '--capture', capture]);
  const port = await server.port();
  const r = await runPeer('udp_client.py', ['::1', port, 'Bob']);
  assert.equal(r.stdout, 'Hello, Bob!\n');
  await server.waitEvent((e) => e.event === 'send');
  assert.equal((await server.stop('SIGINT')).code, 0);
  const pcap = join(dir, 'udp.pcap');
  assert.equal((await runCli(['export', capture, '--pcap', pcap])).code, 0);
  const rows = (await tshark(pcap, ['-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'ipv6.src', '-e', 'udp.dstport', '-e', 'udp.payload', '-e', 'udp.checksum.status'])).trim().split('\n');
  assert.equal(rows.length, 2);
  const [q, a] = rows.map((row) => row.split('\t'));
  assert.deepEqual([q[0], q[1], Buffer.from(q[2], 'hex').toString(), q[3]], ['::1', String(port), 'Bob', '1']);
  assert.deepEqual([Buffer.from(a[2], 'hex').toString(), a[3]], ['Hello, Bob!', '1']);
});

test('export: a missing capture, a file that is not one, no output asked for', async (t) => {
  const dir = tmpDir(t);
  const missing = await runCli(['export', join(dir, 'nope.ndjson'), '--pcap', join(dir, 'x.pcap')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.ndjson: cannot read it: no such file/);
  const notOne = join(dir, 'notes.txt');
  (await import('node:fs')).writeFileSync(notOne, 'hello\n');
  const bad = await runCli(['export', notOne, '--pcap', join(dir, 'x.pcap')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /notes\.txt: line 1 is not JSON; is this a sockit capture\?/);
  const none = await runCli(['export', notOne]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--pcap/);
});
