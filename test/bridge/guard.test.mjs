// The checks in front of the browser assistant: token, Host (DNS rebinding), Origin, CSP.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { checkHost, checkOrigin, contentSecurityPolicy, createToken, parseHostHeader, tokenMatches } from '../../dist/bridge/guard.js';
import { isLoopbackHost } from '../../dist/net/address.js';

test('tokens are random, URL-safe and compared exactly', () => {
  const a = createToken();
  const b = createToken();
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(tokenMatches(a, a), true);
  assert.equal(tokenMatches(b, a), false);
  assert.equal(tokenMatches(a.slice(0, -1), a), false);
  assert.equal(tokenMatches(a + 'x', a), false);
  assert.equal(tokenMatches('', a), false);
  assert.equal(tokenMatches(null, a), false);
});

test('Host headers are parsed strictly', () => {
  assert.deepEqual(parseHostHeader('127.0.0.1:8080'), { hostname: '127.0.0.1', port: '8080' });
  assert.deepEqual(parseHostHeader('[::1]:80'), { hostname: '::1', port: '80' });
  assert.deepEqual(parseHostHeader('LocalHost'), { hostname: 'localhost', port: '' });
  for (const bad of ['', 'a b', 'evil.test/x', 'user@localhost', '[::1', '[nope]:80', 'localhost:80:80', 'a;b.localhost', "x'.localhost"]) {
    assert.equal(parseHostHeader(bad), undefined, bad);
  }
});

test('loopback names: localhost, *.localhost, 127/8, ::1 and nothing else', () => {
  for (const ok of ['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1']) assert.equal(isLoopbackHost(ok), true, ok);
  for (const no of ['localhost.evil.test', 'evil.test', '10.0.0.1', '0.0.0.0', '::', '::ffff:127.0.0.1', '128.0.0.1', 'localhostx']) assert.equal(isLoopbackHost(no), false, no);
});

test('a Host that is not a loopback name is refused (DNS rebinding); IP literals pass only when bound beyond loopback', () => {
  assert.equal(checkHost('127.0.0.1:5000', { allowIpLiterals: false }), undefined);
  assert.equal(checkHost('localhost:5000', { allowIpLiterals: false }), undefined);
  assert.equal(checkHost('[::1]:5000', { allowIpLiterals: false }), undefined);
  assert.match(checkHost('rebind.evil.test:5000', { allowIpLiterals: false }), /not a local name.*DNS rebinding/);
  assert.match(checkHost('192.168.1.5:5000', { allowIpLiterals: false }), /not a local name/);
  assert.equal(checkHost('192.168.1.5:5000', { allowIpLiterals: true }), undefined);
  assert.match(checkHost('rebind.evil.test:5000', { allowIpLiterals: true }), /not a local name/);
  assert.match(checkHost(undefined, { allowIpLiterals: true }), /no Host header/);
  assert.match(checkHost('bad host', { allowIpLiterals: true }), /malformed/);
});

test('a WebSocket Origin must be the page origin itself', () => {
  assert.equal(checkOrigin('http://127.0.0.1:5000', '127.0.0.1:5000'), undefined);
  assert.equal(checkOrigin('http://LOCALHOST:5000', 'localhost:5000'), undefined);
  assert.match(checkOrigin('http://127.0.0.1:6000', '127.0.0.1:5000'), /not this page's origin/);
  assert.match(checkOrigin('https://127.0.0.1:5000', '127.0.0.1:5000'), /not this page's origin/);
  assert.match(checkOrigin('http://evil.test', '127.0.0.1:5000'), /not this page's origin/);
  assert.match(checkOrigin('null', '127.0.0.1:5000'), /not this page's origin/);
  assert.match(checkOrigin(undefined, '127.0.0.1:5000'), /no Origin/);
});

test('the CSP allows only our own script and styles, and sockets back to the page host', () => {
  const csp = contentSecurityPolicy('127.0.0.1:5000');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:5000/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe/);
  assert.doesNotMatch(contentSecurityPolicy('a b'), /ws:/);
});
