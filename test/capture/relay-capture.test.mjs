// Captures of what used to pass beside the tap: a proxy's relayed connections (the client's side, after the faults) and tcp connect --file's bytes.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureRecords } from '../../dist/index.js';
import { requirePeer, run, runCli, runPeer, spawnCli, startPeer, tmpDir } from '../helpers/index.mjs';

async function records(file) {
  const out = [];
  for await (const r of readCaptureRecords(file)) out.push(r);
  return out;
}

/** The bytes of a capture's data records in one direction, joined. */
const bytesOf = (recs, dir, conn = 1) => Buffer.concat(recs.filter((r) => r.event === 'data' && r.dir === dir && r.conn === conn).map((r) => Buffer.from(r.b64, 'base64')));

test('proxy --capture records each relayed connection as its client saw it, and tshark follows it', async (t) => {
  const target = await startPeer(t, 'tcp_echo_asyncio.py', [0]);
  const dir = tmpDir(t);
  const capture = join(dir, 'relay.ndjson');
  const proxy = spawnCli(t, ['proxy', '0', `127.0.0.1:${target.port}`, '-H', '127.0.0.1', '--json', '--capture', capture]);
  const port = await proxy.port();
  const client = await runPeer('tcp_ask_client.py', ['127.0.0.1', port, 'text:hello\\n', 'text:world\\n']);
  assert.match(client.stdout, /reply 68 65 6c 6c 6f 0a\nreply 77 6f 72 6c 64 0a/, client.stderr);
  await proxy.waitEvent((e) => e.event === 'close', undefined, 'the relayed connection closing');
  assert.equal((await proxy.stop('SIGINT')).code, 0);
  assert.match(proxy.stderr, /captured \d+ records, 24 B of data/);

  const recs = await records(capture);
  const connect = recs.find((r) => r.event === 'connect');
  assert.equal(connect.role, 'accepted');
  assert.equal(connect.conn, 1);
  assert.equal(bytesOf(recs, 'in').toString(), 'hello\nworld\n', 'what the client sent');
  assert.equal(bytesOf(recs, 'out').toString(), 'hello\nworld\n', 'what the target answered, as the client got it');
  const close = recs.find((r) => r.event === 'close');
  assert.equal(close.how, 'fin');

  if (!requirePeer(t, 'tshark')) return;
  const pcap = join(dir, 'relay.pcap');
  const r = await runCli(['export', capture, '--pcap', pcap]);
  assert.equal(r.code, 0, r.stderr);
  const follow = await run('tshark', ['-r', pcap, '-qz', 'follow,tcp,raw,0']);
  assert.match(follow.stdout, new RegExp(`Node 1: 127\\.0\\.0\\.1:${port}`));
  const turns = follow.stdout.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l)).map((l) => `${l.startsWith('\t') ? '<' : '>'}${Buffer.from(l.trim(), 'hex')}`);
  assert.deepEqual(turns, ['>hello\n', '<hello\n', '>world\n', '<world\n']);
});

test('a fault shows in the capture as the client felt it: a reset after 3 bytes down leaves 3 bytes and an RST', async (t) => {
  const target = await startPeer(t, 'tcp_echo_asyncio.py', [0]);
  const dir = tmpDir(t);
  const capture = join(dir, 'cut.ndjson');
  const proxy = spawnCli(t, ['proxy', '0', `127.0.0.1:${target.port}`, '-H', '127.0.0.1', '--json', '--down-reset-after', '3', '--capture', capture]);
  const port = await proxy.port();
  await runPeer('tcp_ask_client.py', ['127.0.0.1', port, 'text:hello\\n']);
  await proxy.waitEvent((e) => e.event === 'close', undefined, 'the cut connection closing');
  await proxy.stop('SIGINT');
  const recs = await records(capture);
  assert.equal(bytesOf(recs, 'in').toString(), 'hello\n');
  assert.equal(bytesOf(recs, 'out').toString(), 'hel', 'only what reached the client');
  assert.equal(recs.find((r) => r.event === 'close').how, 'rst');
});

test('tcp connect --file: the file passes the capture tap, byte for byte', async (t) => {
  const target = await startPeer(t, 'tcp_echo_asyncio.py', [0]);
  const dir = tmpDir(t);
  const file = join(dir, 'payload.bin');
  const payload = randomBytes(300 * 1024);
  writeFileSync(file, payload);
  const capture = join(dir, 'file.ndjson');
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(target.port), '--file', file, '--wait', '500', '--out', join(dir, 'back.bin'), '--capture', capture]);
  assert.equal(r.code, 0, r.stderr);
  const recs = await records(capture);
  assert.ok(bytesOf(recs, 'out').equals(payload), 'every byte of the file is in the capture, in order');
  assert.ok(bytesOf(recs, 'in').equals(payload), 'and the echo of it');
});
