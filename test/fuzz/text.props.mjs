// Properties of hex and templates: round trips, and errors that point at the character to blame.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileTemplate, encodeText, formatHex, formatHexDump, parseHex, unescapeText, UsageError } from '../../dist/index.js';
import { property } from './harness.mjs';

const twoDigits = (b) => b.toString(16).padStart(2, '0');

/** The forms people type hex in, each built from the bytes. */
const HEX_FORMS = [
  (b) => formatHex(b),
  (b) => formatHex(b, ''),
  (b) => formatHex(b, ':'),
  (b) => formatHex(b, ',').toUpperCase(),
  (b) => [...b].map((x) => `0x${twoDigits(x)}`).join(', '),
  (b) => [...b].map((x) => `0x${x.toString(16)}`).join(' '),
  (b) => [...b].map((x) => `\\x${twoDigits(x)}`).join(''),
  (b) => ` ${formatHex(b, '\n')}\t`,
];

/** Where an error message says the trouble is (1-based), if it says. */
function positionIn(message) {
  const m = / at position (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

const TEMPLATE_ENCODINGS = ['utf8', 'gbk', 'gb18030', 'big5', 'shift_jis', 'latin1'];

/** A template as parts: literal text (escaped into the source) and fields. */
const templateParts = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map((text) => ({ text })) },
    { weight: 1, arbitrary: fc.constantFrom('data', 'peer', 'n').map((field) => ({ field })) },
  ),
  { maxLength: 8 },
);

function sourceOf(parts) {
  return parts.map((p) => (p.field ? `{${p.field}}` : p.text.replace(/\\/g, '\\\\').replace(/\{/g, '\\{'))).join('');
}

export const properties = [
  property('hex: every typed form parses back to the bytes', 1000, () =>
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...HEX_FORMS.keys()), (bytes, form) => {
      assert.deepEqual([...parseHex(HEX_FORMS[form](Buffer.from(bytes)))], [...bytes]);
    }),
  ),
  property('hex: a dump shows every byte at its offset, and its hex columns parse back', 300, () =>
    fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(0xffff), (bytes, offset) => {
      const dump = formatHexDump(Buffer.from(bytes), offset);
      const lines = bytes.length === 0 ? [] : dump.split('\n');
      assert.equal(lines.length, Math.ceil(bytes.length / 16));
      lines.forEach((line, i) => {
        assert.equal(line.slice(0, 8), (offset + 16 * i).toString(16).padStart(8, '0'));
        assert.deepEqual([...parseHex(line.slice(10, 49))], [...bytes.subarray(16 * i, 16 * i + 16)]);
      });
    }),
  ),
  property('hex: any text parses or is refused with a usage error naming a position inside it', 1500, () =>
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxX\\ ,:;-\tgz#é0'), maxLength: 24 }), (text) => {
      try {
        parseHex(text);
      } catch (err) {
        assert.ok(err instanceof UsageError, `not a usage error: ${err}`);
        const at = positionIn(err.message);
        assert.ok(at !== undefined && at >= 1 && at <= text.length, `no position inside the text: ${err.message}`);
        const named = /^hex: '(.)' at position/.exec(err.message);
        if (named) assert.equal(text[at - 1], named[1], err.message);
      }
    }),
  ),
  property('templates: \\xHH escapes render exactly their bytes, in any encoding', 500, () =>
    fc.property(fc.uint8Array({ maxLength: 48 }), fc.constantFrom(...TEMPLATE_ENCODINGS), (bytes, encoding) => {
      const source = [...bytes].map((b) => `\\x${twoDigits(b)}`).join('');
      const t = compileTemplate(source, encoding);
      assert.equal(t.isConstant, true);
      assert.deepEqual([...t.render({ data: 'x', peer: 'y', n: 1 })], [...bytes]);
    }),
  ),
  property('templates: text and fields render as the text encoded with the values in place', 800, () =>
    fc.property(templateParts, fc.constantFrom(...TEMPLATE_ENCODINGS), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.nat(), (parts, encoding, data, n) => {
      const ctx = { data, peer: '127.0.0.1:5000', n };
      const text = parts.map((p) => (p.field ? String(ctx[p.field]) : p.text)).join('');
      // text and values are encoded in runs between fields: compare with the same runs
      const runs = [];
      for (const p of parts) {
        const piece = p.field ? { value: String(ctx[p.field]) } : { text: p.text };
        const last = runs[runs.length - 1];
        if (piece.text !== undefined && last?.text !== undefined) last.text += piece.text;
        else runs.push(piece);
      }
      const expected = Buffer.concat(runs.map((r) => encodeText(r.text ?? r.value, encoding)));
      const t = compileTemplate(sourceOf(parts), encoding);
      assert.equal(t.isConstant, !parts.some((p) => p.field));
      assert.equal(t.render(ctx).toString('hex'), expected.toString('hex'), text);
    }),
  ),
  property('templates: any source compiles or is refused with a usage error pointing at a backslash or a brace', 1500, () =>
    fc.property(fc.string({ unit: fc.constantFrom(...'\\xnrt0{}:datpehcr1fFgq é'), maxLength: 24 }), (source) => {
      for (const compile of [() => compileTemplate(source).render({ data: 'd', peer: 'p', n: 1 }), () => unescapeText(source)]) {
        try {
          compile();
        } catch (err) {
          assert.ok(err instanceof UsageError, `not a usage error: ${err}`);
          const columns = [...err.message.matchAll(/ at column (\d+)/g)];
          const at = columns.length ? Number(columns[columns.length - 1][1]) : undefined;
          assert.ok(at !== undefined && (source[at - 1] === '\\' || source[at - 1] === '{'), `the column does not point at a backslash or a brace: ${err.message}`);
        }
      }
    }),
  ),
];
