// A conversation over one TCP (or TLS) socket: backpressure, slow readers, idle time and close reasons, once for every TCP session.
import net from 'node:net';
import { Conversation, type ReadSettings } from './conversation.js';
import { adoptReads, ReadBuffers, type ReadLender } from './read-buffers.js';

/** A client whose unread output passes this is disconnected (default 16 MiB). */
export const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;

/** Socket limits shared by a session's conversations. */
export interface SocketSettings extends ReadSettings {
  /** Unread output past which a peer is cut off as a slow reader. */
  readonly maxPendingBytes: number;
  /** Close after this long without traffic (0 or undefined: never). */
  readonly idleTimeoutMs?: number;
  /** Hold each turn's writes until every read of the turn is handled (see {@link writeBatched}). */
  readonly batchWrites?: boolean;
}

let batch: SocketConversation[] = [];

/** Writes are held only while a connection's held bytes stay under this (a socket's own write buffer mark). */
const BATCH_BYTES = 16 * 1024;

/**
 * Queues a conversation's held writes for the end of this turn of the event loop. A server's
 * answers then go out together, after every read the turn brought: a peer on another core is
 * woken once for many answers instead of once each, which costs the writer less (the more so the
 * more work each message takes, such as a log line) and changes no byte or order on any connection.
 */
function writeBatched(c: SocketConversation): void {
  if (batch.length === 0) setImmediate(flushBatch);
  batch.push(c);
}

function flushBatch(): void {
  const due = batch;
  batch = [];
  for (const c of due) c.flushWrites();
}

const CONVERSATION = Symbol('sockit.conversation');
type OwnedSocket = net.Socket & { [CONVERSATION]: SocketConversation };

/** Why a socket error ended a connection, in words. */
export function socketErrorReason(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNRESET') return 'reset by peer';
  if (err.code === 'EPIPE') return 'peer went away';
  return `error: ${err.message}`;
}

/**
 * A conversation on a socket. Listeners are shared by every socket (the conversation rides on
 * the socket), not closures per connection: an idle peer costs its socket and one record.
 */
export abstract class SocketConversation extends Conversation implements ReadLender {
  /** Reading is paused until the peer takes what it was sent. */
  private paused = false;
  /** Reading is paused until the session's wire taps (a capture) keep up. */
  private held = false;
  /** Answers written this turn, not yet handed to the socket (one buffer, or several in order). */
  private heldOut: Buffer | Buffer[] | undefined;
  private heldBytes = 0;
  /** The buffer this socket reads into while it streams (see {@link adoptForSharedReads}). */
  ownReadBuffer: Buffer | undefined;
  /** Buffers lent to reads whose answers were still queued; free again once nothing is. */
  lentReadBuffers: Buffer[] | undefined;

  constructor(
    protected override readonly settings: SocketSettings,
    id: number,
    peer: string,
    readonly socket: net.Socket,
  ) {
    super(settings, id, peer);
    (socket as OwnedSocket)[CONVERSATION] = this;
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
  }

  /** Starts reading (and the idle clock). Separate so a refused peer never reads a byte. */
  start(): void {
    const idle = this.settings.idleTimeoutMs;
    if (idle) {
      this.socket.setTimeout(idle);
      this.socket.on('timeout', onSocketTimeout);
    }
    this.socket.on('data', onSocketData);
    // an adopted socket was accepted paused, and a data listener does not start it
    this.socket.resume();
  }

  /**
   * Writes to the peer, respecting backpressure: reading pauses until it drains; a peer that never
   * reads is cut off. Where the session batches writes, small ones reach the socket once every read
   * of this turn of the event loop is handled (see {@link writeBatched}).
   */
  write(bytes: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    const limit = this.settings.maxPendingBytes;
    if (socket.writableLength + this.heldBytes + bytes.length > limit) {
      this.closeReason = `slow reader: more than ${limit} bytes were waiting to be read`;
      this.settings.emit({ event: 'error', code: 'SOCKIT_ERR_SLOW_READER', message: `${this.peer} does not read what it is sent; disconnected`, peer: this.peer, id: this.id });
      this.heldOut = undefined;
      this.heldBytes = 0;
      socket.destroy();
      return;
    }
    this.countWritten(bytes);
    if (!this.settings.batchWrites || this.heldBytes + bytes.length >= BATCH_BYTES) {
      // large writes gain nothing from waiting, and held back they stall a stream behind its reads
      this.flushWrites();
      this.toSocket(bytes);
    } else if (this.heldOut === undefined) {
      this.heldOut = bytes;
      this.heldBytes = bytes.length;
      writeBatched(this);
    } else {
      if (!Array.isArray(this.heldOut)) this.heldOut = [this.heldOut];
      this.heldOut.push(bytes);
      this.heldBytes += bytes.length;
    }
  }

  /** Hands what this turn's answers hold to the socket, in order: before anything else touches it. */
  flushWrites(): void {
    const held = this.heldOut;
    if (held === undefined) return;
    this.heldOut = undefined;
    this.heldBytes = 0;
    if (this.socket.destroyed || !this.socket.writable) return;
    if (!Array.isArray(held)) this.toSocket(held);
    else for (const b of held) this.toSocket(b);
  }

  private toSocket(bytes: Buffer): void {
    const socket = this.socket;
    if (!socket.write(bytes) && !this.paused) {
      // stop reading from this peer until it takes what it is sent (echo floods stay bounded)
      this.paused = true;
      socket.pause();
      socket.once('drain', () => {
        this.paused = false;
        if (!socket.destroyed && !this.held) socket.resume();
      });
    }
  }

  /**
   * Streams `source` to the peer (a file, a program's output), reading the next chunk only once
   * the socket has room: a peer that does not read holds the source still instead of growing
   * memory. `onWritten` hears each chunk the system took. Resolves true when everything went out,
   * false when the connection ended first.
   */
  async pump(source: AsyncIterable<Buffer>, onWritten?: (bytes: number) => void): Promise<boolean> {
    this.flushWrites();
    const socket = this.socket;
    const gone = () => socket.destroyed || !socket.writable;
    for await (const chunk of source) {
      if (gone()) return false;
      this.countWritten(chunk);
      const roomy = socket.write(chunk, (err) => err || onWritten?.(chunk.length));
      if (!roomy) await drainedOrGone(socket);
    }
    if (gone()) return false;
    // resolves once the last chunk is handed to the system, so progress ends where the transfer did
    return new Promise((resolve) => socket.write(Buffer.alloc(0), (err) => resolve(!err)));
  }

  /** Half-closes after what is queued, recording why; cut after `graceMs` if the peer lingers. */
  end(reason: string, graceMs = 0): void {
    this.flushWrites();
    this.closeReason = reason;
    this.closeHow = 'fin';
    this.socket.end();
    if (graceMs > 0) setTimeout(() => this.socket.destroy(), graceMs).unref();
  }

  /** Closes at once, recording why. */
  destroy(reason: string): void {
    this.flushWrites();
    this.closeReason = reason;
    this.socket.destroy();
  }

  /** Closes at once with a TCP reset (RST), recording why. */
  override reset(reason: string): void {
    this.flushWrites();
    this.closeReason = reason;
    this.closeHow = 'rst';
    if (typeof this.socket.resetAndDestroy === 'function' && !this.socket.destroyed) this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  protected isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** True while an answer not yet handed to the system may point into a read's memory. */
  writesPending(): boolean {
    return this.heldOut !== undefined || this.socket.writableLength > 0;
  }

  /** The peer sent FIN: an unterminated last line is still a message. */
  handleEnd(): void {
    if (this.closeReason === undefined) {
      this.closeReason = 'closed by peer';
      this.closeHow = 'fin';
    }
    this.readEnd();
  }

  /** Pauses reading until the session's wire taps keep up (a capture file behind the network). */
  holdIfWireBlocked(): void {
    if (this.held || !this.settings.session.wireBlocked) return;
    this.held = true;
    this.socket.pause();
    this.settings.session.whenWireFree(() => {
      this.held = false;
      if (!this.socket.destroyed && !this.paused) this.socket.resume();
    });
  }

  /** Nothing moved for the idle time. */
  handleIdle(): void {
    this.destroy(`idle for ${(this.settings.idleTimeoutMs ?? 0) / 1000} s`);
  }

  /** The socket is gone: the session forgets this conversation and says why. */
  abstract handleClose(): void;
}

/** Resolves once the socket can take more, or is gone. */
export function drainedOrGone(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** Streams read 256 KiB at a time (asyncio reads as much); 64 such buffers at most. */
const reads = new ReadBuffers(256 * 1024, 64);
const onread = reads.onread(onSharedRead);

/**
 * An accepted plain-TCP socket taken over by one that reads through the shared read buffers (see
 * {@link ReadBuffers}): where nothing but its own answers keeps a message (no observer, tap, rule
 * or chat) a streaming peer's reads are lent to the answers, not copied.
 */
export function adoptForSharedReads(accepted: net.Socket): net.Socket {
  return adoptReads(accepted, onread);
}

function onSharedRead(this: OwnedSocket, n: number, buffer: Buffer): void {
  const c = this[CONVERSATION];
  const borrows = ReadBuffers.asks(n, buffer) && c.mayBorrowReads();
  onSocketData.call(this, ReadBuffers.take(n, buffer, borrows));
  reads.next(c, c.socket.destroyed, n, buffer, borrows);
}

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  const c = this[CONVERSATION];
  c.read(chunk);
  c.holdIfWireBlocked();
}

function onSocketError(this: OwnedSocket, err: NodeJS.ErrnoException): void {
  const c = this[CONVERSATION];
  if (c.closeReason !== undefined) return;
  c.closeReason = socketErrorReason(err);
  c.closeHow = err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'rst' : 'error';
}

function onSocketEnd(this: OwnedSocket): void {
  this[CONVERSATION].handleEnd();
}

function onSocketClose(this: OwnedSocket): void {
  const c = this[CONVERSATION];
  reads.release(c);
  c.handleClose();
}

function onSocketTimeout(this: OwnedSocket): void {
  this[CONVERSATION].handleIdle();
}
