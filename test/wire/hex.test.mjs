import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { formatHexDump, formatHex, parseHex, UsageError } from '../../dist/index.js';

test('hex dump looks like xxd', () => {
  const dump = formatHexDump(Buffer.from('Hello, world!\n\x00\xff', 'latin1'));
  assert.equal(dump, '00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 00ff  Hello, world!...');
  const two = formatHexDump(Buffer.from('0123456789abcdefXY'));
  assert.equal(two.split('\n')[1], '00000010: 5859                                     XY');
});

test('compact hex', () => {
  assert.equal(formatHex(Buffer.from([0x48, 0x65, 0x0a])), '48 65 0a');
});

test('typed hex in every common form', () => {
  for (const form of ['48 65 6c', '48656c', '0x48,0x65,0x6c', '0x48 0x65 0x6C', '48:65:6c', '\\x48\\x65\\x6c', ' 48 65\n6c ']) {
    assert.deepEqual([...parseHex(form)], [0x48, 0x65, 0x6c], form);
  }
  assert.deepEqual([...parseHex('0x5')], [5]);
  assert.equal(parseHex('').length, 0);
});

test('bad hex names the first bad character and its position', () => {
  assert.throws(() => parseHex('48 6g'), (e) => e instanceof UsageError && /'g' at position 5/.test(e.message));
  assert.throws(() => parseHex('486'), /odd number of hex digits in '486'/);
  assert.throws(() => parseHex('zz'), /'z' at position 1/);
});

test("a '\\x' without digits is blamed where it stands", () => {
  assert.throws(() => parseHex('\\x'), /'\\x' at position 1 must be followed by one or two hex digits/);
  assert.throws(() => parseHex('41 \\x42\\x'), /'\\x' at position 8 must be followed/);
});

test('hex written into bytes matches Node at every length and alignment of the input and the output', async () => {
  const { writeHexInto } = await import('../../dist/wire/hex.js');
  const whole = Buffer.alloc(70_000 + 8);
  for (let i = 0; i < whole.length; i++) whole[i] = (i * 7919 + (i >> 8)) & 255;
  const out = Buffer.alloc(2 * whole.length + 16, 0x2e);
  for (const length of [0, 1, 3, 63, 64, 65, 67, 100, 255, 4096, 32 * 1024 + 5, 70_000]) {
    for (let srcShift = 0; srcShift < 4; srcShift++) {
      for (let outShift = 0; outShift < 4; outShift++) {
        const src = whole.subarray(srcShift, srcShift + length);
        out.fill(0x2e);
        // a range inside the input too, as the log writes a payload in pieces
        const from = length > 10 ? 3 : 0;
        const end = writeHexInto(src, out, outShift, from, length);
        const want = src.subarray(from).toString('hex');
        assert.equal(end, outShift + want.length, `end for ${length} bytes, shifts ${srcShift}/${outShift}`);
        assert.equal(out.toString('latin1', outShift, end), want, `${length} bytes, input shifted ${srcShift}, output ${outShift}`);
        assert.equal(out[end], 0x2e, 'nothing written past the end');
        if (outShift > 0) assert.equal(out[outShift - 1], 0x2e, 'nothing written before the start');
      }
    }
  }
});
