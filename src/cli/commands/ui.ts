// `sockit ui`: starts the browser assistant, prints its address (token included) and, with --open, opens a browser.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { startUi, type UiServer } from '../../bridge/ui-server.js';
import { parseHost, parsePort } from '../../wire/endpoint.js';
import { toJsonEvent, type SessionEvent } from '../../net/session.js';
import { LineWriter, makePalette, colorWanted } from '../output.js';
import { onStopSignal } from '../signals.js';
import type { CommandResult } from '../main.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Registers `ui`. */
export function registerUi(program: Command, run: (fn: () => Promise<CommandResult>) => Promise<void>): void {
  program
    .command('ui')
    .description('the network debugging assistant in the browser: a local web page driving TCP/UDP sessions')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', '0')
    .option('-H, --host <host>', 'address to listen on; anything but loopback lets other machines in', '127.0.0.1')
    .option('--open', 'open the page in the default browser (skipped where there is no display)')
    .option('--json', 'one JSON event per line on stdout (the listening event carries the url)')
    .option('--no-color', 'no colours, even on a terminal')
    .action((opts: Record<string, unknown>) => run(() => ui(opts)));
}

async function ui(opts: Record<string, unknown>): Promise<CommandResult> {
  const port = parsePort(String(opts.port), '--port');
  const host = parseHost(String(opts.host), '--host');
  const json = Boolean(opts.json);
  const out = new LineWriter(process.stdout);
  const err = new LineWriter(process.stderr);
  const c = makePalette(colorWanted(process.stdout, opts.color as boolean | undefined));
  const ce = makePalette(colorWanted(process.stderr, opts.color as boolean | undefined));
  let server: UiServer | undefined;

  const render = (e: SessionEvent) => {
    if (json) {
      const o = toJsonEvent(e);
      if (e.event === 'listening' && server) o.url = server.url;
      out.line(JSON.stringify(o));
      return;
    }
    const time = c.dim(new Date(e.ts).toTimeString().slice(0, 8));
    if (e.event === 'connect') out.line(`${time} page #${e.id} connected from ${e.peer}`);
    else if (e.event === 'close') out.line(`${time} page #${e.id} left`);
    else if (e.event === 'error') err.line(`${time} ${ce.sys(e.message)}`);
  };
  let listening: SessionEvent | undefined;
  server = await startUi({ host, port, bridge: { app: { name: 'sockit', version: pkg.version } } }, (e) => {
    // the listening event fires inside startUi, before `server` is assigned: shown just after
    if (e.event === 'listening') listening = e;
    else render(e);
  });
  if (listening) render(listening);
  if (!json) {
    out.line(`${c.bold('sockit ui')} is running at ${c.in(server.url)}`);
    out.line(c.dim(server.loopbackOnly
      ? '  only this machine can reach it; the token in the address is its key. Ctrl-C stops it.'
      : '  the token in the address is its key. Ctrl-C stops it.'));
  }
  if (!server.loopbackOnly) {
    err.line(ce.err(`warning: listening on ${host}: other machines can reach the assistant, and whoever has its address (token included) can open sockets from this machine`));
  }
  out.flush();
  err.flush();
  if (opts.open) {
    const problem = await openBrowser(server.url);
    if (problem) err.line(ce.sys(`${problem}; open the address above yourself`));
  }
  const unregister = onStopSignal(() => void server!.close());
  await server.closed;
  unregister();
  out.flush();
  err.flush();
  return 0;
}

/** Opens a URL in the desktop's browser; resolves with why it could not, or undefined. */
function openBrowser(url: string): Promise<string | undefined> {
  let cmd: string;
  let args: string[];
  if (process.platform === 'darwin') {
    cmd = 'open';
    args = [url];
  } else if (process.platform === 'win32') {
    cmd = 'cmd';
    args = ['/c', 'start', '""', url];
  } else {
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return Promise.resolve('there is no display here to open a browser on');
    cmd = 'xdg-open';
    args = [url];
  }
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(`could not run ${cmd} to open a browser`));
    child.once('spawn', () => {
      child.unref();
      resolve(undefined);
    });
  });
}
