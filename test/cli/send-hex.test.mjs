// --send-hex reads what the page's hex mode reads: hex bytes, \r \n escapes and "quoted text" in the session's encoding.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { runCli, startPeer } from '../helpers/index.mjs';

test('tcp connect --send-hex with a quoted GBK piece and CRLF puts exactly those bytes on the wire', async (t) => {
  const peer = await startPeer(t, 'tcp_echo_threaded.py');
  const r = await runCli(['tcp', 'connect', '127.0.0.1', String(peer.port), '--encoding', 'gbk', '--send-hex', '--send', '01 "你好" \\r\\n', '--wait', '2000']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.raw.toString('hex'), '01c4e3bac30d0a');
});

test('an unclosed quote in --send-hex is a usage error naming where it opened', async () => {
  const r = await runCli(['udp', 'send', '127.0.0.1', '9', '--send-hex', '01 "open']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the quote at position 4 is not closed/);
});
