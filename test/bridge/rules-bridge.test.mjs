// Rules and builder messages through the bridge: shapes checked before use, rules changed while a server runs with hits counted, {counter} counting from one send to the next.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { checkPageMessage } from '../../dist/bridge/page-message.js';
import { SessionHub } from '../../dist/bridge/session-hub.js';
import { waitFor } from '../helpers/index.mjs';

const evil = { toString: 0, valueOf: 0 };

test('set-rules and builder messages of the wrong shape get a usage error naming the field', () => {
  const cases = [
    [{ type: 'set-rules', req: 1, session: 's1', rules: evil }, 'rules'],
    [{ type: 'set-rules', req: 2, session: 's1', rules: [evil] }, 'rules.0.match'],
    [{ type: 'set-rules', req: 3, session: 's1', rules: [{ match: 'a', reply: 'b' }, { match: 'x', reply: 7 }] }, 'rules.1.reply'],
    [{ type: 'set-rules', req: 4, session: 's1', rules: [{ match: 'a', action: 'constructor' }] }, 'rules.0.action'],
    [{ type: 'set-rules', req: 5, session: 's1', rules: [{ match: 'a', reply: 'b', delayMs: -1 }] }, 'rules.0.delayMs'],
    [{ type: 'set-rules', req: 6, session: 's1', rules: [{ match: 'a', reply: 'b', count: 0 }] }, 'rules.0.count'],
    [{ type: 'set-rules', req: 7, session: 's1', rules: [{ match: 'a', reply: 'b', enabled: 'yes' }] }, 'rules.0.enabled'],
    [{ type: 'set-rules', req: 8, session: 's1', rules: [{ match: 'a', reply: 'b', __proto__: 1, then: 'x' }] }, 'rules.0.match'],
    [{ type: 'set-rules', req: 9, session: 's1', rules: Array.from({ length: 201 }, () => ({ match: 'a', action: 'ignore' })) }, 'rules'],
    [{ type: 'send', req: 10, session: 's1', target: 'all', payload: { kind: 'message', source: evil } }, 'message'],
    [{ type: 'send', req: 11, session: 's1', target: 'all', payload: { kind: 'message', source: 'x', eol: 'toString' } }, 'message'],
    [{ type: 'send', req: 12, session: 's1', target: 'all', payload: { kind: 'hex', hex: '01', eol: 'lf' } }, 'message'],
  ];
  for (const [msg, field] of cases) {
    const r = checkPageMessage(msg);
    assert.equal(r.ok, false, JSON.stringify(msg));
    assert.equal(r.error.field, field, `${JSON.stringify(msg)}: ${r.error.message}`);
  }
  assert.equal(checkPageMessage({ type: 'set-rules', req: 13, session: 's1', rules: [{ match: 'PING', reply: 'PONG', enabled: false }] }).ok, true);
});

test('a server started with no rules gets them while it runs: first match wins, hits counted, a bad rule changes nothing', async (t) => {
  const hub = new SessionHub();
  t.after(() => hub.closeAll());
  const info = await hub.create({ kind: 'tcp-server', host: '127.0.0.1', port: 0, encoding: 'utf8', frame: 'line' });
  assert.throws(() => hub.setRules(info.id, [{ match: 'PING', reply: '{crc17}' }]), (e) => e.wire.field === 'rules.0.reply' && /unknown builder \{crc17\} at column 1/.test(e.message));
  assert.throws(() => hub.setRules(info.id, [{ match: 'hex:0', reply: 'x' }]), (e) => e.wire.field === 'rules.0.match');
  hub.setRules(info.id, [{ match: 'PING', reply: 'PONG' }, { match: '/^GET (?<what>\\w+)$/', reply: 'got {what}' }, { match: 'any', reply: 'off', enabled: false }]);
  assert.equal(hub.list()[0].spec.rules.length, 3, 'the spec keeps them for a restart');
  const c = net.connect(hub.list()[0].port, '127.0.0.1');
  t.after(() => c.destroy());
  let got = '';
  c.on('data', (d) => (got += d));
  c.write('PING\nGET time\nPING\nnothing\n');
  await waitFor(() => got === 'PONGgot timePONG', { what: 'two PONGs and a capture', detail: () => JSON.stringify(got) });
  await waitFor(() => hub.stats()[info.id].ruleHits?.join() === '2,1,0', { what: 'hits 2, 1, 0', detail: () => JSON.stringify(hub.stats()[info.id]) });
  // reordered: hits follow their rules
  hub.setRules(info.id, [{ match: '/^GET (?<what>\\w+)$/', reply: 'got {what}' }, { match: 'PING', reply: 'PONG' }]);
  assert.deepEqual(hub.stats()[info.id].ruleHits, [1, 2]);
  await assert.rejects(async () => hub.setRules('s9', []), /there is no session s9/);
});

test('a builder message with {counter} counts on from one send to the next, and in a cyclic send', async (t) => {
  const hub = new SessionHub({ minIntervalMs: 10 });
  t.after(() => hub.closeAll());
  const info = await hub.create({ kind: 'tcp-server', host: '127.0.0.1', port: 0, encoding: 'utf8', frame: 'raw' });
  const c = net.connect(hub.list()[0].port, '127.0.0.1');
  t.after(() => c.destroy());
  let got = Buffer.alloc(0);
  c.on('data', (d) => (got = Buffer.concat([got, d])));
  await waitFor(() => hub.stats()[info.id].clientsTotal === 1, { what: 'the client connected' });
  const payload = { kind: 'message', source: '#{counter}{xor8}', eol: 'lf' };
  await hub.send(info.id, 'all', payload);
  await hub.send(info.id, 'all', payload);
  await waitFor(() => got.length === 8, { what: 'two messages' });
  assert.deepEqual(got, Buffer.from([0x23, 0x31, 0x23 ^ 0x31, 0x0a, 0x23, 0x32, 0x23 ^ 0x32, 0x0a]));
  await hub.send(info.id, 'all', { kind: 'message', source: 'n{counter:2},' }, 10);
  await waitFor(() => got.includes('n03,'), { what: 'three cyclic sends', detail: () => got.toString('latin1') });
  hub.stopCyclicSend(info.id);
  assert.ok(got.subarray(8).toString().startsWith('n01,n02,n03,'), got.toString('latin1'));
  await assert.rejects(hub.send(info.id, 'all', { kind: 'message', source: 'x{crc17}' }), (e) => e.wire.field === 'message' && /unknown builder \{crc17\}/.test(e.message));
});
