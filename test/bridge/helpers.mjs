// Test helpers for the bridge: a UI server per test, a scripted "page" over ws, and raw HTTP requests.
import net from 'node:net';
import WebSocket from 'ws';
import { startUi } from '../../dist/bridge/ui-server.js';
import { decodeEventBatch } from '../../dist/wire/event-batch.js';
import { WAIT_MS } from '../helpers/index.mjs';

/** Starts a UI server on 127.0.0.1:0 (options pass through) and closes it when the test ends. */
export async function uiServer(t, options = {}) {
  const ui = await startUi({ host: '127.0.0.1', port: 0, ...options });
  t.after(() => ui.close());
  return ui;
}

/**
 * Sends raw bytes and resolves with the whole answer as text: once the server closes, once a
 * Content-Length answer is complete, or after 2 s of silence once the answer began.
 */
export function rawRequest(port, text, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const s = net.connect(port, host, () => s.write(text));
    let timer = setTimeout(() => s.destroy(), WAIT_MS);
    s.on('data', (b) => {
      chunks.push(b);
      clearTimeout(timer);
      timer = setTimeout(() => s.destroy(), 2000);
      // a complete answer with Content-Length: stop waiting for keep-alive to end
      const all = Buffer.concat(chunks).toString('latin1');
      const head = all.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(all.slice(0, head));
      if (head >= 0 && len && all.length >= head + 4 + Number(len[1])) s.destroy();
    });
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** The status code of a raw HTTP answer. */
export function statusOf(answer) {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
}

/**
 * A scripted page: connects over WebSocket with the right Origin, says hello, acknowledges
 * batches (unless `ack: false`), and offers request()/waitFor(). With `binary`, it asks for event
 * batches as binary messages, as the browser page does, and reads them with the page's reader.
 */
export async function openPage(t, ui, { ack = true, version = 1, binary = false } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${ui.port}/ws?token=${ui.token}`, { origin: `http://127.0.0.1:${ui.port}` });
  t.after(() => ws.terminate());
  const page = {
    ws,
    messages: [],
    events: [],
    ack,
    nextReq: 1,
    waiters: [],
    dropped: 0,
    request(body) {
      const req = page.nextReq++;
      ws.send(JSON.stringify({ ...body, req }));
      return page.waitFor((m) => m.type === 'result' && m.req === req, 10000);
    },
    waitFor(pred, ms = 5000) {
      const found = page.messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        const timer = setTimeout(() => {
          page.waiters.splice(page.waiters.indexOf(w), 1);
          reject(new Error(`timed out after ${ms} ms waiting for a message matching ${pred}; last messages: ${JSON.stringify(page.messages.slice(-5)).slice(0, 2000)}`));
        }, ms);
        w.resolve = (m) => {
          clearTimeout(timer);
          resolve(m);
        };
        page.waiters.push(w);
      });
    },
    waitEvent(pred, ms = 5000) {
      return page.waitFor((m) => m.type === 'events' && m.events.some(pred), ms).then(() => page.events.find(pred));
    },
    sendAck(seq) {
      ws.send(JSON.stringify({ type: 'ack', seq }));
    },
  };
  page.binaryBatches = 0;
  ws.on('message', (raw, isBinary) => {
    let m;
    if (isBinary) {
      const batch = decodeEventBatch(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
      m = { type: 'events', ...batch };
      page.binaryBatches++;
    } else m = JSON.parse(raw.toString());
    if (m.type === 'events') {
      page.events.push(...m.events);
      page.dropped = m.dropped;
      if (page.ack) page.sendAck(m.seq);
    }
    // keep only what tests look at: event batches are kept as their events
    page.messages.push(m.type === 'events' ? { type: 'events', seq: m.seq, events: m.events, dropped: m.dropped } : m);
    for (const w of [...page.waiters]) {
      if (w.pred(m)) {
        page.waiters.splice(page.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', version, ...(binary ? { binary: true } : {}) }));
  if (version === 1) await page.waitFor((m) => m.type === 'hello');
  return page;
}

/** A TCP client of `port` on 127.0.0.1, destroyed when the test ends. */
export async function tcpClient(t, port) {
  const s = net.connect(port, '127.0.0.1');
  t.after(() => s.destroy());
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  return s;
}
