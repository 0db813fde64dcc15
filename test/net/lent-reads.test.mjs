// A streaming peer's reads reach an echo server's answers without a copy: no byte may change while its answer waits.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { listenTcp } from '../../dist/index.js';
import { assertStreamsEchoed, waitFor } from '../helpers/index.mjs';

test('an echo keeps every byte of several streams whose answers queue behind slow readers', async (t) => {
  const s = await listenTcp({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => s.close(100));
  await assertStreamsEchoed(s.port);
});

test('an observer that starts listening in the middle of a stream gets each message as it was read, not the bytes after it', async (t) => {
  const s = await listenTcp({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => s.close(100));
  const sent = randomBytes(48 * 1024 * 1024);
  const socket = net.connect(s.port, '127.0.0.1');
  t.after(() => socket.destroy());
  const back = createHash('sha256');
  let backBytes = 0;
  socket.on('data', (b) => {
    back.update(b);
    backBytes += b.length;
  });
  const kept = [];
  for (let at = 0; at < sent.length; at += 256 * 1024) socket.write(sent.subarray(at, at + 256 * 1024));
  // the observer comes once the stream runs on the server's own read buffers, and keeps what it is given
  await waitFor(() => backBytes >= 8 * 1024 * 1024, { what: 'the first 8 MiB echoed before the observer attaches' });
  s.on('event', (e) => e.event === 'data' && kept.push(e.payload));
  socket.end();
  await waitFor(() => backBytes === sent.length, { what: `all ${sent.length} bytes echoed`, detail: () => `${backBytes} so far` });
  assert.equal(back.digest('hex'), createHash('sha256').update(sent).digest('hex'));
  assert.ok(kept.length > 0, 'the observer saw messages');
  const keptBytes = Buffer.concat(kept);
  assert.ok(keptBytes.length < sent.length);
  assert.ok(keptBytes.equals(sent.subarray(sent.length - keptBytes.length)), 'what the observer kept is the end of the stream, byte for byte');
});
