// The assistant's server refuses what it must (raw requests, as an attacker would send them) and serves the page with a CSP.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { uiServer, rawRequest, statusOf, openPage } from './helpers.mjs';
import { nextEvent } from '../helpers/index.mjs';

const get = (path, host, extra = '') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n`;
const upgrade = (path, host, origin) =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${origin === undefined ? '' : `Origin: ${origin}\r\n`}\r\n`;

test('it binds 127.0.0.1 by default and prints a URL carrying the token', async (t) => {
  const ui = await uiServer(t, { host: undefined });
  assert.equal(ui.loopbackOnly, true);
  assert.equal(ui.url, `http://127.0.0.1:${ui.port}/?token=${ui.token}`);
  // nothing answers on the other loopback family, let alone other interfaces
  await assert.rejects(rawRequest(ui.port, get('/', 'x'), '::1').then((a) => (a ? a : Promise.reject(new Error('no answer')))), /ECONN|EADDR|ENET|no answer/);
});

test('the page is served with its token, a CSP and no-referrer', async (t) => {
  const ui = await uiServer(t);
  const host = `127.0.0.1:${ui.port}`;
  const answer = await rawRequest(ui.port, get(`/?token=${ui.token}`, host));
  assert.equal(statusOf(answer), 200);
  assert.match(answer, /content-security-policy: default-src 'none'; script-src 'self'; style-src 'self';[^\r]*connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/i);
  assert.match(answer, /referrer-policy: no-referrer/i);
  assert.match(answer, /x-frame-options: DENY/i);
  assert.match(answer, /cache-control: no-store/i);
  assert.match(answer, new RegExp(`src="/app\\.js\\?token=${ui.token}"`));
  const js = await rawRequest(ui.port, get(`/app.js?token=${ui.token}`, host));
  assert.equal(statusOf(js), 200);
  assert.match(js, /content-type: text\/javascript/i);
});

test('without the token, or with a wrong one, the page and its assets are refused', async (t) => {
  const ui = await uiServer(t);
  const host = `127.0.0.1:${ui.port}`;
  const errors = [];
  ui.on('event', (e) => e.event === 'error' && errors.push(e));
  for (const path of ['/', '/?token=', `/?token=${ui.token.slice(1)}`, '/app.js', `/app.js?token=${ui.token}x`]) {
    const answer = await rawRequest(ui.port, get(path, host));
    assert.equal(statusOf(answer), 403, path);
    assert.match(answer, /needs the token/);
    assert.doesNotMatch(answer, new RegExp(ui.token), 'the answer never leaks the token');
  }
  assert.equal(errors.length, 5);
  assert.match(errors[0].message, /refused GET \/ from 127\.0\.0\.1:\d+: the address needs the token/);
  assert.doesNotMatch(errors[4].message, new RegExp(ui.token), 'the log does not print tokens');
});

test('a Host that is not a loopback name is refused even with the right token (DNS rebinding)', async (t) => {
  const ui = await uiServer(t);
  for (const host of [`rebind.evil.test:${ui.port}`, `localhost.evil.test:${ui.port}`, `10.0.0.7:${ui.port}`, '']) {
    const answer = await rawRequest(ui.port, host ? get(`/?token=${ui.token}`, host) : `GET /?token=${ui.token} HTTP/1.1\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(answer), host === '' ? 400 : 403, host);
    if (host) assert.match(answer, /not a local name/);
  }
  for (const host of [`localhost:${ui.port}`, `[::1]:${ui.port}`, `app.localhost:${ui.port}`]) {
    assert.equal(statusOf(await rawRequest(ui.port, get(`/?token=${ui.token}`, host))), 200, host);
  }
});

test('bound beyond loopback, IP literals are accepted as Host but names still are not', async (t) => {
  const ui = await uiServer(t, { host: '0.0.0.0' });
  assert.equal(ui.loopbackOnly, false);
  assert.equal(statusOf(await rawRequest(ui.port, get(`/?token=${ui.token}`, `192.168.7.7:${ui.port}`))), 200);
  assert.equal(statusOf(await rawRequest(ui.port, get(`/?token=${ui.token}`, `rebind.evil.test:${ui.port}`))), 403);
  assert.equal(statusOf(await rawRequest(ui.port, get('/', `192.168.7.7:${ui.port}`))), 403, 'the token is still required');
});

test('other methods, paths and plain GETs of the socket path are refused', async (t) => {
  const ui = await uiServer(t);
  const host = `127.0.0.1:${ui.port}`;
  assert.equal(statusOf(await rawRequest(ui.port, `POST /?token=${ui.token} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)), 405);
  assert.equal(statusOf(await rawRequest(ui.port, get(`/../../etc/passwd?token=${ui.token}`, host))), 404);
  assert.equal(statusOf(await rawRequest(ui.port, get(`/ws?token=${ui.token}`, host))), 426);
});

test('WebSocket upgrades are refused without the token, with a foreign Origin or Host, or none', async (t) => {
  const ui = await uiServer(t);
  const host = `127.0.0.1:${ui.port}`;
  const origin = `http://${host}`;
  const cases = [
    ['no token', upgrade('/ws', host, origin), /needs the page's token/],
    ['wrong token', upgrade(`/ws?token=x${ui.token}`, host, origin), /needs the page's token/],
    ['foreign origin', upgrade(`/ws?token=${ui.token}`, host, 'http://evil.test'), /Origin 'http:\/\/evil\.test' is not this page's origin/],
    ['another local port', upgrade(`/ws?token=${ui.token}`, host, `http://127.0.0.1:${ui.port + 1}`), /not this page's origin/],
    ['no origin', upgrade(`/ws?token=${ui.token}`, host, undefined), /no Origin/],
    ['rebinding host', upgrade(`/ws?token=${ui.token}`, `rebind.evil.test:${ui.port}`, `http://rebind.evil.test:${ui.port}`), /not a local name/],
    ['wrong path', upgrade(`/socket?token=${ui.token}`, host, origin), /takes no WebSocket/],
  ];
  for (const [what, request, reason] of cases) {
    const answer = await rawRequest(ui.port, request);
    assert.equal(statusOf(answer), 403, what);
    assert.match(answer, reason, what);
    assert.doesNotMatch(answer, /101 Switching/, what);
  }
  assert.equal(ui.bridge.pageCount, 0);
  // and the right one is accepted
  const answer = await rawRequest(ui.port, upgrade(`/ws?token=${ui.token}`, host, origin));
  assert.equal(statusOf(answer), 101);
});

test('a page of another protocol version is told to reload, and nothing works before hello', async (t) => {
  const ui = await uiServer(t);
  const old = await openPage(t, ui, { version: 0 });
  const bye = await old.waitFor((m) => m.type === 'bye');
  assert.match(bye.reason, /protocol version 0, the server 1: reload the page/);
  await nextEvent(old.ws, 'close', { what: 'the server to close the old page\'s socket' });

  const ws = new WebSocket(`ws://127.0.0.1:${ui.port}/ws?token=${ui.token}`, { origin: `http://127.0.0.1:${ui.port}` });
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'create', req: 1, spec: { kind: 'tcp-server', port: 0 } }));
  const [code] = await nextEvent(ws, 'close', { what: 'the server to close a socket that skipped hello', all: true });
  assert.equal(code, 1008);
  assert.equal(ui.bridge.hub.list().length, 0, 'no session was created');
});

test('messages larger than the limit close the page socket', async (t) => {
  const ui = await uiServer(t);
  const page = await openPage(t, ui);
  page.ws.send(JSON.stringify({ type: 'decode', req: 1, encoding: 'gbk', items: ['A'.repeat(2 * 1024 * 1024)] }));
  const [code] = await nextEvent(page.ws, 'close', { what: 'the server to close a socket that sent too much', all: true });
  assert.equal(code, 1009);
});
