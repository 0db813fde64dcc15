// The per-page queue: batches, bounds, drop markers in place, and sending only a few batches ahead of acks.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { PageQueue, approxSize } from '../../dist/bridge/page-queue.js';

const limits = { maxQueuedEvents: 10, maxQueuedBytes: 10_000, maxBatchEvents: 4, maxBatchBytes: 1_000_000, maxInFlight: 2, maxInFlightBytes: 1_000_000 };
const data = (session, i) => () => ({ event: 'data', ts: i, session, id: 1, peer: 'p', n: i, bytes: 1, data: 'AA==' });
const conn = (session, i) => () => ({ event: 'connect', ts: i, session, id: i, peer: 'p', local: 'l' });

test('events go out in batches, in order, with sequence numbers', () => {
  const q = new PageQueue(limits);
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
  const q = new PageQueue(limits);
  for (let i = 1; i <= 10; i++) q.offer('s1', false, 10, data('s1', i));
  assert.ok(q.take());
  assert.ok(q.take());
  assert.equal(q.take(), undefined, 'two batches in flight: wait');
  q.ack(1);
  assert.equal(q.take().seq, 3);
  q.ack(99); // an ack from the future is ignored
  assert.equal(q.inFlight, 2);

  const small = new PageQueue({ ...limits, maxInFlight: 100, maxInFlightBytes: 800 });
  for (let i = 1; i <= 10; i++) small.offer('s1', false, 10, data('s1', i));
  assert.ok(small.take());
  assert.ok(small.take());
  assert.equal(small.take(), undefined, 'two batches of 4 events pass 800 bytes: wait');
  assert.equal(small.inFlightBytes, 8 * approxSize(data('s1', 1)()), 'the window counts the batches as sent');
  small.ack(2);
  assert.equal(small.inFlightBytes, 0);
  assert.ok(small.take());
});

test('the size of an event is estimated from its fields', () => {
  const text = { event: 'data', ts: 1, session: 's', id: 1, peer: '127.0.0.1:5', n: 1, bytes: 5, text: 'hello' };
  assert.ok(approxSize(text) > 100 && approxSize(text) < 150);
  assert.ok(approxSize({ ...text, data: 'A'.repeat(1000) }) > 1100);
  assert.equal(approxSize({ event: 'connect', ts: 1, session: 's', id: 1, peer: 'p', local: 'l' }), 200);
});

test('a full queue drops new data, counts it, and leaves one marker where the gap is', () => {
  const q = new PageQueue(limits);
  let built = 0;
  for (let i = 1; i <= 25; i++) {
    q.offer('s1', false, 10, () => {
      built++;
      return data('s1', i)();
    });
  }
  assert.equal(built, 10, 'dropped events are never built');
  assert.equal(q.dropped, 15);
  const all = [];
  let b;
  while ((b = q.take())) {
    all.push(...b.events);
    q.ack(b.seq);
  }
  assert.equal(all.length, 11);
  assert.deepEqual(all.slice(0, 10).map((e) => e.n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(all[10], { event: 'dropped', ts: all[10].ts, session: 's1', count: 15 });
  assert.equal(b, undefined);
});

test('the byte bound is exact: data that fits is kept, one byte more is dropped', () => {
  const q = new PageQueue(limits);
  const big = (i) => () => ({ ...data('s1', i)(), data: 'A'.repeat(6000) });
  assert.equal(q.offer('s1', false, 6_000, big(1)), true);
  assert.equal(q.queuedBytes, approxSize(big(1)()), 'what is queued is counted at its built size');
  assert.equal(q.offer('s1', false, 6_000, big(2)), false, 'over the byte bound');
  // the drop left a 64-byte marker; the room left is counted to the byte
  const room = limits.maxQueuedBytes - q.queuedBytes;
  assert.equal(q.offer('s1', false, room + 1, data('s1', 3)), false, 'one byte over');
  assert.equal(q.offer('s1', false, room, data('s1', 4)), true, 'exactly full');
  assert.equal(q.dropped, 2);
  const sent = [];
  for (let b = q.take(); b; b = q.take()) {
    sent.push(...b.events);
    q.ack(b.seq);
  }
  assert.deepEqual(sent.map((e) => (e.event === 'dropped' ? `dropped ${e.count}` : e.n)), [1, 'dropped 2', 4]);
  assert.equal(q.queuedBytes, 0, 'taking them returns their bytes');
});

test('lifecycle events get twice the room of data: 20 events here, then they are dropped and counted too', () => {
  const q = new PageQueue(limits);
  for (let i = 1; i <= 10; i++) assert.equal(q.offer('s1', false, 10, data('s1', i)), true);
  assert.equal(q.offer('s1', false, 10, data('s1', 11)), false, 'data stops at 10 events');
  let kept = 0;
  for (let i = 0; i < 15; i++) kept += q.offer('s2', true, 10, conn('s2', i)) ? 1 : 0;
  // 10 data, 1 marker for s1, then connects up to 2 x 10 events in the queue
  assert.equal(kept, 9);
  assert.equal(q.length, 21, '20 events and the marker of s2');
  assert.equal(q.dropped, 1 + 6);
  const markers = [];
  for (let b = q.take(); b; b = q.take()) {
    markers.push(...b.events.filter((e) => e.event === 'dropped').map((e) => [e.session, e.count]));
    q.ack(b.seq);
  }
  assert.deepEqual(markers, [['s1', 1], ['s2', 6]]);
});

test('a batch stops before passing maxBatchBytes, yet an event larger than that still goes, alone', () => {
  const q = new PageQueue({ ...limits, maxBatchBytes: 300, maxInFlight: 100 });
  const size = approxSize(data('s1', 1)());
  assert.ok(2 * size <= 300 && 3 * size > 300, `two events of ${size} bytes fit in a batch, three do not`);
  for (let i = 1; i <= 5; i++) q.offer('s1', false, size, data('s1', i));
  q.offer('s1', false, 1000, () => ({ ...data('s1', 6)(), data: 'A'.repeat(1000) }));
  q.offer('s1', false, size, data('s1', 7));
  const batches = [];
  for (let b = q.take(); b; b = q.take()) batches.push(b.events.map((e) => e.n));
  assert.deepEqual(batches, [[1, 2], [3, 4], [5], [6], [7]]);
});

test('markers are per session and a kept event ends the gap', () => {
  const q = new PageQueue({ ...limits, maxQueuedEvents: 2 });
  q.offer('a', false, 1, data('a', 1));
  q.offer('b', false, 1, data('b', 1));
  q.offer('a', false, 1, data('a', 2));
  q.offer('b', false, 1, data('b', 2));
  q.offer('a', false, 1, data('a', 3));
  const batch = q.take();
  const markers = batch.events.filter((e) => e.event === 'dropped');
  assert.deepEqual(markers.map((m) => [m.session, m.count]), [['a', 2], ['b', 1]]);
});
