// `sockit up [name...]`: starts the sessions a workspace (sockit.json) names, in one process, each line prefixed by its name; Ctrl-C stops them all.
import { Command } from 'commander';
import type { SessionEvent } from '../../net/session.js';
import type { SessionSpec } from '../../bridge/protocol.js';
import type { Workspace } from '../../workspace/workspace-file.js';
import { formatEndpoint } from '../../wire/endpoint.js';
import { addOutputOptions, Output, RawOptions, readOutputOptions, type CommandResult, type OutputOptions, type Runner } from '../command.js';
import { createEventRenderer, LineWriter, colorWanted } from '../output.js';
import { hexDumpRows } from '../../wire/hex.js';
import { declared, subcommand } from '../declare.js';
import { onStopSignal } from '../signals.js';

/** Registers `up`. */
export function registerUp(program: Command, run: Runner): void {
  const cmd = subcommand(program, 'up', 'start the sessions saved in a workspace (sockit.json): all of them, or those named; Ctrl-C stops them all', ['[name...]', 'the sessions to start (default: every one)'])
    .option('-w, --workspace <file>', 'the workspace file (default: sockit.json in this folder)')
    .option('--list', 'list the workspace\'s sessions, quick messages and scenarios, and start nothing')
    .option('--hex', 'show data as a hex dump');
  addOutputOptions(cmd, 'one JSON event per line on stdout; each event\'s session is the session\'s name');
  declared(cmd, ['sockit up', 'sockit up device echo', 'sockit up --list', 'sockit up -w lab/sockit.json --json'], (names: string[], raw: RawOptions) => run(() => runUp(names, readUpOptions(raw))));
}

/** `up`'s options, typed. */
interface UpOptions {
  workspace: string | undefined;
  list: boolean;
  hex: boolean;
  output: OutputOptions;
}

function readUpOptions(raw: RawOptions): UpOptions {
  return { workspace: raw.text('workspace'), list: raw.flag('list'), hex: raw.flag('hex'), output: readOutputOptions(raw) };
}

/** What a session does, in the words of the command that would start it. */
export function describeSpec(spec: SessionSpec): string {
  const on = (host: string | undefined, port: number) => (host ? formatEndpoint(host, port) : `port ${port}`);
  switch (spec.kind) {
    case 'tcp-server':
      return `tcp listen ${on(spec.host, spec.port)}`;
    case 'tcp-client':
      return `tcp connect ${formatEndpoint(spec.host, spec.port)}`;
    case 'udp':
      return `udp ${on(spec.host, spec.port)}${spec.remote ? ` → ${spec.remote}` : ''}`;
    case 'ws-server':
      return `ws listen ${on(spec.host, spec.port)}${spec.path ?? ''}`;
    case 'ws-client':
      return `ws connect ${spec.url}`;
    case 'http':
      return `serve ${spec.root} on ${on(spec.host, spec.port)}`;
    case 'proxy':
      return `proxy ${on(spec.host, spec.port)} → ${spec.target}${spec.udp ? ' (udp)' : spec.ws ? ' (ws)' : ''}`;
  }
}

function list(ws: Workspace, output: Output): CommandResult {
  const { out, c } = output;
  if (output.json) {
    output.event('workspace', {
      file: ws.file,
      sessions: ws.sessions.map((s) => ({ name: s.name, ...s.spec })),
      quick: ws.quick.map((q) => q.label),
      scenarios: ws.scenarios.map((s) => s.name),
    });
    return 0;
  }
  out.line(c.bold(ws.file));
  const width = Math.max(0, ...ws.sessions.map((s) => s.name.length));
  if (ws.sessions.length === 0) out.line(c.dim('  no sessions'));
  for (const s of ws.sessions) out.line(`  ${s.name.padEnd(width)}  ${describeSpec(s.spec)}`);
  if (ws.quick.length) out.line(`quick messages: ${ws.quick.map((q) => q.label).join(', ')}`);
  if (ws.scenarios.length) out.line(`scenarios: ${ws.scenarios.map((s) => s.name).join(', ')} ${c.dim('(sockit run <name> plays one)')}`);
  return 0;
}

/**
 * A writer whose every line starts with a session's name, as `docker compose` shows its services:
 * it gathers each line's pieces (text, kept bytes, hex) as text and prefixes it when it ends.
 */
class NamedWriter extends LineWriter {
  private pending = '';

  constructor(stream: NodeJS.WritableStream, private readonly prefix: string) {
    super(stream);
  }

  override write(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop()!;
    for (const l of lines) this.named(l);
  }

  override newline(): void {
    this.named(this.pending);
    this.pending = '';
  }

  override raw(bytes: Uint8Array): void {
    this.write(Buffer.from(bytes).toString('utf8'));
  }

  override number(n: number): void {
    this.write(String(n));
  }

  override hex(bytes: Uint8Array): void {
    this.write(Buffer.from(bytes).toString('hex'));
  }

  override hexDump(bytes: Uint8Array, indent: string): void {
    for (const row of hexDumpRows(bytes)) {
      this.newline();
      this.write(indent + row);
    }
  }

  private named(text: string): void {
    super.write(this.prefix + text);
    super.newline();
  }
}

async function runUp(names: string[], o: UpOptions): Promise<CommandResult> {
  const output = new Output(o.output);
  // loaded when used: the bridge's drivers and every session kind stay out of other commands' start-up
  const { loadWorkspace } = await import('../../workspace/workspace-file.js');
  const { startWorkspace } = await import('../../workspace/workspace-run.js');
  const ws = loadWorkspace(o.workspace);
  if (o.list) return list(ws, output);
  const chosen = names.length ? names : ws.sessions.map((s) => s.name);
  if (chosen.length === 0) {
    output.err.line(`${ws.file} has no sessions to start`);
    return 0;
  }
  const width = Math.max(...chosen.map((n) => n.length));
  const color = colorWanted(process.stdout, o.output.colorAllowed);
  const renderers = new Map<string, (e: SessionEvent) => void>();
  const rendererOf = (name: string): ((e: SessionEvent) => void) => {
    let render = renderers.get(name);
    if (render) return render;
    const spec = ws.sessions.find((s) => s.name === name)!.spec;
    const prefix = `${output.c.dim(`${name.padEnd(width)} |`)} `;
    const client = spec.kind === 'tcp-client' || spec.kind === 'ws-client';
    render = o.output.json
      ? // the sessions decode as the page's do: UTF-8 messages come without text, which the line spells from the bytes
        output.renderer({ hex: false, payload: 'hex', impliedText: true })
      : createEventRenderer(new NamedWriter(process.stdout, prefix), { json: false, color, hex: o.hex, encoding: 'encoding' in spec ? spec.encoding : 'utf8', showIds: !client });
    renderers.set(name, render);
    return render;
  };
  const running = await startWorkspace(ws, chosen, { onEvent: (name, e) => rendererOf(name)(e) });
  if (!o.output.json) output.err.line(output.ce.dim(`${running.sessions.length === 1 ? '1 session' : `${running.sessions.length} sessions`} running from ${ws.file}; Ctrl-C stops ${running.sessions.length === 1 ? 'it' : 'them all'}`));
  output.flush();
  const unregister = onStopSignal(() => void running.close(250));
  await running.closed;
  unregister();
  output.flush();
  return 0;
}
