import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { compileTemplate, unescapeText, UsageError } from '../../dist/index.js';

const ctx = { data: 'alice', peer: '127.0.0.1:5000', n: 3 };

test('fields and escapes', () => {
  assert.equal(compileTemplate('Hello, {data}!\\n').render(ctx).toString(), 'Hello, alice!\n');
  assert.equal(compileTemplate('{n}:{peer}\\r\\n\\t\\\\').render(ctx).toString(), '3:127.0.0.1:5000\r\n\t\\');
  assert.deepEqual([...compileTemplate('\\x00\\xff{n}').render(ctx)], [0, 0xff, 0x33]);
});

test('literal braces that are not fields stay', () => {
  assert.equal(compileTemplate('{"ok":true,"n":{n}}').render(ctx).toString(), '{"ok":true,"n":3}');
});

test('text is encoded in the chosen encoding, \\xHH stays a raw byte', () => {
  const out = compileTemplate('收到:{data}\\x0a', 'gbk').render({ ...ctx, data: '世界' });
  assert.equal(out.toString('hex'), 'cad5b5bd3a' + 'cac0bde7' + '0a');
});

test('constant templates are detected', () => {
  assert.equal(compileTemplate('ACK!').isConstant, true);
  assert.equal(compileTemplate('{data}').isConstant, false);
});

test('unknown escapes are usage errors', () => {
  assert.throws(() => compileTemplate('bad \\q'), (e) => e instanceof UsageError && /unknown escape '\\q' at column 5/.test(e.message));
});

test('unescapeText leaves fields alone', () => {
  assert.equal(unescapeText('PING {data}\\r\\n').toString(), 'PING {data}\r\n');
});

// CPU time of this process, in ms (other processes on a busy machine do not count).
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function compileCpuMs(source) {
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const t0 = cpuMs();
    const out = compileTemplate(source).render(ctx);
    best = Math.min(best, cpuMs() - t0);
    assert.equal(out.length, source.length);
  }
  return best;
}

test('a template of a million unclosed braces compiles in linear time', () => {
  compileCpuMs('{'.repeat(64 * 1024)); // warm up
  const quarter = compileCpuMs('{'.repeat(256 * 1024));
  const whole = compileCpuMs('{'.repeat(1024 * 1024));
  // four times the length: about four times the time when linear, sixteen when quadratic
  assert.ok(whole / Math.max(quarter, 1) < 8, `256 Ki braces took ${quarter.toFixed(1)} ms, 1 Mi ${whole.toFixed(1)} ms`);
  assert.equal(compileTemplate('{{{data}{n}{').render(ctx).toString(), '{{alice3{');
});
