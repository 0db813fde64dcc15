// One Host/loopback check for the static server and the browser assistant: addresses, names and the Host header policy.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { hostProblem, parseHostHeader } from '../../dist/http/host-header.js';
import { isLoopbackAddress, isLoopbackHost, escapeControl } from '../../dist/index.js';

test('loopback addresses: 127.0.0.0/8 and ::1 in every spelling, nothing else', () => {
  for (const ok of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '0000::0001', '::0:1']) assert.equal(isLoopbackAddress(ok), true, ok);
  for (const no of ['128.0.0.1', '10.0.0.1', '0.0.0.0', '::', '1::', '::2', '::ffff:127.0.0.1', 'localhost', '127.0.0.1.evil.test', '']) {
    assert.equal(isLoopbackAddress(no), false, no);
  }
});

test('loopback hosts add localhost and *.localhost (RFC 6761)', () => {
  for (const ok of ['localhost', 'LocalHost', 'app.localhost', '127.0.0.2', '::1']) assert.equal(isLoopbackHost(ok), true, ok);
  for (const no of ['localhost.evil.test', 'localhostx', 'evil.test', '0.0.0.0']) assert.equal(isLoopbackHost(no), false, no);
});

test('the Host policy: loopback names always, IP literals and listed names when allowed, a missing Host only when allowed', () => {
  const strict = { ipLiterals: false };
  const server = { ipLiterals: true, allowMissing: true, names: new Set(['dev.example']) };
  assert.equal(hostProblem('localhost:8000', strict), undefined);
  assert.equal(hostProblem('[::1]:8000', strict), undefined);
  assert.match(hostProblem('10.0.0.5:8000', strict), /not a local name/);
  assert.equal(hostProblem('10.0.0.5:8000', server), undefined);
  assert.equal(hostProblem('[fd00::5]', server), undefined);
  assert.equal(hostProblem('DEV.example:8000', server), undefined);
  assert.match(hostProblem('rebind.evil.test', server), /not a local name \(a defence against DNS rebinding\)/);
  assert.equal(hostProblem(undefined, server), undefined);
  assert.match(hostProblem(undefined, strict), /no Host header/);
  assert.deepEqual(parseHostHeader('[::1]:80'), { hostname: '::1', port: '80' });
});

test('a refused Host is quoted with its control characters escaped', () => {
  assert.equal(hostProblem('evil\x9b2J', { ipLiterals: true }), "the Host header 'evil\\x9b2J' is malformed");
  assert.equal(escapeControl('a\x1b[31m\r\n\t\x7f\x85'), 'a\\x1b[31m\\r\\n\\t\\x7f\\x85');
});
