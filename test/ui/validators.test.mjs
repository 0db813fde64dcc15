// The page's checks and the core's parsers agree, input by input: the page runs the very parsers and builders the CLI and the bridge run.
import { test } from '../helpers/test.mjs';
import net from 'node:net';
import assert from 'node:assert/strict';
import { parseEndpoint, parseHex, parseHost, parseInteger, parsePort, parseSize, ipVersion, hexMessageSource, compileMessage } from '../../dist/index.js';
import { normaliseSpec } from '../../dist/bridge/spec.js';
import { encodePayload } from '../../dist/bridge/payload.js';
import { INTERVAL_NAME, MAX_INTERVAL_MS } from '../../dist/bridge/protocol.js';
import { importForBrowser } from './page-code.mjs';

// the page's validators and the wire parsers, built for the browser as the page's bundle is
const page = await importForBrowser(`
  export * from './src/ui/validate.ts';
  export { parseSize as browserParseSize } from './src/wire/endpoint.ts';
`);

/** The sentence `fn` throws, or undefined when it returns. */
function refusal(fn) {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err.message;
  }
}

/** The sentence the bridge refuses a spec with, when it is about `field`. */
function specRefusal(spec, field) {
  try {
    normaliseSpec(spec);
    return undefined;
  } catch (err) {
    assert.equal(err.wire.field, field, `${JSON.stringify(spec)}: ${err.message}`);
    return err.wire.message;
  }
}

const PORTS = ['0', '1', '80', ' 8080 ', '65535', '65536', '70000', '-1', '80a', '1e3', '0x50', '3.5', '', '08', '٣'];
const HOSTS = ['127.0.0.1', 'localhost', ' example.com ', '::1', '[::1]', 'fe80::1%eth0', '::ffff:10.0.0.5', '1::2::3', ':::', 'gggg::1', '[::1', 'a b', 'a/b', '10.0.0.1:80'];
const ENDPOINTS = [
  '127.0.0.1:9000', ' 10.0.0.1:53 ', '[::1]:9000', '[fe80::1%eth0]:53', '9000', 'localhost:1', 'localhost:0', '0', '1::2:9000', 'host:', 'host:70000',
  '[::1]:x', 'a b:80', '[1::2::3]:80', ':80', 'host:port',
];
const HEX = ['01 03 "AT" \\r\\n', '"a \\"quoted\\" {word}" 0d0a', '01 "open', '"\\q"', '48 65 6c', '48656c', '0x48,0x65,0x6C', '0x5', '48:65-6c;0a', '\\x48\\x65', ' 48 65\n6c ', '', '486', '48 6g', 'zz', '0x', '0xg1', '\\x4', '\\x123', '\\xzz', '12 3'];
const SIZES = ['64', '16k', '16KiB', '1.5k', '16MiB', '1g', '0', '-1', '10 q', '', 'k', '1e3', ' 2 mb '];
const TEMPLATES = ['ACK {data}\\r\\n', '{hex:01 03}{crc16modbus}', '{n}: {peer}', '\\x41\\{', '', 'bad \\q', '{nope}', '{hex:0g}', '{crc16', '\\x4', 'trailing \\'];
const INTERVALS = ['10', '1000', '86400000', '86400001', '9', '0', '-5', '1.5', 'abc', '', ' 30 '];

test('ports: the page, the CLI and the bridge give the same answer', () => {
  for (const v of PORTS) {
    for (const allowZero of [true, false]) {
      const core = refusal(() => parsePort(v, 'port', { allowZero }));
      assert.equal(page.checkPort(v, allowZero), core, `'${v}' allowZero=${allowZero}`);
      const spec = allowZero ? { kind: 'tcp-server', port: v } : { kind: 'tcp-client', host: 'localhost', port: v };
      assert.equal(specRefusal(spec, 'port'), core, `bridge, '${v}' allowZero=${allowZero}`);
    }
  }
  assert.equal(page.checkPort('8080', true), undefined);
  assert.match(page.checkPort('70000', true), /^port must be a whole number from 0 to 65535, got '70000'$/);
});

test('hosts: the page, the CLI and the bridge give the same answer', () => {
  let refused = 0;
  for (const v of HOSTS) {
    const core = refusal(() => parseHost(v, 'host'));
    if (core) refused++;
    assert.equal(page.checkHost(v, false), core, `'${v}'`);
    assert.equal(page.checkHost(v, true), core, `'${v}' (required)`);
    assert.equal(specRefusal({ kind: 'tcp-server', port: 0, host: v }, 'host'), core, `bridge, '${v}'`);
  }
  assert.ok(refused >= 6 && refused < HOSTS.length, 'the table holds good and bad hosts');
  // an empty host means every interface for a server, and is a problem only where one is needed
  assert.equal(page.checkHost('  ', false), undefined);
  assert.equal(page.checkHost('', true), 'give a host name or an IP address');
});

test('IP literals are judged as Node judges them, without node:net', () => {
  for (const v of ['::1', '::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::8', '::ffff:1.2.3.4', 'fe80::1%eth0', 'fe80::1%', '1:2:3:4:5:6:7:8:9', '1::2::3', '::1.2.3', '::256.1.1.1', '12345::', 'g::', '1.2.3.4', '01.2.3.4', ' ::1']) {
    assert.equal(ipVersion(v), net.isIP(v), v);
  }
  // and on strings pieced together from the parts addresses are made of (a fixed sequence, bounded)
  const parts = ['0', '1', 'f', 'ffff', 'fffff', 'g', ':', '::', '.', '1.2.3.4', '255.255.255.255', '256.1.1.1', '01.2.3.4', '%', '%eth0', '%a:b.c-d', ' ', '::ffff:', '1:2:3:4:5:6:'];
  let seed = 7;
  const next = (n) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  let addresses = 0;
  for (let i = 0; i < 20_000; i++) {
    let v = '';
    for (let j = 1 + next(8); j > 0; j--) v += parts[next(parts.length)];
    if (net.isIP(v)) addresses++;
    assert.equal(ipVersion(v), net.isIP(v), JSON.stringify(v));
  }
  assert.ok(addresses > 500, `the sequence holds addresses too (${addresses})`);
});

test('endpoints to send to: the page, the CLI and the bridge give the same answer', () => {
  for (const v of ENDPOINTS) {
    const core = refusal(() => parseEndpoint(v, 'remote', undefined, { allowZero: false }));
    assert.equal(page.checkEndpoint(v, false, 'remote'), core, `'${v}'`);
    assert.equal(specRefusal({ kind: 'udp', port: 0, remote: v }, 'remote'), core, `bridge, '${v}'`);
    assert.equal(page.checkEndpoint(v, true, 'target'), refusal(() => parseEndpoint(v, 'target', undefined, { allowZero: false })), `target '${v}'`);
  }
  assert.equal(page.checkEndpoint('9000', true, 'target'), undefined, 'a bare port is on 127.0.0.1, as everywhere');
  assert.match(page.checkEndpoint('localhost:0', false, 'remote'), /^remote port must be a whole number from 1 to 65535, got '0'$/);
  assert.equal(page.checkEndpoint('', true, 'target'), 'give an address as host:port');
  assert.equal(page.checkEndpoint('', false, 'remote'), undefined);
});

test('hex: the page counts the bytes the CLI and the bridge would send, or shows their sentence', () => {
  for (const v of HEX) {
    const core = refusal(() => compileMessage(hexMessageSource(v, 'hex'), { name: 'hex' }));
    if (!/["\\][^x]/.test(v)) assert.equal(core, refusal(() => parseHex(v, 'hex')), `plain hex reads as the CLI's --send-hex reads it, '${v}'`);
    const bridge = refusal(() => encodePayload({ kind: 'hex', hex: v }, 'utf8', { kind: 'raw' }));
    assert.equal(bridge, core, `bridge, '${v}'`);
    assert.deepEqual(page.checkHex(v), core ? { error: core } : { bytes: encodePayload({ kind: 'hex', hex: v }, 'utf8', { kind: 'raw' }).length }, `'${v}'`);
  }
  assert.deepEqual([...encodePayload({ kind: 'hex', hex: '01 03 "AT" \\r\\n' }, 'utf8', { kind: 'raw' })], [1, 3, 0x41, 0x54, 13, 10]);
  assert.deepEqual([...encodePayload({ kind: 'hex', hex: 'ff "你好"' }, 'gbk', { kind: 'raw' })], [0xff, 0xc4, 0xe3, 0xba, 0xc3], 'quoted text in the session\'s encoding');
  assert.deepEqual(page.checkHex('01 "open'), { error: 'hex: the quote at position 4 is not closed; end the text with "' });
  assert.deepEqual(page.checkHex('01 03 00 0g'), { error: "hex: 'g' at position 11 is not a hex digit (in '01 03 00 0g')" });
  assert.deepEqual(page.checkHex('0x48,0x65,0x6C'), { bytes: 3 });
});

test('templates and escaped text: the page refuses what the bridge refuses, in its words', () => {
  let refused = 0;
  for (const v of TEMPLATES) {
    const bridge = v === '' ? undefined : specRefusal({ kind: 'tcp-server', port: 0, reply: v }, 'reply');
    if (bridge) refused++;
    assert.equal(page.checkTemplate(v, 'reply'), bridge, `reply '${v}'`);
    const sent = refusal(() => encodePayload({ kind: 'text', text: v, escapes: true }, 'gbk', { kind: 'raw' }));
    assert.equal(page.checkEscapes(v, 'message'), sent, `escaped text '${v}'`);
  }
  assert.ok(refused >= 4 && refused < TEMPLATES.length, 'the table holds good and bad templates');
  assert.match(page.checkEscapes('bad \\q', 'message'), /^message: unknown escape '\\q' at column 5/);
});

test('sizes: the browser build of the parser is the CLI parser', () => {
  for (const v of SIZES) {
    for (const [min, max] of [[0, Number.MAX_SAFE_INTEGER], [1, 1024 ** 2]]) {
      let node;
      let browser;
      try {
        node = parseSize(v, '--size', min, max);
      } catch (err) {
        node = err.message;
      }
      try {
        browser = page.browserParseSize(v, '--size', min, max);
      } catch (err) {
        browser = err.message;
      }
      assert.equal(browser, node, `'${v}' ${min}..${max}`);
    }
  }
  assert.equal(page.browserParseSize('16k', 'size'), 16 * 1024);
});

test('cyclic intervals: the page and the bridge refuse the same ones', () => {
  for (const v of INTERVALS) {
    assert.equal(page.checkInterval(v, 10), refusal(() => parseInteger(v, INTERVAL_NAME, 10, MAX_INTERVAL_MS)), `'${v}'`);
  }
  assert.equal(page.checkInterval('9', 10), "the interval in milliseconds must be a whole number from 10 to 86400000, got '9'");
});
