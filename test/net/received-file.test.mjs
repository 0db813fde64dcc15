// saveReceived on the session core: every peer's bytes, as they arrived, in one file, for TCP, UDP and WebSocket sessions alike; a file that exists is refused unless replaced on purpose.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listenTcp, connectTcp, listenWs, UdpSocket } from '../../dist/index.js';
import { exchange, runPeer, run, tmpDir, waitFor, requirePeer, PEERS } from '../helpers/index.mjs';

test('a TCP server and a TCP client save what they receive, byte for byte', async (t) => {
  const dir = tmpDir(t);
  const server = await listenTcp({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => server.close());
  const serverFile = server.saveReceived(join(dir, 'server.bin'));
  const client = await connectTcp({ host: '127.0.0.1', port: server.port });
  const clientFile = client.saveReceived(join(dir, 'client.bin'));
  await client.send(Buffer.from([0, 1, 2, 255]));
  await waitFor(() => clientFile.bytes === 4, { what: 'the echo saved by the client' });
  await exchange(server.port, 'from another peer', { expect: 0 });
  await waitFor(() => serverFile.bytes === 21, { what: 'both peers\' bytes saved by the server' });
  await client.close();
  await server.close();
  await serverFile.finish();
  assert.equal(serverFile.path, join(dir, 'server.bin'));
  assert.deepEqual(readFileSync(join(dir, 'client.bin')), Buffer.from([0, 1, 2, 255]));
  assert.equal(readFileSync(join(dir, 'server.bin')).toString('latin1'), '\x00\x01\x02\xfffrom another peer');
});

test('a UDP socket saves each datagram and a WebSocket server each message, from python peers', async (t) => {
  const dir = tmpDir(t);
  const udp = await new UdpSocket({ port: 0, host: '127.0.0.1', echo: true }).open();
  t.after(() => udp.close());
  const udpFile = udp.saveReceived(join(dir, 'udp.bin'));
  const py = await runPeer('udp_client.py', ['127.0.0.1', udp.port, 'one', 'two']);
  assert.equal(py.stdout, 'one\ntwo\n');
  await udp.close();
  await udpFile.finish();
  assert.equal(readFileSync(join(dir, 'udp.bin'), 'utf8'), 'onetwo');
  if (!requirePeer(t, 'python3-websockets')) return;
  const ws = await listenWs({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => ws.close());
  const wsFile = ws.saveReceived(join(dir, 'ws.bin'));
  const r = await run('/usr/bin/python3', [join(PEERS, 'ws_client.py'), `ws://127.0.0.1:${ws.port}/`, 'héllo', ' 世界']);
  assert.equal(r.code, 0, r.stderr);
  await waitFor(() => wsFile.bytes === Buffer.byteLength('héllo 世界'), { what: 'both messages saved' });
  await ws.close();
  await wsFile.finish();
  assert.equal(readFileSync(join(dir, 'ws.bin'), 'utf8'), 'héllo 世界');
});

test('a file that exists is refused (nothing is written to it) unless overwrite', async (t) => {
  const dir = tmpDir(t);
  const path = join(dir, 'kept.bin');
  writeFileSync(path, 'precious');
  const server = await listenTcp({ port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  assert.throws(() => server.saveReceived(path), { code: 'SOCKIT_ERR_USAGE', message: /^saveTo: cannot write '.*kept\.bin': it exists already/ });
  assert.equal(readFileSync(path, 'utf8'), 'precious');
  const replaced = server.saveReceived(path, { overwrite: true });
  await exchange(server.port, 'new', { expect: 0 });
  await waitFor(() => replaced.bytes === 3, { what: 'the bytes saved' });
  await server.close();
  await replaced.finish();
  assert.equal(readFileSync(path, 'utf8'), 'new');
});
