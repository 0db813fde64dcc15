import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { encodeText, decodeText, createDecoder, resolveEncoding, suggestEncodings, listEncodings, UsageError } from '../../dist/index.js';

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

// Byte sequences that iconv-lite's own streaming decoders cut when split across reads.
const SPLIT_CASES = [
  { encoding: 'gb18030', hex: '90308130', text: '\u{10000}' },
  { encoding: 'gb18030', hex: '8130e081', text: '\ufffd0鄟' },
  { encoding: 'big5', hex: '8ff0', text: decodeText(Buffer.from('8ff0', 'hex'), 'big5') },
  { encoding: 'shift_jis', hex: '84bf', text: '\ufffdｿ' },
  { encoding: 'gbk', hex: 'e000', text: '\ufffd\u0000' },
  { encoding: 'euc-kr', hex: '8141b0a1', text: '갂가' },
  { encoding: 'euc-jp', hex: '8fb0a1a4a2', text: decodeText(Buffer.from('8fb0a1a4a2', 'hex'), 'euc-jp') },
  // no BOM: the byte order is guessed from the first 16 bytes, wherever the reads end
  { encoding: 'utf16', hex: '01'.repeat(18) + '00fffe', text: 'ā'.repeat(9) + '\uff00' },
];

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function decodeChunked(bytes, encoding, cuts) {
  const d = createDecoder(encoding);
  let text = '';
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    text += d.write(bytes.subarray(at, cut));
    at = cut;
  }
  return text + d.end();
}

for (const { encoding, hex, text } of SPLIT_CASES) {
  test(`${encoding} ${hex}: the same text whole, split anywhere and byte by byte`, () => {
    const bytes = Buffer.from(hex, 'hex');
    assert.equal(decodeText(bytes, encoding), text);
    assert.ok(!LONE_SURROGATE.test(text), 'whole text has no lone surrogate');
    for (let cut = 1; cut < bytes.length; cut++) assert.equal(decodeChunked(bytes, encoding, [cut]), text, `cut at ${cut}`);
    assert.equal(decodeChunked(bytes, encoding, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)), text, 'byte by byte');
  });
}

test('big5 8f f0 is one supplementary character', () => {
  const text = decodeText(Buffer.from('8ff0', 'hex'), 'big5');
  assert.equal([...text].length, 1);
  assert.ok(text.codePointAt(0) > 0xffff);
});

test('every supported encoding: byte-by-byte and split decoding equal whole decoding', () => {
  let seed = 0x5eed;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const noise = Buffer.from(Array.from({ length: 96 }, () => (random() < 0.3 ? 0x20 + Math.floor(random() * 0x5f) : Math.floor(random() * 256))));
  const sample = 'Hi 你好服务端 世界 テスト 한국어 café €¥ 𐀀 \r\n';
  const mismatches = [];
  for (const encoding of listEncodings()) {
    let encoded;
    try {
      encoded = encodeText(sample, encoding);
    } catch {
      encoded = Buffer.alloc(0);
    }
    const bytes = Buffer.concat([encoded, ...SPLIT_CASES.map((c) => Buffer.from(c.hex, 'hex')), noise, encoded]);
    const whole = decodeText(bytes, encoding);
    const bytewise = decodeChunked(bytes, encoding, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1));
    const threes = decodeChunked(bytes, encoding, Array.from({ length: Math.floor((bytes.length - 1) / 3) }, (_, i) => 3 * i + 2));
    if (bytewise !== whole || threes !== whole) mismatches.push(encoding);
  }
  assert.deepEqual(mismatches, []);
});
