// `sockit ui`: starts the browser assistant, prints its address (token included) and, with --open, opens a browser.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import type { UiServer } from '../../bridge/ui-server.js';
import { parseHost, parsePort } from '../../wire/endpoint.js';
import { toJsonEvent, type SessionEvent } from '../../net/session.js';
import { addOutputOptions, Output, packageVersion, RawOptions, readOutputOptions, type CommandResult, type OutputOptions, type Runner } from '../command.js';
import { openBrowser } from '../browser.js';
import { declared, subcommand } from '../declare.js';
import { onStopSignal } from '../signals.js';
import { WORKSPACE_FILE } from '../../bridge/protocol-workspace.js';

/** Registers `ui`. */
export function registerUi(program: Command, run: Runner): void {
  const ui = subcommand(program, 'ui', 'the network debugging assistant in the browser: a local web page driving TCP/UDP sessions')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', '0')
    .option('-H, --host <host>', 'address to listen on; anything but loopback lets other machines in', '127.0.0.1')
    .option('--open', 'open the page in the default browser (skipped where there is no display)')
    .option('-w, --workspace <file>', 'the workspace the page opens and saves (default: sockit.json in this folder, when there is one)');
  addOutputOptions(ui, 'one JSON event per line on stdout (the listening event carries the url)');
  declared(ui, [
    'sockit ui',
    'sockit ui -p 0 --open',
    'sockit ui --workspace lab/sockit.json',
  ], (raw: RawOptions) => run(() => runUi(readUiOptions(raw))));
}

/** `ui`'s options, typed. */
interface UiOptions {
  host: string;
  port: number;
  open: boolean;
  /** The workspace file named with --workspace (else sockit.json, when it is here). */
  workspace: string | undefined;
  output: OutputOptions;
}

function readUiOptions(raw: RawOptions): UiOptions {
  const port = parsePort(raw.text('port') ?? '', '--port');
  const host = parseHost(raw.text('host') ?? '', '--host');
  return { host, port, open: raw.flag('open'), workspace: raw.text('workspace'), output: readOutputOptions(raw) };
}

async function runUi(o: UiOptions): Promise<CommandResult> {
  const { host, port } = o;
  const output = new Output(o.output);
  const { out, err, c, ce, json } = output;
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
  // loaded when used: the bridge, every session kind and the ws package stay out of other commands' start-up
  const { startUi } = await import('../../bridge/ui-server.js');
  const { workspaceStore } = await import('../../workspace/workspace-file.js');
  const file = o.workspace ?? (existsSync(WORKSPACE_FILE) ? WORKSPACE_FILE : undefined);
  const workspace = file === undefined ? undefined : workspaceStore(file);
  server = await startUi({ host, port, bridge: { app: { name: 'sockit', version: packageVersion() }, workspace } }, (e) => {
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
    if (workspace) out.line(c.dim(`  workspace: ${workspace.file}`));
  }
  if (!server.loopbackOnly) {
    err.line(ce.err(`warning: listening on ${host}: other machines can reach the assistant, and whoever has its address (token included) can open sockets from this machine`));
  }
  out.flush();
  err.flush();
  if (o.open) {
    openBrowser(server.url, (why) => {
      err.line(ce.sys(`${why}; open the address above yourself`));
      err.flush();
    });
  }
  const unregister = onStopSignal(() => void server!.close());
  await server.closed;
  unregister();
  out.flush();
  err.flush();
  return 0;
}
