// The per-page queue: batches, bounds, sampling and drop markers in place, and sending only a few batches ahead of acks.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { PageQueue, approxSize } from '../../dist/bridge/page-queue.js';

// room enough that the tests of batching never reach the sampling
const roomy = { maxQueuedEvents: 100, maxQueuedBytes: 100_000, maxBatchEvents: 4, maxBatchBytes: 1_000_000, maxInFlight: 2, maxInFlightBytes: 1_000_000 };
const limits = { ...roomy, maxQueuedEvents: 10, maxQueuedBytes: 10_000 };
const data = (session, i) => () => ({ event: 'data', ts: i, session, id: 1, peer: 'p', n: i, bytes: 1, data: 'AA==' });
const conn = (session, i) => () => ({ event: 'connect', ts: i, session, id: i, peer: 'p', local: 'l' });

/** Everything the queue sends, acknowledging each batch. */
function drain(q) {
  const all = [];
  for (let b = q.take(); b; b = q.take()) {
    all.push(...b.events);
    q.ack(b.seq);
  }
  return all;
}

const shown = (events) => events.map((e) => (e.event === 'dropped' ? `dropped ${e.count}` : e.n));

test('events go out in batches, in order, with sequence numbers', () => {
  const q = new PageQueue(roomy);
  for (let i = 1; i <= 6; i++) q.offer('s1', false, 10, data('s1', i));
  const a = q.take();
  assert.equal(a.seq, 1);
  assert.deepEqual(a.events.map((e) => e.n), [1, 2, 3, 4]);
  const b = q.take();
  assert.equal(b.seq, 2);
  assert.deepEqual(b.events.map((e) => e.n), [5, 6]);
  assert.equal(q.take(), undefined);
});

test('no more than maxInFlight batches, nor maxInFlightBytes, are sent before the page acknowledges', () => {
  const q = new PageQueue(roomy);
  for (let i = 1; i <= 10; i++) q.offer('s1', false, 10, data('s1', i));
  assert.ok(q.take());
  assert.ok(q.take());
  assert.equal(q.take(), undefined, 'two batches in flight: wait');
  q.ack(1);
  assert.equal(q.take().seq, 3);
  q.ack(99); // an ack from the future is ignored
  assert.equal(q.inFlight, 2);

  const small = new PageQueue({ ...roomy, maxInFlight: 100, maxInFlightBytes: 800 });
  for (let i = 1; i <= 10; i++) small.offer('s1', false, 120, data('s1', i));
  assert.ok(small.take());
  assert.ok(small.take());
  assert.equal(small.take(), undefined, 'two batches of 4 events of 120 bytes pass 800 bytes: wait');
  assert.equal(small.inFlightBytes, 8 * 120, 'the window counts the batches as sent, at their given sizes');
  small.ack(2);
  assert.equal(small.inFlightBytes, 0);
  assert.ok(small.take());
});

test('events wait for acks only once the window is full: an ack then sends, otherwise the timer gathers a fuller batch', () => {
  const q = new PageQueue(roomy);
  assert.equal(q.waitingForAcks, false, 'empty');
  q.offer('s1', false, 10, data('s1', 1));
  assert.equal(q.waitingForAcks, false, 'room in the window: the timer sends it');
  q.take();
  q.offer('s1', false, 10, data('s1', 2));
  q.take();
  assert.equal(q.waitingForAcks, false, 'two in flight, nothing queued');
  q.offer('s1', false, 10, data('s1', 3));
  assert.equal(q.waitingForAcks, true, 'queued behind a full window');
  q.ack(1);
  assert.equal(q.waitingForAcks, false);
  assert.deepEqual(q.take().events.map((e) => e.n), [3]);
});

test('the size of a JSON event is estimated from its fields', () => {
  const text = { event: 'data', ts: 1, session: 's', id: 1, peer: '127.0.0.1:5', n: 1, bytes: 5, text: 'hello' };
  assert.ok(approxSize(text) > 100 && approxSize(text) < 150);
  assert.ok(approxSize({ ...text, data: 'A'.repeat(1000) }) > 1100);
  assert.equal(approxSize({ event: 'connect', ts: 1, session: 's', id: 1, peer: 'p', local: 'l' }), 200);
});

test('a page falling behind is sampled: all messages to half full, then one in 4, one in 16, none once full; one marker counts each gap', () => {
  const q = new PageQueue({ ...limits, maxQueuedEvents: 1000, maxQueuedBytes: 1e9 });
  let built = 0;
  for (let i = 1; i <= 3000; i++) {
    q.offer('s1', false, 10, () => {
      built++;
      return data('s1', i)();
    });
  }
  // 500 kept whole; one in 4 while a quarter more fills (about 250 of 1,000 offered); one in 16 up to full
  const kept = q.length - 1;
  assert.equal(built, kept, 'dropped messages are never built');
  assert.ok(kept > 500 + 200 && kept < 1000, `sampled, not cut at half: ${kept} kept of 3,000`);
  assert.equal(q.dropped, 3000 - kept);
  const all = drain(q);
  const markers = all.filter((e) => e.event === 'dropped');
  assert.equal(markers.reduce((n, m) => n + m.count, 0), 3000 - kept, 'the markers count every message left out');
  assert.deepEqual(all.slice(0, 500).map((e) => e.n), Array.from({ length: 500 }, (_, i) => i + 1), 'the first half went whole');
  // while sampling, the kept messages come in order, with gaps between them
  const ns = all.filter((e) => e.event === 'data').map((e) => e.n);
  assert.ok(ns.every((n, i) => i === 0 || n > ns[i - 1]), 'in order');
  assert.ok(ns.slice(500).some((n, i, a) => i > 0 && n - a[i - 1] === 4), 'one in 4 at first');
  assert.ok(ns.slice(500).some((n, i, a) => i > 0 && n - a[i - 1] === 16), 'one in 16 later');
});

test('a full queue drops new data, counts it, and leaves a marker where the gap is', () => {
  const q = new PageQueue({ ...limits, maxQueuedEvents: 4 });
  for (let i = 1; i <= 25; i++) q.offer('s1', false, 10, data('s1', i));
  const all = drain(q);
  const dropped = all.filter((e) => e.event === 'dropped');
  assert.equal(q.dropped, 25 - all.filter((e) => e.event === 'data').length);
  assert.equal(dropped.reduce((n, m) => n + m.count, 0), q.dropped);
  assert.deepEqual(all.slice(0, 2).map((e) => e.n), [1, 2], 'up to half full, everything');
  assert.ok(dropped.length >= 1 && dropped.every((m) => m.session === 's1'));
});

test('the byte bound is exact: an event that fits is kept, one byte more is dropped', () => {
  // lifecycle events, which are never sampled, have twice the room: 20,000 bytes here
  const q = new PageQueue(limits);
  assert.equal(q.offer('s1', true, 8_000, conn('s1', 1)), true);
  assert.equal(q.queuedBytes, 8_000, 'what is queued is counted at its given size');
  assert.equal(q.offer('s1', true, 13_000, conn('s1', 2)), false, 'over the byte bound');
  // the drop left a 64-byte marker; the room left is counted to the byte
  const room = 2 * limits.maxQueuedBytes - q.queuedBytes;
  assert.equal(q.offer('s1', true, room + 1, conn('s1', 3)), false, 'one byte over');
  assert.equal(q.offer('s1', true, room, conn('s1', 4)), true, 'exactly full');
  assert.equal(q.dropped, 2);
  assert.deepEqual(drain(q).map((e) => (e.event === 'dropped' ? `dropped ${e.count}` : e.ts)), [1, 'dropped 2', 4]);
  assert.equal(q.queuedBytes, 0, 'taking them returns their bytes');
});

test('lifecycle events get twice the room of data and are never sampled: 20 events here, then they are dropped and counted too', () => {
  const q = new PageQueue(limits);
  let keptData = 0;
  for (let i = 1; i <= 30; i++) keptData += q.offer('s1', false, 10, data('s1', i)) ? 1 : 0;
  assert.ok(keptData >= 5 && keptData < 10, `data is sampled from half full and stops at full: ${keptData}`);
  const before = q.length;
  let kept = 0;
  for (let i = 0; i < 25; i++) kept += q.offer('s2', true, 10, conn('s2', i)) ? 1 : 0;
  assert.equal(kept, 20 - before, 'connects are all kept up to 2 x 10 events in the queue');
  assert.equal(q.length, 21, '20 events and the marker of s2');
  const markers = drain(q).filter((e) => e.event === 'dropped').map((e) => e.session);
  assert.ok(markers.includes('s1') && markers.includes('s2'));
});

test('a batch stops before passing maxBatchBytes, yet an event larger than that still goes, alone', () => {
  const q = new PageQueue({ ...roomy, maxBatchBytes: 300, maxInFlight: 100 });
  for (let i = 1; i <= 5; i++) q.offer('s1', false, 120, data('s1', i));
  q.offer('s1', false, 1000, () => ({ ...data('s1', 6)(), data: 'A'.repeat(1000) }));
  q.offer('s1', false, 120, data('s1', 7));
  const batches = [];
  for (let b = q.take(); b; b = q.take()) batches.push(b.events.map((e) => e.n));
  assert.deepEqual(batches, [[1, 2], [3, 4], [5], [6], [7]]);
});

test('markers are per session, and a marker that went stops counting', () => {
  const q = new PageQueue({ ...limits, maxQueuedEvents: 4 });
  q.offer('a', false, 1, data('a', 1));
  q.offer('a', false, 1, data('a', 2));
  q.offer('a', false, 1, data('a', 3)); // half full: sampled out
  q.offer('b', false, 1, data('b', 1)); // sampled out
  q.offer('a', false, 1, data('a', 4)); // full
  const batch = q.take();
  assert.deepEqual(shown(batch.events), [1, 2, 'dropped 2', 'dropped 1']);
  assert.deepEqual(batch.events.filter((e) => e.event === 'dropped').map((m) => m.session), ['a', 'b']);
  q.ack(batch.seq);
  // emptied: the next message is kept, and the next drop would get a marker of its own
  assert.equal(q.offer('a', false, 1, data('a', 5)), true);
  assert.deepEqual(shown(drain(q)), [5]);
});
