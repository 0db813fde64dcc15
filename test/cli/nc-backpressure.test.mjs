// A client that never reads costs tcp listen no memory: --exec stops reading the program's output and --every skips its ticks while the client's buffer is full.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnCli, waitFor } from '../helpers/index.mjs';
import { procStats } from '../helpers/process.mjs';

/** Connects and reads nothing until told: the kernel's buffers fill, then the server's. */
async function stuckClient(t, port) {
  const s = net.connect(port, '127.0.0.1');
  t.after(() => s.destroy());
  s.pause();
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  return s;
}

/**
 * Holds a client that never reads for `ms`, watching the server's memory: it must not grow by
 * more than 64 MB (an unbounded queue would pass 16 MiB in well under a second and be cut as a
 * slow reader), and the client must still be connected. Then the client reads and `expect` says
 * what it got was right.
 */
async function holdStuck(t, server, port, ms, expect) {
  await sleep(300);
  const before = procStats(server.child.pid).rssMb;
  const client = await stuckClient(t, port);
  await sleep(ms);
  const after = procStats(server.child.pid);
  assert.ok(after.rssMb - before < 64, `RSS grew from ${before.toFixed(1)} MB to ${after.rssMb.toFixed(1)} MB with a client that does not read`);
  assert.ok(!server.events.some((e) => e.event === 'close' || (e.event === 'error' && /slow reader|does not read/.test(e.message))), 'the client was neither cut nor closed');
  let got = Buffer.alloc(0);
  client.on('data', (b) => (got = got.length < 1_000_000 ? Buffer.concat([got, b]) : got));
  client.resume();
  await waitFor(() => got.length >= 1_000_000, { what: 'the client, reading at last, to get a megabyte', detail: () => `${got.length} bytes` });
  expect(got);
}

test('tcp listen --exec: a program that writes for ever to a client that never reads is held still, not buffered', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--exec', 'yes sockit', '--json']);
  const port = await server.port();
  await holdStuck(t, server, port, 3000, (got) => assert.match(got.subarray(0, 999_999).toString(), /^(sockit\n)+s?o?c?k?i?t?$/));
});

test('tcp listen --every: ticks skip a client still holding the last one, so it is never cut as a slow reader', async (t) => {
  const line = 'x'.repeat(60_000) + '\\n';
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--every', '2', '--send', line, '--json', '--quiet']);
  const port = await server.port();
  await holdStuck(t, server, port, 3000, (got) => {
    // whole ticks only: every line is the 60,000 x's
    const lines = got.toString().split('\n');
    for (const l of lines.slice(0, -1)) assert.equal(l.length, 60_000);
  });
});
