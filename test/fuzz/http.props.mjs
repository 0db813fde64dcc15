// Properties of the static server's parsers: Range headers, request paths (never outside the root), multipart bodies.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import fc from 'fast-check';
import { parseRange, DEFAULT_MAX_RANGES } from '../../dist/http/range.js';
import { decodeRequestPath, isInside, isRefusal, resolveForWrite, resolveInRoot, servedRoot } from '../../dist/http/resolve-path.js';
import { MultipartParser, UploadError } from '../../dist/http/upload.js';
import { property, chunkedBytes, split } from './harness.mjs';

// ---- Range

/** One range spec as structured numbers (or junk), and its text. */
const rangeSpec = fc.oneof(
  { weight: 6, arbitrary: fc.record({ start: fc.option(fc.nat(140), { nil: undefined }), end: fc.option(fc.nat(140), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.constantFrom('x', '5', '-', '1-2-3', ' 7 - 9', '99999999999999999999-', '-99999999999999999999', '1e3-', '0x1-2').map((junk) => ({ junk })) },
);
const specText = (s) => s.junk ?? `${s.start ?? ''}-${s.end ?? ''}`;

/** What RFC 9110 and the documented limits say a header of these specs must give. */
function expectedRanges(specs, size) {
  if (specs.length === 0) return { kind: 'unsatisfiable' };
  if (specs.length > DEFAULT_MAX_RANGES) return { kind: 'full' };
  const ranges = [];
  for (const s of specs) {
    if (s.junk !== undefined) return undefined; // judged by the shape checks only
    if (s.start === undefined && s.end === undefined) return { kind: 'unsatisfiable' };
    if (s.start === undefined) {
      if (s.end === 0 || size === 0) continue;
      ranges.push([Math.max(0, size - s.end), size - 1]);
      continue;
    }
    const end = s.end ?? size - 1;
    if (end < s.start) return { kind: 'unsatisfiable' };
    if (s.start >= size) continue;
    ranges.push([s.start, Math.min(end, size - 1)]);
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  const total = ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
  if (ranges.length > 1 && total > size) return { kind: 'full' };
  const covered = new Set();
  for (const [a, b] of ranges) for (let i = a; i <= b; i++) covered.add(i);
  return { kind: 'ranges', covered };
}

// ---- Paths

const SEGMENTS = ['a', 'b.txt', '.git', '.well-known', 'link-out', 'link-in', 'link-dot', 'pub-secret', 'pub', 'missing', '..', '.', '', '%2e%2e', '%2E.', '.%2e', '%252e%252e', '%2f', '%5c', '\\', '%00', '%c0%ae', '%ff', 'é', '%C3%A9', '~', 'a:b', 'con', '?q=..', '#x'];

const target = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 6 }).chain((segs) => fc.constantFrom('/', '%2f', '//', '/./').map((joiner) => '/' + segs.join(joiner))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 4 }).map((segs) => `http://host/${segs.join('/')}`) },
);

/** A served folder with links inside, outside, to a dotfile, and a sibling whose name extends it. */
async function pathFixture() {
  const base = mkdtempSync(join(tmpdir(), 'sockit-fuzz-'));
  const root = join(base, 'pub');
  mkdirSync(join(root, 'a'), { recursive: true });
  mkdirSync(join(root, '.git'));
  mkdirSync(join(root, '.well-known'));
  mkdirSync(join(base, 'pub-secret'));
  writeFileSync(join(root, 'a', 'b.txt'), 'inside');
  writeFileSync(join(root, '.git', 'config'), 'secret');
  writeFileSync(join(base, 'pub-secret', 'b.txt'), 'outside');
  symlinkSync(join(base, 'pub-secret'), join(root, 'link-out'));
  symlinkSync(join(root, 'a'), join(root, 'link-in'));
  symlinkSync(join(root, '.git'), join(root, 'link-dot'));
  symlinkSync('../pub-secret', join(root, 'a', 'pub-secret'));
  return { ctx: { served: servedRoot(root) }, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

function hidesDotfiles(served, real) {
  return relative(served.realRoot, real)
    .split(sep)
    .filter(Boolean)
    .every((s, i) => !s.startsWith('.') || (i === 0 && s === '.well-known'));
}

// ---- Multipart

const BOUNDARY_CHARS = "abcXYZ0189'()+_,-./:=? ";
const boundary = fc.string({ unit: fc.constantFrom(...BOUNDARY_CHARS), minLength: 1, maxLength: 70 }).filter((b) => !b.endsWith(' '));
const nameText = fc.string({ unit: fc.constantFrom(...'abz09 ._-é'), maxLength: 10 });

/** One part: no headers at all, a field, or a file, with bytes that look like delimiters now and then. */
function partFor(b) {
  const near = [`\r\n--${b.slice(0, -1)}`, '\r\n--', '\r\n', '--', b, '\r'];
  const data = fc
    .array(fc.oneof(fc.uint8Array({ maxLength: 12 }).map((x) => Buffer.from(x)), fc.constantFrom(...near).map((s) => Buffer.from(s, 'latin1'))), { maxLength: 6 })
    .map((parts) => Buffer.concat(parts));
  const info = fc.oneof(
    fc.constant({}),
    nameText.map((name) => ({ name })),
    fc.record({ name: nameText, filename: nameText, contentType: fc.constantFrom('text/plain', 'application/octet-stream') }),
  );
  return fc.record({ info, data, padding: fc.constantFrom('', ' ', '\t ') });
}

function headersOf(info) {
  let h = '';
  if (info.name !== undefined) h += `Content-Disposition: form-data; name="${info.name}"${info.filename !== undefined ? `; filename="${info.filename}"` : ''}\r\n`;
  if (info.contentType !== undefined) h += `Content-Type: ${info.contentType}\r\n`;
  return h;
}

const multipartBody = boundary.chain((b) =>
  fc.record({ parts: fc.array(partFor(b), { maxLength: 5 }), preamble: fc.constantFrom('', 'This is a preamble.', '\r\n'), epilogue: fc.constantFrom('', '\r\n', 'trailing words') }).map((m) => {
    const delimiter = Buffer.from(`\r\n--${b}`, 'latin1');
    const parts = m.parts.filter((p) => !Buffer.concat([p.data, Buffer.from('\r\n')]).includes(delimiter));
    const chunks = [Buffer.from(m.preamble ? `${m.preamble}\r\n` : '', 'latin1')];
    for (const p of parts) chunks.push(Buffer.from(`--${b}${p.padding}\r\n${headersOf(p.info)}\r\n`, 'utf8'), p.data, Buffer.from('\r\n'));
    chunks.push(Buffer.from(`--${b}--${m.epilogue}`, 'latin1'));
    return { boundary: b, parts, body: Buffer.concat(chunks) };
  }),
);

function parseMultipart(b, chunks) {
  const parser = new MultipartParser(b);
  const parts = [];
  for (const c of chunks) {
    for (const tok of parser.push(c)) {
      if (tok.kind === 'part') parts.push({ info: tok.info, data: [] });
      else if (tok.kind === 'data') parts[parts.length - 1].data.push(Buffer.from(tok.chunk));
      else parts[parts.length - 1].ended = true;
    }
  }
  parser.end();
  return parts;
}

export const properties = [
  property('range: any header gives sorted, disjoint, in-bounds ranges, or the whole body, or 416; never a throw', 1500, () =>
    fc.property(
      fc.oneof(
        { weight: 4, arbitrary: fc.array(rangeSpec, { maxLength: 20 }).chain((specs) => fc.constantFrom(',', ', ', ' ,').map((j) => `bytes=${specs.map(specText).join(j)}`)) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
      ),
      fc.oneof(fc.nat(150), fc.constant(2 ** 53 - 1)),
      (header, size) => {
        const d = parseRange(header, size);
        assert.ok(['full', 'unsatisfiable', 'ranges'].includes(d.kind));
        if (d.kind !== 'ranges') return;
        assert.ok(d.ranges.length >= 1 && d.ranges.length <= DEFAULT_MAX_RANGES);
        let previousEnd = -2;
        for (const r of d.ranges) {
          assert.ok(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end < size, JSON.stringify(r));
          assert.ok(r.start > previousEnd + 1, 'sorted, apart and not touching');
          previousEnd = r.end;
        }
      },
    ),
  ),
  property('range: satisfiable specs cover exactly the bytes RFC 9110 says', 1000, () =>
    fc.property(fc.array(rangeSpec, { maxLength: 18 }), fc.nat(120), (specs, size) => {
      const want = expectedRanges(specs, size);
      if (want === undefined) return;
      const d = parseRange(`bytes=${specs.map(specText).join(',')}`, size);
      assert.equal(d.kind, want.kind);
      if (d.kind !== 'ranges') return;
      const covered = new Set();
      for (const r of d.ranges) for (let i = r.start; i <= r.end; i++) covered.add(i);
      assert.deepEqual([...covered].sort((a, b) => a - b), [...want.covered].sort((a, b) => a - b));
    }),
  ),
  property('paths: any request target resolves inside the root, or is refused', 1000, ({ served }) =>
    fc.property(target, fc.constantFrom('allow', 'deny', 'ignore'), fc.boolean(), (t, dotfiles, windows) => {
      const p = decodeRequestPath(t, { windows });
      if (isRefusal(p)) {
        assert.ok([400, 403].includes(p.status), JSON.stringify(p));
        return;
      }
      for (const s of p.segments) assert.ok(s !== '..' && !s.includes('/') && !s.includes('\\') && !s.includes('\0'), s);
      const r = resolveInRoot(served, p.segments, { dotfiles });
      if (!isRefusal(r)) {
        assert.ok(isInside(served.root, r.abs), `${t} -> ${r.abs}`);
        assert.ok(isInside(served.realRoot, r.real), `${t} -> ${r.real} leaves the root`);
        if (dotfiles !== 'allow') assert.ok(hidesDotfiles(served, r.real), `${t} reaches a dotfile: ${r.real}`);
      }
      const followed = resolveInRoot(served, p.segments, { dotfiles, followSymlinks: true });
      if (!isRefusal(followed)) assert.ok(isInside(served.root, followed.abs), `${t} -> ${followed.abs}`);
      const w = resolveForWrite(served, p.segments, dotfiles);
      if (!isRefusal(w)) {
        assert.ok(isInside(served.realRoot, w.dir), `${t}: a write would go to ${w.dir}`);
        if (dotfiles !== 'allow') assert.ok(hidesDotfiles(served, w.dir), `${t}: a write would go under a dotfile: ${w.dir}`);
      }
    }),
  ),
  property('multipart: any body, any chunking: the parts as sent, headers or none', 600, () =>
    fc.property(multipartBody.chain((m) => chunkedBytes(fc.constant(m.body)).map((c) => ({ ...m, ...c }))), ({ boundary: b, parts, bytes, cuts }) => {
      const got = parseMultipart(b, split(bytes, cuts));
      assert.equal(got.length, parts.length);
      got.forEach((g, i) => {
        assert.deepEqual(g.info, { ...parts[i].info }); // fast-check's records have no prototype
        assert.equal(Buffer.concat(g.data).toString('hex'), parts[i].data.toString('hex'));
        assert.ok(g.ended);
      });
    }),
  ),
  property('multipart: a damaged body is parsed or refused with an upload error, never anything else', 600, () =>
    fc.property(
      multipartBody.chain((m) =>
        fc.record({ at: fc.nat(m.body.length), cut: fc.nat(8), insert: fc.uint8Array({ maxLength: 6 }) }).map((d) => ({
          ...m,
          body: Buffer.concat([m.body.subarray(0, d.at), Buffer.from(d.insert), m.body.subarray(Math.min(m.body.length, d.at + d.cut))]),
        })),
      ).chain((m) => chunkedBytes(fc.constant(m.body)).map((c) => ({ ...m, ...c }))),
      ({ boundary: b, bytes, cuts }) => {
        try {
          parseMultipart(b, split(bytes, cuts));
        } catch (err) {
          assert.ok(err instanceof UploadError, `not an upload error: ${err}`);
        }
      },
    ),
  ),
];

export const setup = pathFixture;
