// Range header parsing without a socket: the edge-case matrix, coalescing, If-Range, multipart layout.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { coalesce, ifRangeMatches, multipartLayout, parseRange } from '../../dist/http/range.js';

const R = (...pairs) => ({ kind: 'ranges', ranges: pairs.map(([start, end]) => ({ start, end })) });
const FULL = { kind: 'full' };
const NONE = { kind: 'unsatisfiable' };

test('range matrix for a 1000-byte body', () => {
  const cases = [
    [undefined, FULL],
    ['bytes=0-0', R([0, 0])],
    ['bytes=0-499', R([0, 499])],
    ['bytes=500-', R([500, 999])],
    ['bytes=-1', R([999, 999])],
    ['bytes=-500', R([500, 999])],
    ['bytes=-5000', R([0, 999])], // suffix longer than the body: all of it
    ['bytes=900-5000', R([900, 999])], // end clamped
    ['bytes=0-99999999999999999999999', R([0, 999])], // huge end: clamped, no overflow
    ['bytes=999-999', R([999, 999])],
    ['bytes=1000-', NONE],
    ['bytes=1000-2000', NONE],
    ['bytes=99999999999999999999-', NONE], // huge start: beyond the end, no overflow
    ['bytes=-0', NONE],
    ['bytes=5-2', NONE], // start after end: invalid
    ['bytes=abc', NONE],
    ['bytes=1-2-3', NONE],
    ['bytes=-', NONE],
    ['bytes= 0-1 , 3-4 ', R([0, 1], [3, 4])], // optional whitespace
    ['bytes=0-1,1000-2000', R([0, 1])], // unsatisfiable parts dropped
    ['BYTES=0-1', R([0, 1])], // units are case-insensitive
    ['items=0-1', FULL], // unknown unit: ignored
    ['0-1', FULL],
    ['bytes=0-9,5-14,20-29', R([0, 14], [20, 29])], // overlap merged
    ['bytes=0-9,10-19', R([0, 19])], // adjacent merged
    ['bytes=20-29,0-9', R([0, 9], [20, 29])], // sorted
  ];
  for (const [header, expected] of cases) assert.deepEqual(parseRange(header, 1000), expected, String(header));
});

test('amplification: many or overlapping ranges serve the body once', () => {
  // `0-,0-,0-`: three times the body requested: whole body (Go's rule), not three copies
  assert.deepEqual(parseRange('bytes=0-,0-,0-', 1000), FULL);
  assert.deepEqual(parseRange(Array.from({ length: 17 }, (_, i) => `${i}-${i}`).join(',').replace(/^/, 'bytes='), 1000), FULL);
  assert.deepEqual(parseRange(Array.from({ length: 16 }, (_, i) => `${i * 2}-${i * 2}`).join(',').replace(/^/, 'bytes='), 1000).ranges.length, 16);
  assert.deepEqual(parseRange('bytes=0-', 0), NONE);
  assert.deepEqual(parseRange('bytes=-1', 0), NONE);
});

test('coalesce sorts and merges', () => {
  assert.deepEqual(coalesce([{ start: 5, end: 9 }, { start: 0, end: 5 }, { start: 20, end: 30 }, { start: 10, end: 12 }]), [{ start: 0, end: 12 }, { start: 20, end: 30 }]);
});

test('If-Range: strong ETag equality or exact Last-Modified date', () => {
  const mtime = Date.parse('Tue, 01 Oct 2024 10:00:00 GMT') + 250;
  assert.equal(ifRangeMatches(undefined, '"a"', mtime), true);
  assert.equal(ifRangeMatches('"a"', '"a"', mtime), true);
  assert.equal(ifRangeMatches('"b"', '"a"', mtime), false);
  assert.equal(ifRangeMatches('W/"a"', '"a"', mtime), false); // weak validators never match
  assert.equal(ifRangeMatches('Tue, 01 Oct 2024 10:00:00 GMT', '"a"', mtime), true);
  assert.equal(ifRangeMatches('Tue, 01 Oct 2024 09:59:59 GMT', '"a"', mtime), false);
  assert.equal(ifRangeMatches('garbage', '"a"', mtime), false);
});

test('multipart layout announces exactly the bytes it will send', () => {
  const layout = multipartLayout([{ start: 0, end: 1 }, { start: 5, end: 9 }], 10, 'text/plain', 'XYZ');
  const body = Buffer.concat([layout.parts[0].head, Buffer.from('ab'), layout.parts[1].head, Buffer.from('fghij'), layout.tail]);
  assert.equal(layout.length, body.length);
  assert.equal(layout.contentType, 'multipart/byteranges; boundary=XYZ');
  assert.match(body.toString(), /^--XYZ\r\nContent-Type: text\/plain\r\nContent-Range: bytes 0-1\/10\r\n\r\nab\r\n--XYZ\r\n.*Content-Range: bytes 5-9\/10\r\n\r\nfghij\r\n--XYZ--\r\n$/s);
});
