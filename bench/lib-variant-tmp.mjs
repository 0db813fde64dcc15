import { listenTcp } from '../dist/index.js';
const v = process.argv[2];
const opts = { port: 0, host: '127.0.0.1', echo: true };
let listener = () => {};
if (v.startsWith('json') || v.startsWith('log')) {
  const { createEventRenderer, LineWriter } = await import('../dist/cli/output.js');
  const w = new LineWriter(v.endsWith('null') ? { write: () => true } : process.stdout);
  listener = createEventRenderer(w, { json: v.startsWith('json'), hex: false, color: false, showBytes: 65536 });
}
if (v === 'quiet') opts.messageEvents = false;
if (v === 'nodecode') opts.decode = false;
const s = await listenTcp(opts, v === 'quiet' ? undefined : listener);
console.log(s.port);
process.on('SIGINT', () => process.exit(0));
