// Properties of framing: any chunking gives what framing the whole input gives; only the frame-size error comes out; linear time.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFrameDecoder, encodeFrame, FrameTooLargeError } from '../../dist/index.js';
import { property, chunkedBytes, bytesFrom, split } from './harness.mjs';

const ALPHABET = [0x0a, 0x0d, 0x61, 0x62, 0x00];
const NO_LIMIT = 1 << 24;

/** line, len16, len32 or a delimiter of 1 to 4 bytes drawn from the same small alphabet as the data. */
const spec = fc.oneof(
  fc.constant({ kind: 'line' }),
  fc.constant({ kind: 'len16' }),
  fc.constant({ kind: 'len32' }),
  fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 }).map((d) => ({ kind: 'delimiter', delimiter: Buffer.from(d) })),
);

/** Frames the whole input at once, the obvious way: what every chunking must give. */
export function referenceFraming(s, max, input) {
  const frames = [];
  if (s.kind === 'len16' || s.kind === 'len32') {
    const w = s.kind === 'len16' ? 2 : 4;
    let off = 0;
    while (input.length - off >= w) {
      const len = w === 2 ? input.readUInt16BE(off) : input.readUInt32BE(off);
      if (len > max) return { frames, error: true, rest: undefined };
      if (input.length - off - w < len) break;
      frames.push(input.subarray(off + w, off + w + len));
      off += w + len;
    }
    return { frames, error: false, rest: off < input.length ? input.subarray(off) : undefined };
  }
  const d = s.kind === 'line' ? Buffer.from('\n') : s.delimiter;
  let start = 0;
  for (;;) {
    const idx = input.indexOf(d, start);
    if (idx < 0) break;
    let f = input.subarray(start, idx);
    if (s.kind === 'line' && f.length > 0 && f[f.length - 1] === 0x0d) f = f.subarray(0, f.length - 1);
    if (f.length > max) return { frames, error: true, rest: undefined };
    frames.push(f);
    start = idx + d.length;
  }
  const rest = input.subarray(start);
  // held bytes are refused once no delimiter could bring the message back under the limit
  const slack = s.kind === 'line' ? (rest[rest.length - 1] === 0x0d ? 1 : 0) : d.length - 1;
  if (rest.length - slack > max) return { frames, error: true, rest: undefined };
  return { frames, error: false, rest: rest.length > 0 ? rest : undefined };
}

/** Feeds the chunks; checks that nothing throws and that an error is the documented one and stays. */
export function feed(s, max, chunks) {
  const d = createFrameDecoder(s, max);
  const frames = [];
  let error;
  for (const c of chunks) {
    const r = d.push(c);
    if (error) {
      assert.equal(r.frames.length, 0, 'no frames after an error');
      assert.equal(r.error, error, 'the same error after an error');
    }
    frames.push(...r.frames);
    error ??= r.error;
  }
  if (error) {
    assert.ok(error instanceof FrameTooLargeError);
    assert.equal(error.code, 'SOCKIT_ERR_FRAME_TOO_LARGE');
  }
  const rest = error ? undefined : d.flush();
  if (error) assert.equal(d.flush(), undefined);
  return { frames, error: error !== undefined, rest };
}

const hex = (r) => ({ frames: r.frames.map((f) => Buffer.from(f).toString('hex')), error: r.error, rest: r.rest && Buffer.from(r.rest).toString('hex') });

/** Puts frames, their delimiters or prefixes, and the rest back together. */
function reassemble(s, input, frames, rest) {
  const parts = [];
  let at = 0;
  for (const f of frames) {
    let piece;
    if (s.kind === 'len16' || s.kind === 'len32') piece = encodeFrame(s, f);
    else if (s.kind === 'delimiter') piece = Buffer.concat([f, s.delimiter]);
    // a line ends in LF, or in CR LF (the CR was dropped from the message)
    else piece = Buffer.concat([f, Buffer.from(input[at + f.length] === 0x0d ? '\r\n' : '\n')]);
    parts.push(piece);
    at += piece.length;
  }
  if (rest) parts.push(rest);
  return Buffer.concat(parts);
}

export const properties = [
  property('framing: any chunking gives the frames, error and rest of the whole input at once', 1000, () =>
    fc.property(spec, fc.integer({ min: 0, max: 24 }), chunkedBytes(bytesFrom(ALPHABET, 80)), (s, max, { bytes, cuts }) => {
      assert.deepEqual(hex(feed(s, max, split(bytes, cuts))), hex(referenceFraming(s, max, bytes)));
    }),
  ),
  property('framing: frames with their delimiters or length prefixes, then the rest, are the input', 500, () =>
    fc.property(spec, chunkedBytes(bytesFrom(ALPHABET, 120)), (s, { bytes, cuts }) => {
      const { frames, error, rest } = feed(s, NO_LIMIT, split(bytes, cuts));
      if (s.kind === 'len32' && error) return; // a random prefix may announce more than 16 MiB
      assert.equal(error, false);
      assert.deepEqual(reassemble(s, bytes, frames, rest).toString('hex'), bytes.toString('hex'));
    }),
  ),
  property('framing: length-prefixed messages come back as sent, however the stream is cut', 300, () =>
    fc.property(
      fc.constantFrom({ kind: 'len16' }, { kind: 'len32' }).chain((s) =>
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }).chain((messages) => {
          const wire = Buffer.concat(messages.map((m) => encodeFrame(s, Buffer.from(m))));
          return chunkedBytes(fc.constant(wire)).map((c) => ({ s, messages, ...c }));
        }),
      ),
      ({ s, messages, bytes, cuts }) => {
        const { frames, error, rest } = feed(s, 64, split(bytes, cuts));
        assert.equal(error, false);
        assert.equal(rest, undefined);
        assert.deepEqual(frames.map((f) => Buffer.from(f).toString('hex')), messages.map((m) => Buffer.from(m).toString('hex')));
      },
    ),
  ),
  property('framing: any bytes, any framing, any limit: nothing but the frame-size error comes out', 1000, () =>
    fc.property(
      fc.oneof(spec, fc.constant({ kind: 'raw' })),
      fc.integer({ min: 0, max: 70000 }),
      chunkedBytes(fc.uint8Array({ maxLength: 200 })),
      (s, max, { bytes, cuts }) => {
        const chunks = split(bytes, cuts);
        const r = feed(s, max, chunks);
        if (s.kind === 'raw') assert.equal(r.frames.length, chunks.length);
      },
    ),
  ),
];

// CPU time of this process, in ms (other processes on a busy machine do not count).
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function byteAtATimeMs(s, wire) {
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const d = createFrameDecoder(s, NO_LIMIT);
    const t0 = cpuMs();
    for (let i = 0; i < wire.length; i++) d.push(wire.subarray(i, i + 1));
    best = Math.min(best, cpuMs() - t0);
  }
  return best;
}

/** One framing and a filler pattern: a stream of it fed one byte at a time must cost time in proportion to its length. */
export const linearity = property('framing: one byte at a time, four times the bytes cost about four times the time', 2, () =>
  fc.property(spec, fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 8 }), (s, pattern) => {
    const stream = (n) => {
      const filler = Buffer.alloc(n);
      for (let i = 0; i < n; i++) filler[i] = pattern[i % pattern.length];
      // length-prefixed: one frame as long as the stream, whatever the filler says
      return s.kind === 'len16' || s.kind === 'len32' ? encodeFrame({ kind: 'len32' }, filler).subarray(s.kind === 'len16' ? 2 : 0) : filler;
    };
    const lenSpec = s.kind === 'len16' ? { kind: 'len32' } : s;
    byteAtATimeMs(lenSpec, stream(4096)); // warm up
    const small = byteAtATimeMs(lenSpec, stream(16 * 1024));
    const large = byteAtATimeMs(lenSpec, stream(64 * 1024));
    assert.ok(large / Math.max(small, 2) < 8, `${JSON.stringify(s)} with ${Buffer.from(pattern).toString('hex')}: 16 KiB took ${small.toFixed(1)} ms, 64 KiB ${large.toFixed(1)} ms`);
  }),
);
