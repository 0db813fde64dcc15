import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { createFrameDecoder, encodeFrame, parseFrame, FrameTooLargeError } from '../../dist/index.js';

const feed = (decoder, chunks) => chunks.flatMap((c) => decoder.push(Buffer.from(c)).frames).map((b) => b.toString());

test('raw: one read is one message', () => {
  assert.deepEqual(feed(createFrameDecoder(parseFrame('raw')), ['ab', 'c']), ['ab', 'c']);
});

test('line: LF and CRLF, split anywhere', () => {
  const d = createFrameDecoder(parseFrame('line'));
  assert.deepEqual(feed(d, ['one\r', '\ntw', 'o\nthr', 'ee']), ['one', 'two']);
  assert.equal(d.flush().toString(), 'three');
  assert.equal(d.flush(), undefined);
});

test('a multi-byte delimiter straddling chunks', () => {
  const d = createFrameDecoder(parseFrame('\\r\\n\\r\\n'));
  assert.deepEqual(feed(d, ['head1\r\n', '\r', '\nhead2\r\n\r\n']), ['head1', 'head2']);
  assert.deepEqual(feed(createFrameDecoder(parseFrame('||')), ['a|', '|b||c|', '|']), ['a', 'b', 'c']);
});

test('len16 and len32 round trip, split across chunks', () => {
  for (const kind of ['len16', 'len32']) {
    const spec = parseFrame(kind);
    const wire = Buffer.concat([encodeFrame(spec, Buffer.from('hello')), encodeFrame(spec, Buffer.alloc(0)), encodeFrame(spec, Buffer.from('世界'))]);
    const d = createFrameDecoder(spec);
    const out = [];
    for (const b of wire) out.push(...d.push(Buffer.from([b])).frames);
    assert.deepEqual(out.map(String), ['hello', '', '世界'], kind);
  }
});

test('an announced length over the limit is refused before it is buffered', () => {
  const d = createFrameDecoder(parseFrame('len32'), 1024);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(0xfffffff0);
  const { frames, error } = d.push(head);
  assert.deepEqual(frames, []);
  assert.ok(error instanceof FrameTooLargeError && /4294967280 bytes/.test(error.message));
  assert.equal(d.push(Buffer.from('more')).error, error, 'the decoder takes nothing more');
});

test('a line longer than the limit is refused', () => {
  const d = createFrameDecoder(parseFrame('line'), 10);
  assert.equal(d.push(Buffer.from('12345')).error, undefined);
  const { error } = d.push(Buffer.from('678901'));
  assert.ok(error instanceof FrameTooLargeError);
  assert.match(error.message, /past the limit of 10 bytes without its delimiter/);
});

test('encodeFrame terminates typed lines for line and delimiter framing', () => {
  assert.equal(encodeFrame(parseFrame('line'), Buffer.from('hi'), true).toString(), 'hi\n');
  assert.equal(encodeFrame(parseFrame('line'), Buffer.from('hi')).toString(), 'hi');
  assert.equal(encodeFrame(parseFrame(';'), Buffer.from('hi'), true).toString(), 'hi;');
  assert.throws(() => encodeFrame(parseFrame('len16'), Buffer.alloc(70000)), /at most 65535/);
});

// Every way to cut `input` in two and into single bytes, with the frames and the error each gives.
function outcomes(spec, max, input) {
  const runs = [[input]];
  for (let cut = 1; cut < input.length; cut++) runs.push([input.subarray(0, cut), input.subarray(cut)]);
  runs.push([...input].map((b) => Buffer.from([b])));
  return runs.map((chunks) => {
    const d = createFrameDecoder(parseFrame(spec), max);
    const frames = [];
    let error;
    for (const c of chunks) {
      const r = d.push(c);
      frames.push(...r.frames.map((f) => f.toString('hex')));
      error ??= r.error?.message;
    }
    const rest = error ? undefined : d.flush()?.toString('hex');
    return { frames, error, rest };
  });
}

function assertSameEverywhere(spec, max, hex, expected) {
  const input = Buffer.from(hex, 'hex');
  for (const [i, got] of outcomes(spec, max, input).entries()) assert.deepEqual(got, expected, `${spec} limit ${max} ${hex}, cutting #${i}`);
}

test('the line limit does not depend on how the stream is cut', () => {
  assertSameEverywhere('line', 2, '00000a', { frames: ['0000'], error: undefined, rest: undefined });
  // a CR before the LF is not part of the message, so it does not count either
  assertSameEverywhere('line', 2, '61620d0a', { frames: ['6162'], error: undefined, rest: undefined });
  const over = { frames: [], error: 'a message went past the limit of 2 bytes without its delimiter', rest: undefined };
  assertSameEverywhere('line', 2, '3030300a', over);
  assertSameEverywhere('line', 2, '3030300d0a', over);
  assertSameEverywhere('\\r\\n', 2, '3030300d0a', over);
  assertSameEverywhere('\\r\\n', 2, '30300d0a', { frames: ['3030'], error: undefined, rest: undefined });
});

test('a push that breaks the limit still delivers the messages completed before it', () => {
  for (const spec of ['line', ';;']) {
    const sep = spec === 'line' ? '\n' : ';;';
    const d = createFrameDecoder(parseFrame(spec), 4);
    const { frames, error } = d.push(Buffer.from(`ok${sep}fine${sep}much too long${sep}never`));
    assert.deepEqual(frames.map(String), ['ok', 'fine'], spec);
    assert.ok(error instanceof FrameTooLargeError, spec);
    assert.equal(d.flush(), undefined);
  }
  const spec = parseFrame('len16');
  const d = createFrameDecoder(spec, 4);
  const head = Buffer.from([0xff, 0xff]);
  const { frames, error } = d.push(Buffer.concat([encodeFrame(spec, Buffer.from('ok')), encodeFrame(spec, Buffer.from('fine')), head]));
  assert.deepEqual(frames.map(String), ['ok', 'fine']);
  assert.ok(error instanceof FrameTooLargeError);
});

// CPU time of this process, in ms: other processes on a busy machine do not count, unlike wall time.
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// Pushes `wire` one byte at a time from `from` on (the bytes before it in one push), at most
// `deadlineMs` long; the fastest of `runs` runs of the byte-at-a-time part, in ms, and the frames.
function byteAtATime(spec, wire, { from = 0, runs = 3, deadlineMs = 15000 } = {}) {
  let best = Infinity;
  let frames = [];
  for (let run = 0; run < runs; run++) {
    const d = createFrameDecoder(parseFrame(spec));
    frames = [...d.push(wire.subarray(0, from)).frames];
    const t0 = cpuMs();
    // the last byte completes the frame, which then is assembled once: not part of the timing
    for (let i = from; i < wire.length - 1; i++) {
      const r = d.push(wire.subarray(i, i + 1));
      assert.equal(r.error, undefined);
      frames.push(...r.frames);
      if ((i & 0xfff) === 0 && cpuMs() - t0 > deadlineMs) assert.fail(`${spec}: ${i - from} bytes one at a time took over ${deadlineMs} ms of CPU`);
    }
    best = Math.min(best, cpuMs() - t0);
    frames.push(...d.push(wire.subarray(wire.length - 1)).frames);
  }
  return { ms: best, frames };
}

function frameOf(spec, size) {
  const body = Buffer.alloc(size, 0x61);
  if (spec === 'len32') return encodeFrame(parseFrame(spec), body);
  return Buffer.concat([body, Buffer.from(spec === 'line' ? '\n' : '\r\n')]);
}

test('a frame fed one byte at a time costs time in proportion to its size', () => {
  for (const spec of ['len32', '\\r\\n', 'line']) {
    byteAtATime(spec, frameOf(spec, 16 * 1024), { runs: 1 }); // warm up
    const small = byteAtATime(spec, frameOf(spec, 64 * 1024));
    const large = byteAtATime(spec, frameOf(spec, 256 * 1024));
    assert.equal(small.frames.length, 1);
    assert.equal(large.frames.length, 1);
    // four times the bytes: about four times the time when linear, sixteen when quadratic
    assert.ok(large.ms / Math.max(small.ms, 1) < 8, `${spec}: 64 KiB took ${small.ms.toFixed(1)} ms, 256 KiB ${large.ms.toFixed(1)} ms`);
  }
});

test('the last bytes of a 16 MiB frame, one at a time, cost no more than those of a small one', () => {
  const trickle = 32 * 1024;
  for (const spec of ['len32', '\\r\\n']) {
    const big = frameOf(spec, 16 * 1024 * 1024);
    const small = frameOf(spec, trickle);
    byteAtATime(spec, small, { runs: 1 }); // warm up
    const after16 = byteAtATime(spec, big, { from: big.length - trickle, runs: 2 });
    const alone = byteAtATime(spec, small, { runs: 2 });
    assert.equal(after16.frames.length, 1, spec);
    assert.equal(after16.frames[0].length, 16 * 1024 * 1024, spec);
    assert.ok(after16.frames[0].every((b) => b === 0x61), spec);
    // re-copying the pending 16 MiB per byte would take minutes; a busy machine's pauses (a collection of those 16 MiB) take milliseconds
    assert.ok(after16.ms / Math.max(alone.ms, 20) < 25, `${spec}: ${trickle} bytes one at a time took ${after16.ms.toFixed(1)} ms after 16 MiB, ${alone.ms.toFixed(1)} ms alone`);
  }
});
