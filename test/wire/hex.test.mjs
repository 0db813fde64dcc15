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
