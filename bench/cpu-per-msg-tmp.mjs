// CPU time per echoed message for library variants, measured in-process (robust on a busy machine)
import { spawnSync, spawn } from 'node:child_process';
import { listenTcp } from '../dist/index.js';
const variant = process.argv[2];
let server;
const noop = () => {};
if (variant === 'quiet') server = await listenTcp({ port: 0, host: '127.0.0.1', echo: true, messageEvents: false });
else if (variant === 'observed') server = await listenTcp({ port: 0, host: '127.0.0.1', echo: true }, noop);
else if (variant === 'nodecode') server = await listenTcp({ port: 0, host: '127.0.0.1', echo: true, decode: false }, noop);
const c0 = process.cpuUsage();
const child = spawn('bench/build/load', ['rr', '127.0.0.1', String(server.port), '100', '64', '0.5', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (b) => (out += b));
await new Promise((r) => child.on('close', r));
const c = process.cpuUsage(c0);
const msgs = server.stats.messagesIn;
console.log(variant, 'msgs', msgs, ((c.user + c.system) / msgs).toFixed(2), 'µs cpu per message');
await server.close(0);
process.exit(0);
