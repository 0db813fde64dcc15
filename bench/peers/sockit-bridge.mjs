// sockit's TCP echo as the browser assistant runs it: a session created through the WebSocket bridge, with a page attached that takes every batch.
// usage: node sockit-bridge.mjs <host> <port>   (prints the echo server's bound port)
// The page is a WebSocket client in this same process: it parses each batch and acknowledges it, as the browser page does.
import WebSocket from 'ws';
import { startUi } from '../../dist/bridge/ui-server.js';

const [host = '127.0.0.1', port = '0'] = process.argv.slice(2);
const ui = await startUi({ host: '127.0.0.1', port: 0 });
const ws = new WebSocket(`ws://127.0.0.1:${ui.port}/ws?token=${ui.token}`, { origin: `http://127.0.0.1:${ui.port}` });
const waiting = new Map();
let events = 0;
ws.on('message', (raw) => {
  const m = JSON.parse(raw.toString());
  if (m.type === 'events') {
    events += m.events.length;
    ws.send(JSON.stringify({ type: 'ack', seq: m.seq }));
  }
  const w = waiting.get(m.type === 'result' ? `result:${m.req}` : m.type);
  if (w) w(m);
});
const next = (key) => new Promise((resolve) => waiting.set(key, resolve));
await new Promise((resolve, reject) => {
  ws.once('open', resolve);
  ws.once('error', reject);
});
ws.send(JSON.stringify({ type: 'hello', version: 1 }));
await next('hello');
ws.send(JSON.stringify({ type: 'create', req: 1, spec: { kind: 'tcp-server', host, port: Number(port), encoding: 'utf8', frame: 'raw', echo: true } }));
const created = await next('result:1');
if (!created.ok) {
  console.error(`the bridge refused the session: ${created.error?.message}`);
  process.exit(1);
}
console.log(created.session.port);
const stop = async () => {
  console.error(`page received ${events} events`);
  await ui.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
