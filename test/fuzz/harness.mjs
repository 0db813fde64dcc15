// What the property files share: the fixed seed of `npm test`, chunkings, and running a file's properties as tests.
import test, { before, after } from '../helpers/test.mjs';
import fc from 'fast-check';

/** The seed `npm test` uses, so a failure there is the same failure on every machine. */
export const SEED = 20261122;

/**
 * A property, as a file of them exports it: `runs` is the number of cases `npm test` tries;
 * `npm run fuzz` tries many more, with new seeds.
 */
export function property(name, runs, make) {
  return { name, runs, make };
}

/** Cut points (sorted, distinct, inside 1..length-1) for a buffer of `length` bytes, one byte at a time now and then. */
export function cutsFor(length) {
  if (length < 2) return fc.constant([]);
  return fc.oneof(
    { weight: 4, arbitrary: fc.uniqueArray(fc.integer({ min: 1, max: length - 1 }), { maxLength: Math.min(12, length - 1) }).map((c) => c.sort((a, b) => a - b)) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: length - 1 }, (_, i) => i + 1)) },
  );
}

/** Bytes with their cut points. */
export function chunkedBytes(bytes) {
  return bytes.chain((b) => cutsFor(b.length).map((cuts) => ({ bytes: Buffer.from(b), cuts })));
}

/** The pieces of `bytes` between the cut points. */
export function split(bytes, cuts) {
  const out = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(bytes.subarray(at, cut));
    at = cut;
  }
  return out;
}

/** Bytes mostly from a small alphabet (so delimiters and escapes collide), sometimes any byte. */
export function bytesFrom(alphabet, maxLength = 64) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.constantFrom(...alphabet), { maxLength }).map((a) => Uint8Array.from(a)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength }) },
  );
}

/** Registers each property of a file as a node:test test with the fixed seed; `setup` gives them a shared context. */
export function runAsTests(props, setup) {
  let ctx;
  let cleanup;
  if (setup) {
    before(async () => {
      ({ ctx, cleanup } = await setup());
    });
    after(async () => cleanup?.());
  }
  for (const p of props) {
    test(p.name, async () => {
      await fc.assert(p.make(ctx), { seed: SEED, numRuns: p.runs });
    });
  }
}
