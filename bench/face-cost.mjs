// What each face's own work costs per echoed message (its received and its sent event), in process:
// no sockets, no kernel, so the figures hold on a busy machine where whole-server rates do not.
// usage: node bench/face-cost.mjs [--messages=100000] [--rounds=15] [--size=64]
//   log, json: createEventRenderer into a LineWriter on a stream that takes every chunk at once
//   page:      the bridge's path from a session's event to a binary batch on a page's socket
//              (the hub's recent log, the page's queue, the batch), the page acknowledging each batch
//   none:      making the two events alone (what every face pays before its own work)
// Run `npx tsc -p .` first. Figures are CPU microseconds per message, minimum and median of the rounds.
import { Writable } from 'node:stream';
import { LineWriter, createEventRenderer } from '../dist/cli/output.js';
import { WsBridge } from '../dist/bridge/ws-bridge.js';
import { RecentLog } from '../dist/bridge/recent-log.js';
import { PROTOCOL_VERSION } from '../dist/bridge/protocol.js';

const opts = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const MESSAGES = Number(opts.messages ?? 100000);
const ROUNDS = Number(opts.rounds ?? 15);
const SIZE = Number(opts.size ?? 64);

const payload = Buffer.alloc(SIZE, 'a');
const peers = Array.from({ length: 100 }, (_, i) => `127.0.0.1:${40000 + i}`);
const data = (i) => ({ event: 'data', ts: Date.now(), session: 's1', peer: peers[i % 100], id: i % 100, n: i, bytes: SIZE, payload, text: payload.toString('utf8'), opcode: undefined, direction: undefined });
const send = (i) => ({ event: 'send', ts: Date.now(), session: 's1', peer: peers[i % 100], id: i % 100, bytes: SIZE, payload, opcode: undefined, fin: undefined });

function writerFace(json) {
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  return createEventRenderer(new LineWriter(sink), { json, hex: false, color: false, showBytes: 64 * 1024 });
}

function pageFace() {
  const bridge = new WsBridge({ flushMs: 2 });
  const listeners = {};
  const ws = {
    readyState: 1, OPEN: 1, bufferedAmount: 0,
    on: (event, fn) => (listeners[event] = fn),
    send(bytes, options, done) {
      // the page acknowledges each batch, as the browser page does once it has read it
      if (options?.binary) queueMicrotask(() => listeners.message(Buffer.from(JSON.stringify({ type: 'ack', seq: bytes.readUInt32LE(2) })), false));
      if (typeof done === 'function') done();
    },
    close() {},
    terminate() {},
  };
  bridge.attach(ws);
  listeners.message(Buffer.from(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, binary: true })), false);
  const recent = new RecentLog();
  return (e) => {
    recent.record(e);
    bridge.hub.emit('event', 's1', e, 'utf8', true);
  };
}

const faces = { none: () => () => {}, log: () => writerFace(false), json: () => writerFace(true), page: pageFace };

async function round(show) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i++) {
    show(data(i));
    show(send(i));
    // let timers run (the writer's and the bridge's flushes), as an event loop between reads would
    if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / MESSAGES;
}

console.log(`per echoed message of ${SIZE} B (its received and sent events), CPU µs, ${ROUNDS} rounds of ${MESSAGES}:`);
for (const [name, make] of Object.entries(faces)) {
  const show = make();
  const all = [];
  for (let r = 0; r < ROUNDS; r++) all.push(await round(show));
  // the first rounds compile and warm up
  const kept = all.slice(3).sort((a, b) => a - b);
  console.log(`${name.padEnd(5)} min ${kept[0].toFixed(2)}  median ${kept[kept.length >> 1].toFixed(2)}`);
}
process.exit(0);
