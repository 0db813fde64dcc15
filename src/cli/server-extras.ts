// What nc, ncat and socat users reach for on a server: periodic sends (--every --send), a program per connection (--exec, like ncat -e).
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { encodeText } from '../wire/codec.js';
import { compileMessage } from '../wire/message.js';
import type { RawOptions } from './command.js';

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
  send(bytes: Buffer, target: number | 'all'): number;
  clients(): readonly { id: number }[];
  /** True while a client has not taken what it was sent. */
  busy(id: number): boolean;
  readonly closed: Promise<void>;
}

/**
 * Starts the periodic send: compiled once (so a mistake is told before listening), rendered at
 * each tick. A client still holding the last tick's bytes skips this one, so a client that does
 * not read costs no more memory however long it stays.
 */
export function startPeriodicSend(server: ExtrasServer, periodic: { text: string; everyMs: number }, encoding: string): void {
  const message = compileMessage(periodic.text, { encode: (t) => encodeText(t, encoding), name: '--send' });
  let n = 0;
  const timer = setInterval(() => {
    n++;
    const bytes = Buffer.from(message.render({ n, peer: '' }));
    for (const { id } of server.clients()) if (!server.busy(id)) server.send(bytes, id);
  }, periodic.everyMs);
  void server.closed.then(() => clearInterval(timer));
}
