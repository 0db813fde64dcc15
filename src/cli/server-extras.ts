// What nc, ncat and socat users reach for on a server: periodic sends (--every --send), a program per connection (--exec, like ncat -e), the full log in a file (--log).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { encodeText } from '../wire/codec.js';
import { compileMessage } from '../wire/message.js';
import type { SessionEvent } from '../net/session.js';
import { createEventRenderer, LineWriter } from './output.js';
import { openOutputFile } from './files.js';
import type { RawOptions } from './command.js';
import { createWriteStream } from 'node:fs';

/** `--send <text> --every <ms>` and `--exec <command>` on a connection server. */
export function addServerExtraOptions(cmd: Command): Command {
  return cmd
    .option('--send <text>', 'with --every: send this to every client (escapes, {counter}, {now}, {hex:..})')
    .option('--every <ms>', 'send --send to every connected client this often')
    .option('--exec <command>', "each client's bytes to this program's stdin, its stdout back to the client (like ncat -e; run by sh -c)");
}

/** The parsed `--send`, `--every`, `--exec`. */
export interface ServerExtras {
  periodic?: { text: string; everyMs: number };
  exec?: string;
}

/** Reads `--send`, `--every`, `--exec`; `answers` says whether --reply, --echo, --chat or rules were given too. */
export function readServerExtras(raw: RawOptions, answers: boolean): ServerExtras {
  const text = raw.text('send');
  const everyMs = raw.whole('every', '--every', 1);
  if ((text === undefined) !== (everyMs === undefined)) {
    throw new UsageError(text === undefined ? '--every needs --send <text>: what to send' : '--send on a server needs --every <ms>; --welcome greets each client once');
  }
  const exec = raw.text('exec');
  if (exec !== undefined && answers) throw new UsageError('--exec answers every client with its program; leave out --reply, --echo, --chat and rules');
  if (exec !== undefined && exec.trim() === '') throw new UsageError('--exec needs a command');
  return { periodic: text === undefined ? undefined : { text, everyMs: everyMs! }, exec };
}

/** A server as the extras drive it. */
export interface ExtrasServer {
  on(event: 'event', listener: (e: SessionEvent) => void): unknown;
  send(bytes: Buffer, target: number | 'all'): number;
  disconnect(id: number, reason?: string): boolean;
  readonly closed: Promise<void>;
}

/** Starts the periodic send: compiled once (so a mistake is told before listening), rendered at each tick. */
export function startPeriodicSend(server: ExtrasServer, periodic: { text: string; everyMs: number }, encoding: string): void {
  const message = compileMessage(periodic.text, { encode: (t) => encodeText(t, encoding), name: '--send' });
  let n = 0;
  const timer = setInterval(() => {
    n++;
    server.send(Buffer.from(message.render({ n, peer: '' })), 'all');
  }, periodic.everyMs);
  void server.closed.then(() => clearInterval(timer));
}

/**
 * Runs `command` (by `sh -c`) for each client: what the client sends goes to its stdin, what it
 * writes to stdout goes to the client, its stderr to ours. The program ending closes the
 * connection; the client leaving ends the program's stdin.
 */
export function execPerConnection(server: ExtrasServer, command: string, tell: (text: string) => void): void {
  const children = new Map<number, ChildProcess>();
  server.on('event', (e) => {
    if (e.event === 'connect') {
      const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.set(e.id, child);
      child.stdout!.on('data', (b: Buffer) => server.send(b, e.id));
      child.stdin!.on('error', () => {}); // a program that exits without reading its stdin
      child.on('error', (err) => tell(`--exec: could not run '${command}': ${err.message}`));
      child.on('close', (code, signal) => {
        children.delete(e.id);
        server.disconnect(e.id, `--exec program ended (${signal ?? `exit code ${code}`})`);
      });
    } else if (e.event === 'data') {
      children.get(e.id)?.stdin!.write(e.payload);
    } else if (e.event === 'close') {
      children.get(e.id)?.stdin!.end();
    }
  });
  void server.closed.then(() => {
    for (const child of children.values()) child.kill();
  });
}

/** `--log <file>`: the full log besides what the terminal shows. */
export const LOG_OPTION = ['--log <file>', 'also write the full log to this file: every event, every message whole, no colours'] as const;

/** A log file being written. */
export interface LogFile {
  render(e: SessionEvent): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** Opens `--log` (a usage error when it cannot be written), before anything listens or connects. */
export function openLogFile(path: string | undefined, o: { hex: boolean; encoding: string; frame?: string }): LogFile | undefined {
  if (path === undefined) return undefined;
  // checked (and created) the way --out is, then written through a stream of its own
  void openOutputFile(path, '--log').end();
  const stream = createWriteStream(path, { flags: 'a' });
  stream.on('error', () => {});
  const writer = new LineWriter(stream);
  const render = createEventRenderer(writer, { json: false, color: false, hex: o.hex, encoding: o.encoding, frame: o.frame, showBytes: Infinity });
  return {
    render,
    close: () =>
      new Promise((resolve) => {
        writer.flush();
        stream.end(() => resolve());
      }),
  };
}
