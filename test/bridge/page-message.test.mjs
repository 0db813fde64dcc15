// What a page may send, checked before use: hostile shapes are refused cleanly, never thrown on.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { checkPageMessage } from '../../dist/bridge/page-message.js';
import { normaliseSpec } from '../../dist/bridge/spec.js';
import { encodePayload } from '../../dist/bridge/payload.js';
import { HubError } from '../../dist/bridge/hub-error.js';
import { UsageError } from '../../dist/index.js';
import { uiServer, openPage } from './helpers.mjs';

const evil = { toString: 0, valueOf: 0 };

test('a hello whose version is an object is refused with a sentence, not thrown on', () => {
  const r = checkPageMessage(JSON.parse('{"type":"hello","version":{"toString":0}}'));
  assert.deepEqual(r, { ok: false, refuse: 'this page speaks protocol version an object, the server 1: reload the page' });
});

test('requests with fields of the wrong shape get a usage error naming the field', () => {
  const cases = [
    [{ type: 'close', req: 1, session: evil }, 'session'],
    [{ type: 'send', req: 2, session: 's1', target: evil, payload: { kind: 'text', text: 'x' } }, 'target'],
    [{ type: 'send', req: 3, session: 's1', target: 'all', payload: { kind: 'text', text: evil } }, 'message'],
    [{ type: 'send', req: 4, session: 's1', target: 'all', payload: { kind: 'text', text: 'x', eol: 'constructor' } }, 'message'],
    [{ type: 'send', req: 5, session: 's1', target: 'all', payload: { kind: 'base64', data: [1] } }, 'message'],
    [{ type: 'send', req: 6, session: 's1', target: 'all', payload: { kind: 'text' }, repeatMs: evil }, 'interval'],
    [{ type: 'disconnect', req: 7, session: 's1', client: evil }, 'client'],
    [{ type: 'decode', req: 8, encoding: evil, items: [] }, 'encoding'],
    [{ type: 'decode', req: 9, encoding: 'gbk', items: [evil] }, 'items'],
    [{ type: 'create', req: 10, spec: 'tcp-server' }, 'spec'],
  ];
  for (const [msg, field] of cases) {
    const r = checkPageMessage(msg);
    assert.equal(r.ok, false, JSON.stringify(msg));
    assert.equal(r.req, msg.req);
    assert.equal(r.error.code, 'SOCKIT_ERR_USAGE');
    assert.equal(r.error.field, field, `${JSON.stringify(msg)}: ${r.error.message}`);
  }
  assert.equal(checkPageMessage({ type: 'bogus', req: 11 }).error.message, "unknown request 'bogus'");
  assert.equal(checkPageMessage({ type: evil, req: 12 }).refuse, 'a message had no type');
  assert.equal(checkPageMessage({ type: 'close', req: evil, session: 's1' }).refuse, "'close' needs a request number");
  assert.equal(checkPageMessage([]).refuse, 'a message was not an object');
  // inherited names are not fields
  assert.equal(checkPageMessage(Object.create({ type: 'hello', version: 1 })).refuse, 'a message had no type');
});

test('session settings of the wrong shape are usage errors naming the field, never internal errors', () => {
  const cases = [
    [{ kind: 'tcp-server', encoding: { toString: '' } }, 'encoding'],
    [{ kind: 'tcp-server', port: evil }, 'port'],
    [{ kind: evil, port: 0 }, 'kind'],
    [{ kind: 'constructor', port: 0 }, 'kind'],
    [{ kind: 'tcp-server', port: 0, reply: evil }, 'reply'],
    [{ kind: 'tcp-client', host: evil, port: 7 }, 'host'],
  ];
  for (const [spec, field] of cases) {
    assert.throws(() => normaliseSpec(spec), (err) => err instanceof HubError && err.wire.code === 'SOCKIT_ERR_USAGE' && err.wire.field === field, JSON.stringify(spec));
  }
  assert.throws(() => normaliseSpec([]), (err) => err instanceof HubError && err.wire.message === 'missing session settings');
});

test('payload line endings and fields are own names and texts only', () => {
  const raw = { kind: 'raw' };
  assert.equal(encodePayload({ kind: 'text', text: 'hi', eol: 'crlf' }, 'utf8', raw).toString(), 'hi\r\n');
  for (const eol of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    assert.throws(() => encodePayload({ kind: 'text', text: 'hi', eol }, 'utf8', raw), (e) => e instanceof UsageError && /line ending must be none, lf or crlf/.test(e.message), eol);
  }
  assert.throws(() => encodePayload({ kind: 'hex', hex: evil }, 'utf8', raw), (e) => e instanceof UsageError);
  assert.throws(() => encodePayload({ kind: evil }, 'utf8', raw), (e) => e instanceof UsageError && /unknown payload kind an object/.test(e.message));
});

test('a hostile page is refused and the server, its sessions and the other pages go on', async (t) => {
  const ui = await uiServer(t);
  const good = await openPage(t, ui);
  const created = await good.request({ type: 'create', spec: { kind: 'tcp-server', port: 0, host: '127.0.0.1' } });
  assert.equal(created.ok, true);
  const hostile = [
    '{"type":"hello","version":{"toString":0}}',
    '{"type":"hello","version":"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"}',
    '{"type":{"toString":0}}',
    '[1,2]',
    'null',
  ];
  for (const text of hostile) {
    const ws = new WebSocket(`ws://127.0.0.1:${ui.port}/ws?token=${ui.token}`, { origin: `http://127.0.0.1:${ui.port}` });
    t.after(() => ws.terminate());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(text);
    const [code] = await new Promise((resolve) => ws.once('close', (...a) => resolve(a)));
    assert.equal(code, 1008, text);
  }
  // a page that said hello properly, then sends fields of every wrong shape
  const rude = await openPage(t, ui);
  const answers = await Promise.all([
    rude.request({ type: 'create', spec: { kind: 'tcp-server', encoding: { toString: '' } } }),
    rude.request({ type: 'send', session: created.session.id, target: 'all', payload: { kind: 'text', text: 'x', eol: 'constructor' } }),
    rude.request({ type: 'close', session: { toString: 0 } }),
    rude.request({ type: 'decode', encoding: 'gbk', items: [{ toString: 0 }] }),
  ]);
  for (const a of answers) {
    assert.equal(a.ok, false);
    assert.equal(a.error.code, 'SOCKIT_ERR_USAGE', JSON.stringify(a));
  }
  assert.equal(answers[0].error.field, 'encoding');
  // the first page and its session are unharmed
  const listed = await good.request({ type: 'close', session: created.session.id });
  assert.equal(listed.ok, true);
  assert.equal(listed.session.state, 'closed');
});

test('an unexpected error closes only that page (1011) and is reported; the others go on', async (t) => {
  const events = [];
  const ui = await uiServer(t);
  ui.on('event', (e) => events.push(e));
  const good = await openPage(t, ui);
  // a fault inside the server, injected where a hello is answered
  const stats = ui.bridge.hub.stats;
  ui.bridge.hub.stats = () => {
    throw new Error('injected fault');
  };
  const doomed = new WebSocket(`ws://127.0.0.1:${ui.port}/ws?token=${ui.token}`, { origin: `http://127.0.0.1:${ui.port}` });
  t.after(() => doomed.terminate());
  await new Promise((resolve, reject) => doomed.once('open', resolve).once('error', reject));
  doomed.send(JSON.stringify({ type: 'hello', version: 1 }));
  const [code] = await new Promise((resolve) => doomed.once('close', (...a) => resolve(a)));
  ui.bridge.hub.stats = stats;
  assert.equal(code, 1011);
  const reported = events.find((e) => e.event === 'error' && e.code === 'SOCKIT_ERR_INTERNAL');
  assert.ok(reported, 'the fault was reported as an error event');
  assert.match(reported.message, /met an unexpected error and was disconnected: Error: injected fault/);
  const created = await good.request({ type: 'create', spec: { kind: 'udp', port: 0, host: '127.0.0.1' } });
  assert.equal(created.ok, true, 'the other page still works');
});
