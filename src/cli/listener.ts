// The body of every `listen` command: start the session, relay typed lines to its peers, stop on Ctrl-C or when it closes.
import type { SessionEvent } from '../net/session.js';
import type { CliCapture } from './capture-option.js';
import type { CommandResult, Output } from './command.js';
import type { LogFile } from './log-option.js';
import { onStopSignal } from './signals.js';
import { readTypedLines, type PeerCounts } from './typed-lines.js';

/** A listening session as the `listen` commands drive it. */
export interface ListeningSession {
  on(event: 'event', listener: (e: SessionEvent) => void): unknown;
  close(): Promise<void>;
  readonly closed: Promise<void>;
}

/** How a `listen` command runs its session. */
export interface ListenPlan<S extends ListeningSession> {
  session: S;
  output: Output;
  /** Shows the session's events. */
  render: (e: SessionEvent) => void;
  /** Binds the session. */
  start: (session: S) => Promise<unknown>;
  /** Turns a typed line into bytes. */
  encodeLine: (text: string) => Buffer;
  /** Sends to one peer or all; returns how many it reached. */
  send: (bytes: Buffer, target: number | 'all') => number;
  /** What to say when a line reached nobody. */
  nobody: (target: number | 'all') => string;
  /** The capture running beside the session, finished once it has closed. */
  capture?: CliCapture;
  /** The `--log` file, closed once the session has. */
  log?: LogFile;
  /** The peers now, for /clients, and what they are called. */
  clients: () => readonly PeerCounts[];
  noun: string;
  /** Closes one peer (/kick); absent where peers have no connection. */
  kick?: (id: number) => boolean;
}

/** The body of `tcp listen` and `udp listen`: start, relay stdin lines to peers, stop on Ctrl-C or when the session closes. */
export async function runListener<S extends ListeningSession>(plan: ListenPlan<S>): Promise<CommandResult> {
  const { session, output } = plan;
  session.on('event', plan.render);
  await plan.start(session);
  output.out.flush();
  const stopInput = readTypedLines({
    encode: plan.encodeLine, send: plan.send, nobody: plan.nobody, clients: plan.clients, noun: plan.noun, kick: plan.kick,
    tell: (text) => output.err.line(text),
  });
  const unregister = onStopSignal(() => void session.close());
  await session.closed;
  unregister();
  stopInput();
  output.out.flush();
  await plan.capture?.finish();
  await plan.log?.close();
  return 0;
}
