// Properties of text decoding: for every encoding sockit accepts, any chunking decodes as the whole does.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createDecoder, decodeText, encodeText, listEncodings } from '../../dist/index.js';
import { property, chunkedBytes, split } from './harness.mjs';

const ENCODINGS = listEncodings();
const CJK = ['gbk', 'gb18030', 'big5', 'shift_jis', 'euc-kr', 'euc-jp', 'cp950', 'cp949', 'cp932', 'cp936'];

/** Text in an encoding, random bytes, or the two mixed: real characters and broken sequences. */
function bytesIn(encoding) {
  const text = fc.string({ unit: 'grapheme', maxLength: 24 }).map((s) => {
    try {
      return encodeText(s, encoding);
    } catch {
      return Buffer.alloc(0);
    }
  });
  const noise = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
  return fc.array(fc.oneof(text, noise), { maxLength: 4 }).map((parts) => Buffer.concat(parts));
}

function decodeChunks(encoding, chunks) {
  const d = createDecoder(encoding);
  let text = '';
  for (const c of chunks) text += d.write(c);
  return text + d.end();
}

const chunkedIn = (encodings) => fc.constantFrom(...encodings).chain((encoding) => chunkedBytes(bytesIn(encoding)).map((c) => ({ encoding, ...c })));

export const properties = [
  property('codec: every encoding, any chunking decodes as the whole does', 1500, () =>
    fc.property(chunkedIn(ENCODINGS), ({ encoding, bytes, cuts }) => {
      assert.equal(decodeChunks(encoding, split(bytes, cuts)), decodeText(bytes, encoding), encoding);
    }),
  ),
  property('codec: double-byte encodings, any chunking decodes as the whole does', 800, () =>
    fc.property(chunkedIn(CJK), ({ encoding, bytes, cuts }) => {
      assert.equal(decodeChunks(encoding, split(bytes, cuts)), decodeText(bytes, encoding), encoding);
    }),
  ),
];
