// Message builders: catalogue check values for every checksum, variables, ranges, byte order and errors with columns.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { compileMessage, builderNames, UsageError } from '../../dist/index.js';

const hex = (u) => Buffer.from(u).toString('hex');
const render = (src, ctx) => compileMessage(src).render(ctx);

// "123456789" check values from the CRC catalogue (reveng.sourceforge.io/crc-catalogue/all.htm)
const CATALOGUE = {
  crc8: 'f4', // CRC-8/SMBUS
  crc16: '3dbb', // CRC-16/ARC 0xBB3D, low byte first
  crc16modbus: '374b', // CRC-16/MODBUS 0x4B37, low byte first
  crc16xmodem: '31c3', // CRC-16/XMODEM
  crc16ccittfalse: '29b1', // CRC-16/IBM-3740 (CCITT-FALSE)
  crc16kermit: '8921', // CRC-16/KERMIT 0x2189, low byte first
  crc32: 'cbf43926', // CRC-32/ISO-HDLC
  sum8: 'dd', // 0x31+…+0x39 = 477 = 0x1DD
  xor8: '31',
  lrc: '23', // -0xDD mod 256
};

test('every checksum gives its catalogue check value over 123456789', () => {
  for (const [name, want] of Object.entries(CATALOGUE)) {
    assert.equal(hex(render(`123456789{${name}}`)).slice(18), want, name);
  }
  // every checksum offered has a check value here
  for (const name of builderNames().filter((n) => !n.startsWith('len'))) assert.ok(name in CATALOGUE, `${name} has no catalogue value`);
});

test('byte order, ASCII hex and ranges', () => {
  assert.equal(hex(render('123456789{crc16modbus:be}')).slice(18), '4b37');
  assert.equal(Buffer.from(render('123456789{crc16modbus:hex}')).toString().slice(9), '374B');
  // :2- covers from offset 2 up to the builder
  assert.equal(hex(render('\\x00\\x00123456789{crc32:2-}')).slice(22), 'cbf43926');
  assert.equal(hex(render('{hex:aa bb}123456789{crc32:2-10}\\xff')), 'aabb313233343536373839cbf43926ff');
});

test('lengths count the bytes after them; checksums may cover them', () => {
  assert.equal(hex(render('{len16be}{hex:01 02 03}')), '0003010203');
  assert.equal(hex(render('{len8}{hex:01 02}{len16le}{hex:ff}')), '050102' + '0100' + 'ff');
  // the XOR covers the length written before it: 02 ^ 03 ^ 41 ^ 42 = 02
  assert.equal(hex(render('{hex:02}{len8}AB{xor8}')), '0203414202');
});

test('the Modbus read request is built with its CRC', () => {
  assert.equal(hex(render('{hex:01 03 00 00 00 0a}{crc16modbus}')), '01030000000ac5cd');
});

test('variables: data, raw, peer, n, counter, now, unix, random, randint, captures', () => {
  const m = compileMessage('{n}:{peer}:{data}:{raw}');
  assert.equal(Buffer.from(m.render({ n: 3, peer: 'p', data: 'd', raw: Uint8Array.of(0x41) })).toString(), '3:p:d:A');
  const c = compileMessage('#{counter:3}');
  assert.deepEqual([1, 2, 3].map(() => Buffer.from(c.render()).toString()), ['#001', '#002', '#003']);
  assert.match(Buffer.from(render('{now}')).toString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(Buffer.from(render('{now:HH:mm:ss.SSS}')).toString(), /^\d\d:\d\d:\d\d\.\d{3}$/);
  const unix = Number(Buffer.from(render('{unix}')).toString());
  assert.ok(Math.abs(unix - Date.now() / 1000) < 5);
  assert.equal(render('{random:16}').length, 16);
  for (let i = 0; i < 200; i++) {
    const v = Number(Buffer.from(render('{randint:1-6}')).toString());
    assert.ok(v >= 1 && v <= 6 && Number.isInteger(v));
  }
  assert.equal(Buffer.from(compileMessage('{1}-{name}', { captureNames: ['name'] }).render({ captures: { 1: 'a', name: 'b' } })).toString(), 'a-b');
  assert.equal(compileMessage('ACK').isConstant, true);
  assert.equal(compileMessage('{counter}').isConstant, false);
  assert.equal(compileMessage('{data}').readsText, true);
});

test('text is encoded with the given encoder; \\x and {hex:} are raw bytes', () => {
  const gbk = { '世界': [0xca, 0xc0, 0xbd, 0xe7] };
  const m = compileMessage('世界\\x0a{hex:ff}', { encode: (t) => Uint8Array.from(t === '世界' ? gbk[t] : Buffer.from(t)) });
  assert.equal(hex(m.render()), 'cac0bde70aff');
});

test('JSON braces are text; unknown placeholders and bad options are errors naming the column', () => {
  assert.equal(Buffer.from(render('{"ok":true,"n":{n}}', { n: 2 })).toString(), '{"ok":true,"n":2}');
  assert.equal(Buffer.from(render('\\{date\\}')).toString(), '{date}');
  const bad = (src, re) => assert.throws(() => compileMessage(src, { name: '--reply' }), (e) => e instanceof UsageError && re.test(e.message), src);
  bad('0123456789A{crc17}', /^--reply: unknown builder \{crc17\} at column 12; known: .*\{crc16modbus\}/);
  bad('Hi {date}', /unknown variable \{date\} at column 4/);
  bad('{crc16ccitt}', /ambiguous at column 1; .*crc16ccittfalse.*crc16xmodem/);
  bad('{hex:01 0g}', /not a hex digit|hex/);
  bad('{random:0}', /byte count/);
  bad('{randint:9-1}', /range/);
  bad('{crc32:zz}', /unknown option 'zz'/);
  bad('{n:5}', /takes no argument/);
});

test('compiling is linear in the length of the source', () => {
  // CPU time grows about 4x for 4x the input; a quadratic parser would take 16x. CPU time, not
  // wall time, and the best of five, so a busy machine does not decide the result.
  const best = (src) => {
    let min = Infinity;
    for (let i = 0; i < 5; i++) {
      const t = process.cpuUsage();
      try {
        compileMessage(src);
      } catch {
        // errors are fine; time is what is measured
      }
      const d = process.cpuUsage(t);
      min = Math.min(min, (d.user + d.system) * 1000);
    }
    return min;
  };
  for (const unit of ['{', '{a:', '\\x41', 'a']) {
    const small = best(unit.repeat(1 << 16));
    const large = best(unit.repeat(1 << 18));
    assert.ok(large < small * 10 + 20e6, `${JSON.stringify(unit)}: 4x the input took ${(large / small).toFixed(1)}x the time`);
  }
});
