// Rules: each kind of match, captures, modifiers, and errors that say what is wrong.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { parseRule, matchRule, UsageError } from '../../dist/index.js';

const bytes = (s) => Buffer.from(s);
const m = (rule, data, text = Buffer.from(data).toString()) => matchRule(parseRule(rule), typeof data === 'string' ? bytes(data) : data, text);

test('text, prefix, contains, regex, hex with wildcards, len, any, and && combinations', () => {
  assert.ok(m('PING => PONG', 'PING'));
  assert.equal(m('PING => PONG', 'PINGS'), undefined);
  assert.ok(m('prefix:AT+ => OK', 'AT+CSQ'));
  assert.equal(m('prefix:AT+ => OK', 'XAT+'), undefined);
  assert.ok(m('contains:ERR => !', 'an ERROR here'));
  assert.deepEqual({ ...m('/^GET (\\S+)/ => {1}', 'GET /x HTTP/1.1') }, { 0: 'GET /x', 1: '/x' });
  assert.equal(m('/ping/i => pong', 'PING')[0], 'PING');
  assert.ok(m('hex:01 03 ?? ?? ?? ?? => x', Buffer.from('01030000000ac5cd', 'hex'), undefined));
  assert.equal(m('hex:01 04 => x', Buffer.from('0103', 'hex'), undefined), undefined);
  assert.equal(m('hex:01 03 00 => x', Buffer.from('0103', 'hex'), undefined), undefined);
  assert.ok(m('len>3 => big', 'abcd'));
  assert.equal(m('len>3 => big', 'abc'), undefined);
  assert.ok(m('len<=3 && prefix:a => small a', 'abc'));
  assert.equal(m('len<=3 && prefix:a => small a', 'bbc'), undefined);
  assert.ok(m('any => ok', ''));
  assert.deepEqual(m('/(?<cmd>\\w+) (?<arg>\\w+)/ => {cmd}', 'set x').cmd, 'set');
});

test('actions and modifiers', () => {
  const r = parseRule('PING => delay:200 count:3 then:close PONG\\n');
  assert.equal(r.action, 'reply');
  assert.equal(r.delayMs, 200);
  assert.equal(r.count, 3);
  assert.equal(r.then, 'close');
  assert.equal(Buffer.from(r.message.render()).toString(), 'PONG\n');
  for (const a of ['close', 'reset', 'ignore']) assert.equal(parseRule(`x => ${a}`).action, a);
  assert.equal(Buffer.from(parseRule('x => reply:close').message.render()).toString(), 'close');
  // a regex may contain =>
  assert.equal(parseRule('/a=>b/ => yes').conditions[0].re.source, 'a=>b');
  // objects, as a rules file writes them
  const o = parseRule({ match: 'hex:01 03', reply: '{hex:01 03 02 00 2a}{crc16modbus}', delayMs: 5, enabled: false });
  assert.equal(o.enabled, false);
  // CRC-16/MODBUS of 01 03 02 00 2a is 0x9B39, sent low byte first
  assert.equal(Buffer.from(o.message.render()).toString('hex'), '010302002a399b');
  // named captures may be used in the reply
  assert.equal(Buffer.from(parseRule('/(?<name>\\w+)/ => hi {name}').message.render({ captures: { name: 'ann' } })).toString(), 'hi ann');
});

test('bad rules are usage errors that say what is wrong', () => {
  const bad = (rule, re) => assert.throws(() => parseRule(rule), (e) => e instanceof UsageError && re.test(e.message), String(rule));
  bad('PING PONG', /<match> => <action>/);
  bad('hex:01 0g => x', /'0g' in a hex pattern/);
  bad('/(/ => x', /^rule: .*regular expression/i);
  bad('x => delay:soon hi', /delay:soon/);
  bad('x => count:0 hi', /count:0/);
  bad('x => then:later hi', /then:later/);
  bad('x => ', /nothing to do/);
  bad('x => {nope}', /unknown variable \{nope\}/);
  bad({ match: 1 }, /match must be text/);
  bad({ match: 'x' }, /needs a reply or an action/);
  bad({ match: 'x', action: 'explode' }, /action must be close, reset or ignore/);
});
