// Capture files from real sessions: what the lessons' peers sent and got, microsecond times, gzip by name, bounded memory behind a slow file.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { listenTcp, listenUdp, listenWs, connectTcp, captureSession, CaptureWriter, readCapture, readCaptureRecords, encodeText } from '../../dist/index.js';
import { exchange, runPeer, tmpDir, within, waitFor } from '../helpers/index.mjs';
import { requireWebsockets, runPy } from '../ws/helpers.mjs';

const GREETING = '你好服务端,我是客户端小黑!';

async function gbkServerCapture(t, file) {
  const server = await listenTcp({ port: 0, host: '127.0.0.1', encoding: 'gbk', reply: '收到:{data}' });
  t.after(() => server.close());
  const capture = captureSession(server, file);
  const client = await runPeer('lesson_gbk_client.py', ['127.0.0.1', server.port]);
  assert.equal(client.code, 0, client.stderr);
  await waitFor(() => capture.stats.records >= 5 || undefined, { what: 'the connection to be captured and closed' });
  await server.close();
  const stats = await capture.close();
  return { server, stats };
}

test('the GBK lesson: connect, the greeting in, the answer out, the close, with our end and the peer', async (t) => {
  const file = join(tmpDir(t), 'gbk.ndjson');
  const { server, stats } = await gbkServerCapture(t, file);
  const { header, records, truncated } = await readCapture(file);
  assert.equal(header.capture, 'sockit');
  assert.equal(truncated, false);
  const kinds = records.map((r) => r.event);
  assert.deepEqual(kinds, ['listening', 'connect', 'data', 'data', 'close', 'end']);
  const [listening, connect, din, dout, close] = records;
  assert.equal(listening.port, server.port);
  assert.equal(connect.role, 'accepted');
  assert.equal(connect.protocol, 'tcp');
  assert.equal(connect.local, `127.0.0.1:${server.port}`);
  assert.match(connect.peer, /^127\.0\.0\.1:\d+$/);
  assert.deepEqual([din.dir, din.conn], ['in', connect.conn]);
  assert.deepEqual(Buffer.from(din.b64, 'base64'), encodeText(GREETING, 'gbk'));
  assert.deepEqual(Buffer.from(dout.b64, 'base64'), encodeText(`收到:${GREETING}`, 'gbk'));
  assert.equal(close.how, 'fin');
  // microseconds since the epoch, in order
  assert.ok(Math.abs(header.us / 1000 - Date.now()) < 60_000, `header time ${header.us} is not microseconds of now`);
  for (let i = 1; i < records.length; i++) assert.ok(records[i].us >= records[i - 1].us, `record ${i} goes back in time`);
  assert.equal(stats.bytes, Buffer.from(din.b64, 'base64').length + Buffer.from(dout.b64, 'base64').length);
  assert.equal(stats.droppedRecords, 0);
});

test('a name ending in .gz is written as gzip and read back the same', async (t) => {
  const file = join(tmpDir(t), 'gbk.ndjson.gz');
  await gbkServerCapture(t, file);
  const head = readFileSync(file).subarray(0, 2);
  assert.deepEqual([...head], [0x1f, 0x8b]);
  const { records } = await readCapture(file);
  const data = records.filter((r) => r.event === 'data');
  assert.deepEqual(Buffer.from(data[0].b64, 'base64'), encodeText(GREETING, 'gbk'));
});

test('line framing: the capture keeps the bytes as they crossed the wire, newlines included', async (t) => {
  const file = join(tmpDir(t), 'lines.ndjson');
  const server = await listenTcp({ port: 0, host: '127.0.0.1', frame: { kind: 'line' }, welcome: 'Welcome!\n', reply: 'Hello, {data}!\n', quit: 'exit' });
  t.after(() => server.close());
  const capture = captureSession(server, file);
  const answer = await exchange(server.port, 'alice\nexit\n');
  assert.equal(answer.toString(), 'Welcome!\nHello, alice!\n');
  await server.close();
  await capture.close();
  const { records } = await readCapture(file);
  const bytes = (dir) => Buffer.concat(records.filter((x) => x.event === 'data' && x.dir === dir).map((x) => Buffer.from(x.b64, 'base64'))).toString();
  assert.equal(bytes('in'), 'alice\nexit\n');
  assert.equal(bytes('out'), 'Welcome!\nHello, alice!\n');
});

test('UDP: each datagram and answer, a connection per sender', async (t) => {
  const file = join(tmpDir(t), 'udp.ndjson');
  const server = await listenUdp({ port: 0, host: '127.0.0.1', reply: 'Hello, {data}!' });
  t.after(() => server.close());
  const capture = captureSession(server, file);
  const r = await runPeer('udp_client.py', ['127.0.0.1', server.port, 'Bob', 'Ann']);
  assert.equal(r.stdout, 'Hello, Bob!\nHello, Ann!\n');
  await server.close();
  await capture.close();
  const { records } = await readCapture(file);
  const connect = records.find((x) => x.event === 'connect');
  assert.equal(connect.protocol, 'udp');
  assert.equal(connect.local, `127.0.0.1:${server.port}`);
  const data = records.filter((x) => x.event === 'data').map((x) => `${x.dir} ${Buffer.from(x.b64, 'base64')}`);
  assert.deepEqual(data, ['in Bob', 'out Hello, Bob!', 'in Ann', 'out Hello, Ann!']);
});

test('WebSocket: each message with its type, from a python websockets client', async (t) => {
  if (!requireWebsockets(t)) return;
  const file = join(tmpDir(t), 'ws.ndjson');
  const server = await listenWs({ port: 0, host: '127.0.0.1', echo: true });
  t.after(() => server.close());
  const capture = captureSession(server, file);
  const r = await runPy('ws_client.py', [`ws://127.0.0.1:${server.port}/`, 'hello']);
  assert.equal(r.code, 0, r.stderr);
  await server.close();
  await capture.close();
  const { records } = await readCapture(file);
  assert.equal(records.find((x) => x.event === 'connect').protocol, 'ws');
  const data = records.filter((x) => x.event === 'data').map((x) => `${x.dir} ${x.opcode} ${Buffer.from(x.b64, 'base64')}`);
  assert.deepEqual(data.slice(0, 2), ['in text hello', 'out text hello']);
});

test('a file behind the network: the connection waits for it, no byte is lost, memory stays bounded', async (t) => {
  const file = join(tmpDir(t), 'flood.ndjson.gz');
  const server = await listenTcp({ port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  server.messageEvents = false;
  // a tiny high-water mark: the capture is "behind" almost at once, so reading pauses again and again
  const capture = CaptureWriter.open(file, { highWaterBytes: 16 * 1024, maxPendingBytes: 4 * 1024 * 1024 });
  capture.attach(server);
  const total = 24 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let maxPending = 0;
  const sampler = setInterval(() => (maxPending = Math.max(maxPending, capture.pendingBytes)), 5);
  t.after(() => clearInterval(sampler));
  await new Promise((resolve, reject) => {
    const s = net.connect(server.port, '127.0.0.1', async () => {
      for (let sent = 0; sent < total; sent += chunk.length) {
        if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
      }
      s.end();
    });
    s.on('error', reject);
    s.on('close', resolve);
    s.resume();
  });
  await waitFor(() => server.stats.bytesIn === total || undefined, { what: `the server to read all ${total} bytes (read ${server.stats.bytesIn})` });
  await server.close();
  const stats = await capture.close();
  clearInterval(sampler);
  assert.equal(stats.droppedRecords, 0, 'a stream connection waits rather than losing records');
  assert.equal(stats.bytes, total);
  let bytes = 0;
  for await (const r of readCaptureRecords(file)) if (r.event === 'data') bytes += Buffer.from(r.b64, 'base64').length;
  assert.equal(bytes, total);
  assert.ok(maxPending < 4 * 1024 * 1024, `at most ${maxPending} bytes waited for the file`);
  assert.ok(statSync(file).size < total / 10, 'gzip compressed the repeated bytes');
});

test('a capture file that cannot be written is a clear error naming it', async () => {
  assert.throws(() => CaptureWriter.open('/nonexistent-folder/x.ndjson'), (err) => err.code === 'SOCKIT_ERR_FILE' && /\/nonexistent-folder\/x\.ndjson/.test(err.message) && err.exitCode === 2);
});

test('a client session: role connected, our end and the server', async (t) => {
  const file = join(tmpDir(t), 'client.ndjson');
  const server = await listenTcp({ port: 0, host: '127.0.0.1', reply: 'ACK!', closeAfterReply: true });
  t.after(() => server.close());
  const client = await connectTcp({ host: '127.0.0.1', port: server.port });
  const capture = captureSession(client, file);
  await client.send(Buffer.from('hi'));
  await within(client.closed, { what: 'the server to hang up after ACK!' });
  await capture.close();
  const { records } = await readCapture(file);
  // attached after connecting: the first bytes open the connection
  const connect = records.find((x) => x.event === 'connect');
  assert.equal(connect.role, 'connected');
  assert.equal(connect.peer, `127.0.0.1:${server.port}`);
  const data = records.filter((x) => x.event === 'data').map((x) => `${x.dir} ${Buffer.from(x.b64, 'base64')}`);
  assert.deepEqual(data, ['out hi', 'in ACK!']);
  assert.equal(records.find((x) => x.event === 'close').conn, connect.conn);
});
