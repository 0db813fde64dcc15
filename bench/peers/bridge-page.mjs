// A browser page as the benchmark runs it, in a process of its own (as a browser is): it says hello
// asking for binary batches, creates a TCP echo session, prints its port, then takes every batch,
// reads it as the page does and acknowledges it.
// usage: node bridge-page.mjs <ui port> <token> <host> <port>
import WebSocket from 'ws';
import { decodeEventBatch } from '../../dist/wire/event-batch.js';

const [uiPort, token, host = '127.0.0.1', port = '0'] = process.argv.slice(2);
const ws = new WebSocket(`ws://127.0.0.1:${uiPort}/ws?token=${token}`, { origin: `http://127.0.0.1:${uiPort}` });
const waiting = new Map();
let events = 0;
ws.on('message', (raw, isBinary) => {
  if (isBinary) {
    const batch = decodeEventBatch(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    events += batch.events.length;
    ws.send(JSON.stringify({ type: 'ack', seq: batch.seq }));
    return;
  }
  const m = JSON.parse(raw.toString());
  const w = waiting.get(m.type === 'result' ? `result:${m.req}` : m.type);
  if (w) w(m);
});
const next = (key) => new Promise((resolve) => waiting.set(key, resolve));
await new Promise((resolve, reject) => {
  ws.once('open', resolve);
  ws.once('error', reject);
});
ws.send(JSON.stringify({ type: 'hello', version: 1, binary: true }));
await next('hello');
ws.send(JSON.stringify({ type: 'create', req: 1, spec: { kind: 'tcp-server', host, port: Number(port), encoding: 'utf8', frame: 'raw', echo: true } }));
const created = await next('result:1');
if (!created.ok) {
  console.error(`the bridge refused the session: ${created.error?.message}`);
  process.exit(1);
}
console.log(created.session.port);
const stop = () => {
  console.error(`page received ${events} events`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
ws.on('close', stop);
