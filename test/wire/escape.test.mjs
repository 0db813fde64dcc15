// Which bytes stand for themselves as text: the check four bytes at a time agrees with the byte-by-byte one everywhere.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { isPlainAscii } from '../../dist/index.js';

/** The rule, one byte at a time: printable ASCII; in a JSON string not `"` or `\`. */
function plainByByte(bytes, where) {
  return bytes.every((b) => b >= 0x20 && b < 0x7f && !(where === 'json' && (b === 0x22 || b === 0x5c)));
}

test('every byte value at every place of a long message, at every alignment, is judged as one byte at a time judges it', () => {
  const memory = Buffer.alloc(300 + 3, 'a');
  for (const offset of [0, 1, 2, 3]) {
    const bytes = memory.subarray(offset, offset + 300);
    assert.equal(isPlainAscii(bytes, 'json'), true);
    for (let at = 0; at < bytes.length; at += at < 8 || at > 290 ? 1 : 37) {
      for (let v = 0; v < 256; v++) {
        bytes[at] = v;
        for (const where of ['terminal', 'json']) {
          assert.equal(isPlainAscii(bytes, where), plainByByte(bytes, where), `byte 0x${v.toString(16)} at ${at}, offset ${offset}, ${where}`);
        }
      }
      bytes[at] = 0x61;
    }
  }
});

test('a 64 KiB stream of one letter is plain, and one quote, tab or byte past ASCII at its end is not', () => {
  const bytes = Buffer.alloc(64 * 1024, 'y');
  assert.equal(isPlainAscii(bytes, 'json'), true);
  for (const [v, json, terminal] of [[0x22, false, true], [0x09, false, false], [0xc3, false, false], [0x7e, true, true]]) {
    bytes[bytes.length - 1] = v;
    assert.equal(isPlainAscii(bytes, 'json'), json, `0x${v.toString(16)} in JSON`);
    assert.equal(isPlainAscii(bytes, 'terminal'), terminal, `0x${v.toString(16)} on a terminal`);
  }
});
