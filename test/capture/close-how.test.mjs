// How a connection ended travels as a field (`how`), so a capture and its pcap say FIN or RST from what happened, not from the reason's words.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readCaptureRecords } from '../../dist/index.js';
import { requirePeer, run, runCli, runPeer, spawnCli, tmpDir } from '../helpers/index.mjs';

test("a quit word 'reset' closes with a FIN, and the capture and the pcap say FIN", async (t) => {
  const dir = tmpDir(t);
  const capture = join(dir, 'quit.ndjson');
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--quit', 'reset', '--json', '--capture', capture]);
  const port = await server.port();
  await runPeer('tcp_ask_client.py', ['127.0.0.1', port, 'text:reset']);
  const close = await server.waitEvent((e) => e.event === 'close', undefined, 'the close event');
  assert.equal(close.reason, "quit word 'reset'");
  assert.equal(close.how, 'fin');
  await server.stop('SIGINT');
  const records = [];
  for await (const r of readCaptureRecords(capture)) records.push(r);
  assert.equal(records.find((r) => r.event === 'close').how, 'fin');

  if (!requirePeer(t, 'tshark')) return;
  const pcap = join(dir, 'quit.pcap');
  assert.equal((await runCli(['export', capture, '--pcap', pcap])).code, 0);
  const flags = (await run('tshark', ['-r', pcap, '-T', 'fields', '-e', 'tcp.flags.str'])).stdout;
  assert.match(flags, /F/);
  assert.doesNotMatch(flags, /R/, 'no reset in the pcap');
});

test('a peer that resets is told as rst, whatever the reason says', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--json']);
  const port = await server.port();
  const r = await runPeer('tcp_reset_client.py', ['127.0.0.1', port]);
  assert.equal(r.stdout.trim(), 'reset', r.stderr);
  const close = await server.waitEvent((e) => e.event === 'close', undefined, 'the close event');
  assert.equal(close.how, 'rst');
  await server.stop('SIGINT');
});
