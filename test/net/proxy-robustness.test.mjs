// The relay under abuse, as a separate process: connect/disconnect cycles leave no descriptors or memory behind; clients and targets that reset mid-write, a silent target and a down target each leave it serving the next normal client.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { spawnCli, waitFor } from '../helpers/index.mjs';
import { collectGarbage, procStats, waitStats } from '../helpers/process.mjs';
import { connectTo, cycles, echoesThrough, resetMidWrite, switchableTarget } from '../helpers/relay-stress.mjs';

// npm run bench:proxy runs 10,000; a few thousand here keep the suite quick and still show a leak
const CYCLES = Number(process.env.SOCKIT_PROXY_CYCLES) || 2000;

/** `sockit proxy --quiet --json` in front of `target`, with its inspector on loopback to ask for full collections. */
async function quietProxy(t, target) {
  const p = spawnCli(t, ['proxy', '0', `127.0.0.1:${target.port}`, '-H', '127.0.0.1', '--quiet', '--json', '--connect-timeout', '2000'], {
    env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' },
  });
  const port = await p.port();
  return { p, port, pid: p.child.pid };
}

/** Descriptors and memory once everything has closed and the collector has run. */
async function settled(proxy, fds) {
  await collectGarbage(proxy.p.stderr);
  return fds === undefined ? procStats(proxy.pid) : waitStats(proxy.pid, (s) => s.fds <= fds, `the proxy's descriptors back to ${fds}`);
}

test('connect/disconnect cycles leave no descriptors and no memory behind', async (t) => {
  const target = await switchableTarget();
  t.after(() => target.close());
  const proxy = await quietProxy(t, target);
  // warm up: the first connections allocate what every later one reuses
  const warm = await cycles(proxy.port, 300);
  assert.equal(warm.failed, 0, `warm-up: ${warm.firstError?.message}`);
  const before = await settled(proxy);
  const run = await cycles(proxy.port, CYCLES);
  assert.equal(run.failed, 0, `${run.failed} of ${CYCLES} cycles failed; first: ${run.firstError?.message}`);
  assert.equal(run.ok, CYCLES);
  const after = await settled(proxy, before.fds);
  t.diagnostic(`${CYCLES} cycles in ${(run.ms / 1000).toFixed(1)} s; fds ${before.fds} → ${after.fds}; RSS ${before.rssMb.toFixed(1)} → ${after.rssMb.toFixed(1)} MB`);
  assert.ok(after.fds <= before.fds, `descriptors grew from ${before.fds} to ${after.fds}`);
  assert.ok(after.rssMb - before.rssMb < 12, `RSS grew by ${(after.rssMb - before.rssMb).toFixed(1)} MB over ${CYCLES} cycles`);
  // the last close events may still be on their way through the pipe when the descriptors are back
  const closes = () => proxy.p.events.filter((e) => e.event === 'close').length;
  await waitFor(() => closes() >= 300 + CYCLES || undefined, { what: `${300 + CYCLES} close events`, detail: () => `${closes()} so far` });
  assert.equal(closes(), 300 + CYCLES, 'every connection reported closed once');
});

test('clients that reset mid-write, a target that resets mid-write, a silent target and a down target: each time the next client gets through', async (t) => {
  const target = await switchableTarget();
  t.after(() => target.close());
  const proxy = await quietProxy(t, target);
  await echoesThrough(proxy.port);
  const base = await settled(proxy);

  // clients reset in the middle of a 4 MiB write
  await resetMidWrite(proxy.port, 20);
  await echoesThrough(proxy.port, 'after client resets\n');
  // each ended by its client (a reset that lands after the last byte was read can arrive as a FIN on a busy machine)
  await proxy.p.waitEvent(() => proxy.p.events.filter((e) => e.event === 'close' && e.closedBy === 'client').length >= 21, undefined, 'every resetting client seen closing');

  // the target resets while it is sending
  target.mode = 'reset';
  for (let i = 0; i < 10; i++) {
    const s = await connectTo(proxy.port);
    s.on('error', () => {});
    s.resume();
    await new Promise((resolve) => s.once('close', resolve));
  }
  await proxy.p.waitEvent((e) => e.event === 'close' && e.closedBy === 'target' && e.how === 'rst', undefined, 'a close reset by the target');
  target.mode = 'echo';
  await echoesThrough(proxy.port, 'after target resets\n');

  // a target that accepts and never answers holds one connection, not the proxy
  target.mode = 'silent';
  const hung = await connectTo(proxy.port);
  hung.on('error', () => {});
  hung.write('anyone there?\n');
  const peer = `127.0.0.1:${hung.localPort}`;
  const { id } = await proxy.p.waitEvent((e) => e.event === 'target' && e.peer === peer, undefined, 'the silent target reached');
  target.mode = 'echo';
  await echoesThrough(proxy.port, 'beside a hung connection\n');
  assert.ok(!proxy.p.events.some((e) => e.event === 'close' && e.id === id), 'the hung connection is still open');
  // a FIN would leave it half-open (the silent target never closes its side); a reset ends both
  hung.resetAndDestroy();
  await proxy.p.waitEvent((e) => e.event === 'close' && e.id === id, undefined, 'the hung connection reset by its client');

  // a target that is down: the client is closed with the reason, the proxy serves on once it is back
  await target.down();
  const refused = await connectTo(proxy.port);
  refused.on('error', () => {});
  refused.resume();
  await new Promise((resolve) => refused.once('close', resolve));
  const why = await proxy.p.waitEvent((e) => e.event === 'close' && e.how === 'refused', undefined, 'a close saying the target refused');
  assert.match(why.reason, /refused/);
  await target.up();
  await echoesThrough(proxy.port, 'after the target came back\n');

  const end = await settled(proxy, base.fds);
  assert.ok(end.fds <= base.fds, `descriptors grew from ${base.fds} to ${end.fds}`);
});
