// Relay faults measured on real sockets: delay and pace by the clock, splits, cuts and stalls by the bytes that pass, changes while running.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseFaultLine, faultPatch, applyFaultPatch, noFaults, describeFaults } from '../../dist/index.js';
import { collect, connect, echoTarget, eventMatching, proxyTo, target } from '../helpers/relay.mjs';
import { peerOutput, requirePeer, startPeer, waitFor, within } from '../helpers/index.mjs';

/** Round trips of one byte through an echo: each time from send to the echo's arrival. */
async function roundTrips(socket, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const back = new Promise((resolve) => socket.once('data', resolve));
    socket.write('x');
    await within(back, { what: `round trip ${i + 1}` });
    times.push(performance.now() - started);
  }
  return times;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('fault lines and flags read into patches: a delay for both directions counts the round trip', () => {
  assert.deepEqual(parseFaultLine('latency 300'), { kind: 'patch', patch: { up: { latencyMs: 150, jitterMs: 0 }, down: { latencyMs: 150, jitterMs: 0 } } });
  assert.deepEqual(parseFaultLine('up latency 200±20'), { kind: 'patch', patch: { up: { latencyMs: 200, jitterMs: 20 } } });
  assert.deepEqual(parseFaultLine('reset 4'), { kind: 'patch', patch: { up: { resetAfter: 4 }, down: { resetAfter: 4 } } });
  assert.deepEqual(parseFaultLine('down bandwidth 64k'), { kind: 'patch', patch: { down: { bandwidth: 65536 } } });
  assert.deepEqual(parseFaultLine('loss 10%'), { kind: 'patch', patch: { up: { loss: 0.1 }, down: { loss: 0.1 } } });
  assert.deepEqual(parseFaultLine('stall off'), { kind: 'patch', patch: { up: { stallAfter: 0 }, down: { stallAfter: 0 } } });
  assert.deepEqual(parseFaultLine('refuse 0.5'), { kind: 'patch', patch: { refuse: 0.5 } });
  assert.deepEqual(parseFaultLine('clear'), { kind: 'clear' });
  assert.deepEqual(parseFaultLine('show'), { kind: 'show' });
  assert.throws(() => parseFaultLine('latency soon'), /latency must be milliseconds/);
  assert.throws(() => parseFaultLine('up refuse 1'), /refuse applies to new connections/);
  assert.deepEqual(faultPatch('latency', '200+-20', 'down'), { down: { latencyMs: 200, jitterMs: 20 } });
  const f = applyFaultPatch(noFaults(), { up: { latencyMs: 100, chunkBytes: 3 }, refuse: 0.25 });
  assert.equal(describeFaults(applyFaultPatch(f, { up: { chunkBytes: 0 } })), 'up: latency 100 ms; down: none; refuse 25% of connections');
  assert.throws(() => applyFaultPatch(f, { down: { loss: 2 } }), /down\.loss must be a probability/);
  assert.throws(() => applyFaultPatch(f, { down: { sideways: 1 } }), /unknown fault 'sideways'/);
});

test('a 200 ms latency adds 200 ms to each round trip, never less', async (t) => {
  const echo = await echoTarget(t);
  const { proxy, port } = await proxyTo(t, echo.port);
  const c = await connect(t, port);
  const base = median(await roundTrips(c, 5));
  for (const patch of [{ up: { latencyMs: 200 } }, { down: { latencyMs: 200 } }, parseFaultLine('latency 200').patch]) {
    proxy.setFaults({ up: { latencyMs: 0 }, down: { latencyMs: 0 } });
    proxy.setFaults(patch);
    const times = await roundTrips(c, 7);
    for (const rtt of times) assert.ok(rtt >= 200, `a round trip took ${rtt.toFixed(1)} ms, under the 200 ms added (${JSON.stringify(patch)})`);
    const added = median(times) - base;
    // a loaded machine delays timers: the bound above is generous (a delay counted twice would
    // still break it), the one below strict
    assert.ok(added < 200 + 120, `median round trip ${median(times).toFixed(1)} ms (${times.map((x) => x.toFixed(0)).join(', ')}), base ${base.toFixed(1)} ms`);
  }
});

test('jitter varies the delay but keeps the order of the bytes', async (t) => {
  const echo = await echoTarget(t);
  const { port } = await proxyTo(t, echo.port, { faults: { up: { latencyMs: 60, jitterMs: 50 } }, seed: 7 });
  const c = await connect(t, port);
  const got = collect(c);
  const sent = [];
  for (let i = 0; i < 40; i++) {
    sent.push(`${i},`);
    c.write(`${i},`);
    await new Promise((r) => setTimeout(r, 2));
  }
  const text = (await got.until(sent.join('').length, 10_000)).toString();
  assert.equal(text, sent.join(''));
});

test('a 64k bandwidth moves 192 KiB in 3 s ± 10%', async (t) => {
  const size = 192 * 1024;
  const rate = 64 * 1024;
  const tgt = await target(t, (s) => s.end(Buffer.alloc(size, 0x61)));
  const { port } = await proxyTo(t, tgt.port, { faults: { down: { bandwidth: rate } } });
  const c = await connect(t, port);
  // timed from the first piece to the last, so connecting and start-up do not count
  let first;
  let received = 0;
  c.on('data', (b) => {
    first ??= { at: performance.now(), bytes: b.length };
    received += b.length;
  });
  await collect(c).until(size, 20_000);
  const seconds = (performance.now() - first.at) / 1000;
  const expected = (size - first.bytes) / rate;
  assert.equal(received, size);
  assert.ok(seconds >= expected * 0.9 && seconds <= expected * 1.1, `192 KiB at 64 KiB/s took ${seconds.toFixed(2)} s, expected ${expected.toFixed(2)} s`);
});

test('chunk: every write leaves in pieces of at most 3 bytes, read separately by the peer', async (t) => {
  const tgt = await target(t, (s) => s.write('abcdefghijklmnopq'));
  const { port } = await proxyTo(t, tgt.port, { faults: { down: { chunkBytes: 3 } } });
  const c = await connect(t, port);
  const reads = [];
  c.on('data', (b) => reads.push(b.length));
  const got = collect(c);
  assert.equal((await got.until(17)).toString(), 'abcdefghijklmnopq');
  assert.ok(reads.length > 1, `one read of ${reads[0]} bytes: the pieces were not separate`);
  // a read holds whole pieces: every boundary falls on a multiple of 3
  let offset = 0;
  for (const n of reads.slice(0, -1)) {
    offset += n;
    assert.equal(offset % 3, 0, `reads ${reads.join(', ')}`);
  }
});

test('drop-after: exactly that many bytes, then FIN to both ends', async (t) => {
  let targetGot;
  const tgt = await target(t, (s) => {
    targetGot = collect(s);
    s.write('hello world');
  });
  const { events, port } = await proxyTo(t, tgt.port, { faults: { down: { dropAfter: 5 } } });
  const c = await connect(t, port);
  const got = collect(c);
  assert.equal((await got.end()).toString(), 'hello');
  assert.equal(got.error, undefined, 'a FIN, not a reset');
  await targetGot.end();
  assert.equal(targetGot.error, undefined);
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.closedBy, 'proxy');
  assert.equal(close.how, 'fin');
  assert.match(close.reason, /after 5 bytes down \(drop-after fault\)/);
});

// The target is a python3 reader: Node's own reader reports bytes that arrive together with a
// reset as those bytes and then a plain end, so it cannot tell a reset from a FIN here.
test('reset-after: exactly that many bytes reach the target, then RST to both ends', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const peer = await startPeer(t, 'tcp_read_until_close.py');
  const { events, port } = await proxyTo(t, peer.port, { faults: { up: { resetAfter: 4 } } });
  const c = await connect(t, port);
  const got = collect(c);
  c.write('PING and more');
  await got.end();
  assert.equal(got.error?.code, 'ECONNRESET');
  const line = await peerOutput(peer, /total .*\n/);
  assert.match(line, /total b'PING' reset\n/, `the target read exactly PING, then a reset (it printed: ${line})`);
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.how, 'rst');
  assert.match(close.reason, /reset both ends \(RST\) after 4 bytes up/);
});

test('stall-after: forwarding stops, the connection stays; lifting the stall lets the rest through', async (t) => {
  const tgt = await target(t, (s) => s.write('hello world'));
  const { proxy, port } = await proxyTo(t, tgt.port, { faults: { down: { stallAfter: 5 } } });
  const c = await connect(t, port);
  const got = collect(c);
  await got.until(5);
  await waitFor(() => proxy.connections()[0]?.stalled?.includes('down'), { what: 'the proxy to report the stall' });
  assert.equal(got.bytes.toString(), 'hello', 'nothing past the stall');
  assert.equal(c.destroyed, false);
  proxy.setFaults({ down: { stallAfter: 0 } });
  assert.equal((await got.until(11)).toString(), 'hello world');
});

test('refuse: a refused connection is reset at once; a seed repeats the same choices', async (t) => {
  const echo = await echoTarget(t);
  const outcomes = async (seed) => {
    const { port, events } = await proxyTo(t, echo.port, { faults: { refuse: 0.5 }, seed });
    const results = [];
    for (let i = 0; i < 8; i++) {
      const s = net.connect(port, '127.0.0.1', () => s.end());
      const got = collect(s);
      await got.end().catch(() => {});
      results.push(got.error?.code ?? 'fin');
      await eventMatching(events, (e) => e.event === 'close' && e.id === i + 1, 5000, `close #${i + 1}`);
    }
    return { results, events };
  };
  // with nothing sent, a connection that passes is closed by the test's own end: FIN
  const a = await outcomes(42);
  const b = await outcomes(42);
  assert.deepEqual(a.results, b.results);
  assert.ok(a.results.includes('ECONNRESET'));
  const refused = a.events.filter((e) => e.event === 'close' && /refuse fault/.test(e.reason));
  assert.equal(refused.length, a.results.filter((r) => r === 'ECONNRESET').length);
});

test('faults change while a connection is open, and the change is announced', async (t) => {
  const echo = await echoTarget(t);
  const { proxy, events, port } = await proxyTo(t, echo.port);
  const c = await connect(t, port);
  await roundTrips(c, 1);
  const now = proxy.setFaults({ down: { latencyMs: 150 } });
  assert.deepEqual(now.down, { latencyMs: 150 });
  const f = await eventMatching(events, (e) => e.event === 'faults', 'the faults event');
  assert.deepEqual(f.down, { latencyMs: 150 });
  const [rtt] = await roundTrips(c, 1);
  assert.ok(rtt >= 150, `${rtt} ms`);
});

test('a delayed direction still bounds memory: the sender is held back', async (t) => {
  const tgt = await target(t, () => {});
  const { port } = await proxyTo(t, tgt.port, { faults: { up: { bandwidth: 256 * 1024 } } });
  const c = await connect(t, port);
  const block = Buffer.alloc(64 * 1024);
  let written = 0;
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline) {
    written += block.length;
    if (!c.write(block)) {
      const drained = await Promise.race([new Promise((r) => c.once('drain', () => r(true))), new Promise((r) => setTimeout(() => r(false), 300))]);
      if (!drained) break;
    }
  }
  assert.ok(written < 24 * 1024 * 1024, `the client could write ${written} bytes into a 256 KiB/s direction`);
});
