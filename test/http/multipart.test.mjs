// The streaming multipart/form-data parser, fed at every possible split, and upload name rules.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { MultipartParser, safeUploadName, parsePartHeaders } from '../../dist/http/upload.js';

const BOUNDARY = '----sockitBoundary7MA4YWxk';

function body(parts) {
  const chunks = [];
  for (const p of parts) {
    chunks.push(`--${BOUNDARY}\r\n`);
    chunks.push(`Content-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}\r\n`);
    if (p.type) chunks.push(`Content-Type: ${p.type}\r\n`);
    chunks.push('\r\n');
    chunks.push(p.data);
    chunks.push('\r\n');
  }
  chunks.push(`--${BOUNDARY}--\r\n`);
  return Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8'))));
}

function parse(buf, splits) {
  const parser = new MultipartParser(BOUNDARY);
  const parts = [];
  let pos = 0;
  for (const at of [...splits, buf.length]) {
    for (const tok of parser.push(buf.subarray(pos, at))) {
      if (tok.kind === 'part') parts.push({ info: tok.info, data: [] });
      else if (tok.kind === 'data') parts[parts.length - 1].data.push(Buffer.from(tok.chunk));
    }
    pos = at;
  }
  parser.end();
  return parts.map((p) => ({ ...p.info, data: Buffer.concat(p.data) }));
}

test('parses fields and files whatever the chunk boundaries', () => {
  // data that looks like a delimiter but is not one
  const tricky = Buffer.from(`a\r\n--${BOUNDARY.slice(0, 10)}x\r\n--\r\n${'z'.repeat(50)}`);
  const payload = body([
    { name: 'note', data: 'hello' },
    { name: 'file', filename: '世界.txt', type: 'text/plain', data: tricky },
    { name: 'empty', filename: 'e.bin', data: Buffer.alloc(0) },
  ]);
  const expected = [
    { name: 'note', data: Buffer.from('hello') },
    { name: 'file', filename: '世界.txt', contentType: 'text/plain', data: tricky },
    { name: 'empty', filename: 'e.bin', data: Buffer.alloc(0) },
  ];
  assert.deepEqual(parse(payload, []), expected);
  for (let i = 1; i < payload.length; i++) assert.deepEqual(parse(payload, [i]), expected, `split at ${i}`);
  const bytewise = Array.from({ length: payload.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(parse(payload, bytewise), expected);
});

test('malformed bodies are refused', () => {
  const payload = body([{ name: 'f', filename: 'a', data: 'x' }]);
  const truncated = payload.subarray(0, payload.length - 10);
  assert.throws(() => parse(truncated, []), /ended early/);
  const parser = new MultipartParser(BOUNDARY);
  assert.throws(() => parser.push(Buffer.from(`--${BOUNDARY}\r\n${'X'.repeat(20000)}`)), /too large/);
  assert.throws(() => new MultipartParser('bad\r\nboundary'), /boundary/);
});

test('part headers: quoted names, browser escapes for quotes and line breaks', () => {
  assert.deepEqual(parsePartHeaders('Content-Disposition: form-data; name="f"; filename="a%22b.txt"\r\nContent-Type: text/html'), { name: 'f', filename: 'a"b.txt', contentType: 'text/html' });
});

test('upload names: the last component only, nothing that names another place', () => {
  assert.equal(safeUploadName('report.pdf'), 'report.pdf');
  assert.equal(safeUploadName('C:\\Users\\me\\report.pdf'), 'report.pdf');
  assert.equal(safeUploadName('../../etc/passwd'), 'passwd');
  assert.equal(safeUploadName('..'), undefined);
  assert.equal(safeUploadName('.'), undefined);
  assert.equal(safeUploadName(''), undefined);
  assert.equal(safeUploadName('a\u0000b'), undefined);
  assert.equal(safeUploadName('a\nb'), undefined);
  assert.equal(safeUploadName('<script>.html'), '<script>.html');
});

test('a part without headers is a part of its own, not the start of the next one', () => {
  const payload = Buffer.from('--a\r\n\r\n\r\n--a\r\nContent-Disposition: form-data; name="a"\r\n\r\nY\r\n--a--');
  const expected = [{ data: Buffer.alloc(0) }, { name: 'a', data: Buffer.from('Y') }];
  const run = (splits) => {
    const parser = new MultipartParser('a');
    const parts = [];
    let pos = 0;
    for (const at of [...splits, payload.length]) {
      for (const tok of parser.push(payload.subarray(pos, at))) {
        if (tok.kind === 'part') parts.push({ info: tok.info, data: [] });
        else if (tok.kind === 'data') parts[parts.length - 1].data.push(Buffer.from(tok.chunk));
      }
      pos = at;
    }
    parser.end();
    return parts.map((p) => ({ ...p.info, data: Buffer.concat(p.data) }));
  };
  assert.deepEqual(run([]), expected);
  for (let i = 1; i < payload.length; i++) assert.deepEqual(run([i]), expected, `split at ${i}`);
  assert.deepEqual(run(Array.from({ length: payload.length - 1 }, (_, i) => i + 1)), expected, 'byte by byte');
});

test('part header parameters are read as own names only', () => {
  assert.deepEqual(parsePartHeaders('Content-Disposition: form-data; constructor="x"; __proto__="y"'), {});
  assert.deepEqual(parsePartHeaders('Content-Disposition: form-data; name="a"; name="b"'), { name: 'b' });
});
