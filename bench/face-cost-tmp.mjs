import fs from 'node:fs';
import { createEventRenderer, LineWriter } from '../dist/cli/output.js';
const out = fs.createWriteStream('/dev/null');
const sink = { write: (b) => fs.writeSync(fd, b) };
const fd = fs.openSync('/tmp/face-out.txt', 'w');
const w = new LineWriter({ write: (b) => { fs.writeSync(fd, b); return true; } });
const payload = Buffer.alloc(64, 0x61);
const mk = (i) => [
  { event: 'data', ts: Date.now(), session: 'tcp-server-1', peer: '127.0.0.1:' + (40000 + (i % 100)), id: i % 100, n: i, bytes: 64, payload, text: payload.toString() },
  { event: 'send', ts: Date.now(), session: 'tcp-server-1', peer: '127.0.0.1:' + (40000 + (i % 100)), id: i % 100, bytes: 64, payload },
];
const events = Array.from({ length: 2000 }, (_, i) => mk(i)).flat();
for (const [name, opts] of [['json', { json: true, hex: false, color: false }], ['json-b64', { json: true, hex: false, color: false, payload: 'base64' }], ['log', { json: false, hex: false, color: false, showBytes: 65536 }]]) {
  const render = createEventRenderer(w, opts);
  for (let k = 0; k < 50; k++) for (const e of events) render(e);
  w.flush();
  const c0 = process.cpuUsage();
  const N = 300;
  for (let k = 0; k < N; k++) { for (const e of events) render(e); w.flush(); }
  const c = process.cpuUsage(c0);
  console.log(name, (((c.user + c.system) * 1000) / (N * events.length)).toFixed(0), 'ns per event (cpu)');
}
