// A program per connection (ncat -e, socat EXEC): the peer's bytes to its stdin, its stdout back to the peer, with backpressure both ways.
import { spawn, type ChildProcess } from 'node:child_process';
import type { SocketConversation } from './socket-conversation.js';

/** What a connection's program does as it ends or fails. */
export interface ProgramHooks {
  /** The program ended (its stdout drained to the peer): why, as a close reason. */
  ended(reason: string): void;
  /** The program could not be started. */
  failed(message: string): void;
}

/**
 * One connection's program, run by `sh -c` so pipes and quoting work as typed. Its stderr is the
 * host's (as with ncat -e). A peer that does not read stops the program's stdout being read; a
 * program that does not read its stdin stops the peer being read.
 */
export class ConnectionProgram {
  private readonly child: ChildProcess;
  private stdinFull = false;

  constructor(command: string, private readonly conversation: SocketConversation, hooks: ProgramHooks) {
    this.child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'inherit'] });
    const { stdin, stdout } = this.child;
    stdin!.on('error', () => {}); // a program that exits without reading its stdin
    this.child.on('error', (err) => hooks.failed(`could not run '${command}': ${err.message}`));
    const exited = new Promise<string>((resolve) => this.child.on('close', (code, signal) => resolve(`program ended (${signal ?? `exit code ${code}`})`)));
    // what it writes goes out as the peer takes it; its end (output drained, process gone) ends the connection
    void Promise.all([conversation.pump(stdout!).catch(() => false), exited]).then(([, reason]) => hooks.ended(reason));
  }

  /** Bytes from the peer, to the program's stdin; the peer's reading pauses while the program is behind. */
  input(chunk: Buffer): void {
    const stdin = this.child.stdin!;
    if (stdin.destroyed || stdin.writableEnded) return;
    if (!stdin.write(chunk) && !this.stdinFull) {
      this.stdinFull = true;
      const socket = this.conversation.socket;
      socket.pause();
      stdin.once('drain', () => {
        this.stdinFull = false;
        if (!socket.destroyed) socket.resume();
      });
    }
  }

  /** The peer finished sending: the program's stdin ends, and it may still answer. */
  endInput(): void {
    this.child.stdin!.end();
  }

  /** The connection is gone: the program is stopped. */
  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}
