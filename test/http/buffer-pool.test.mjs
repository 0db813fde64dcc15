// The static server's streaming buffers: reused by size, bounded, and let go once the server is idle.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BufferPool } from '../../dist/http/send-file.js';
import { waitFor } from '../helpers/index.mjs';

const KiB = 1024;

test('a buffer given back is the one taken next of its size, and what is kept stays under the bound', () => {
  const pool = new BufferPool(128 * KiB, 256 * KiB, 60_000);
  const a = pool.take(128 * KiB);
  const b = pool.take(128 * KiB);
  const c = pool.take(128 * KiB);
  pool.give(a);
  pool.give(b);
  pool.give(c);
  assert.equal(pool.kept, 256 * KiB, 'the third buffer is over the bound and left to the collector');
  assert.equal(pool.take(128 * KiB), b, 'the last one given comes back first');
  assert.notEqual(pool.take(64 * KiB), a, 'another size is never handed a buffer of the wrong length');
  pool.clear();
});

test('an idle pool lets its buffers go; one still taking from keeps them', async () => {
  const pool = new BufferPool(64 * KiB, 1024 * KiB, 500);
  const bufs = [pool.take(64 * KiB), pool.take(64 * KiB)];
  for (const buf of bufs) pool.give(buf);
  assert.equal(pool.kept, 128 * KiB);
  // busy: a take and a give every 50 ms for about four idle periods
  for (let i = 0; i < 40; i++) {
    pool.give(pool.take(64 * KiB));
    await sleep(50);
  }
  assert.equal(pool.kept, 128 * KiB, 'a pool in use keeps its buffers');
  await waitFor(() => pool.kept === 0, { what: 'the idle pool to let its buffers go', timeoutMs: 5000, detail: () => `${pool.kept} bytes kept` });
  // it works as before once used again
  pool.give(pool.take(64 * KiB));
  assert.equal(pool.kept, 64 * KiB);
  pool.clear();
});
