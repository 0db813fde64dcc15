import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { encodeText, decodeText, createDecoder, resolveEncoding, suggestEncodings, UsageError } from '../../dist/index.js';

const TABLE = [
  ['utf8', '世界', 'e4b896e7958c'],
  ['gbk', '世界', 'cac0bde7'],
  ['gb18030', '世界', 'cac0bde7'],
  ['big5', '世界', 'a540ac c9'.replace(' ', '')],
  ['shift_jis', 'テスト', '8365835883 67'.replace(' ', '')],
  ['latin1', 'café', '636166e9'],
  ['utf16le', 'Hi', '48006900'],
  ['hex', '48656c6c6f', '48656c6c6f'],
  ['base64', 'SGVsbG8=', '48656c6c6f'],
];

for (const [encoding, text, hex] of TABLE) {
  test(`${encoding}: '${text}' is ${hex} both ways`, () => {
    assert.equal(encodeText(text, encoding).toString('hex'), hex);
    assert.equal(decodeText(Buffer.from(hex, 'hex'), encoding), text);
  });
}

test('a GBK character split across two reads decodes whole', () => {
  const bytes = encodeText('你好服务端', 'gbk');
  for (let cut = 1; cut < bytes.length; cut++) {
    const d = createDecoder('gbk');
    const text = d.write(bytes.subarray(0, cut)) + d.write(bytes.subarray(cut)) + d.end();
    assert.equal(text, '你好服务端', `cut at ${cut}`);
    assert.ok(!text.includes('\ufffd'));
  }
});

test('a UTF-8 character split one byte at a time decodes whole', () => {
  const bytes = Buffer.from('世界', 'utf8');
  const d = createDecoder('utf8');
  let text = '';
  for (const b of bytes) text += d.write(Buffer.from([b]));
  assert.equal(text + d.end(), '世界');
});

test('encoding names are checked, with close matches suggested', () => {
  assert.equal(resolveEncoding('GBK'), 'gbk');
  assert.equal(resolveEncoding('Shift_JIS'), 'shift_jis');
  assert.throws(() => resolveEncoding('gbkk'), (err) => err instanceof UsageError && /unknown encoding 'gbkk'/.test(err.message) && /gbk/.test(err.message));
  assert.throws(() => resolveEncoding('utf9'), /did you mean .*utf8/);
  assert.ok(suggestEncodings('big-5').includes('big5'));
});
