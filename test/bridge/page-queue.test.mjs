// The per-page queue: batches, bounds, drop markers in place, and sending only a few batches ahead of acks.
import { test } from 'node:test';
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
  assert.ok(small.inFlightBytes >= 800);
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

test('the byte bound drops too, and lifecycle events get more room than data', () => {
  const q = new PageQueue(limits);
  const big = (i) => () => ({ ...data('s1', i)(), data: 'A'.repeat(6000) });
  assert.equal(q.offer('s1', false, 6_000, big(1)), true);
  assert.ok(q.queuedBytes >= 6000);
  assert.equal(q.offer('s1', false, 6_000, big(2)), false, 'over the byte bound');
  assert.equal(q.offer('s1', true, 200, conn('s1', 3)), true, 'a connect still fits in the larger room');
  for (let i = 0; i < 20; i++) q.offer('s2', true, 10, conn('s2', i));
  assert.ok(q.length <= 2 * limits.maxQueuedEvents + 2, `queue stays bounded (${q.length})`);
  assert.ok(q.dropped > 1);
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
