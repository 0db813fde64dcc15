// sockit's TCP echo as the browser assistant runs it: the UI server here, and a page in a process of its
// own (bridge-page.mjs, as a browser would be) that creates the session and takes every batch.
// usage: node sockit-bridge.mjs <host> <port>   (prints the echo server's bound port)
// SOCKIT_BENCH_PAGE_CPU pins the page to that CPU (the benchmark gives it the load client's).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startUi } from '../../dist/bridge/ui-server.js';
import { tuneHeap } from '../../dist/cli/runtime.js';

const [host = '127.0.0.1', port = '0'] = process.argv.slice(2);
// as the sockit command sets up its process
tuneHeap();
const ui = await startUi({ host: '127.0.0.1', port: 0 });
const pageScript = fileURLToPath(new URL('./bridge-page.mjs', import.meta.url));
const cpu = process.env.SOCKIT_BENCH_PAGE_CPU;
const cmd = [process.execPath, pageScript, String(ui.port), ui.token, host, port];
const page = cpu ? spawn('taskset', ['-c', cpu, ...cmd], { stdio: ['ignore', 'inherit', 'inherit'] }) : spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
const stop = async () => {
  page.kill('SIGTERM');
  await ui.close();
  process.exit(0);
};
page.on('exit', (code) => {
  if (code) process.exit(code);
});
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
