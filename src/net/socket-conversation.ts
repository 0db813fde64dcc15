// A conversation over one TCP (or TLS) socket: backpressure, slow readers, idle time and close reasons, once for every TCP session.
import net from 'node:net';
import { Conversation, type ReadSettings } from './conversation.js';

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
export abstract class SocketConversation extends Conversation {
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

/** Reads of every adopted socket land here, then are copied out at their own size. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** A read this long says the peer streams: its socket moves onto a buffer of its own. */
const OWN_FROM = 16 * 1024;
const OWN_SIZE = 256 * 1024;
/** Own buffers out at once; past this, streams share the copying buffer (memory stays bounded). */
const OWN_MAX = 64;
let ownOut = 0;
/** Own buffers free for the next stream. */
const spares: Buffer[] = [];

type Adoptable = net.Socket & { _handle: unknown; _server: net.Server | null; server: net.Server | null };

/**
 * An accepted plain-TCP socket (accepted paused) taken over by one that reads into a buffer of
 * our choosing (Node's `onread`): a read then costs a copy of its bytes out of one shared buffer
 * instead of a fresh 64 KiB allocation and a pass through the stream's queue and `data` event.
 * A socket that streams gets a buffer of its own, and where nothing but its own answers keeps a
 * message (no observer, tap, rule or chat) the read is lent, not copied: the buffer is read into
 * again only once no answer written from it is still queued. Backpressure and the end of input
 * work as before; the accepting server still counts the connection. A socket whose handle is
 * not where Node keeps it is returned as it is.
 */
export function adoptForSharedReads(accepted: net.Socket): net.Socket {
  const old = accepted as Adoptable;
  const handle = old._handle;
  const server = old._server;
  if (!handle || !server) return accepted;
  old._handle = null;
  old._server = null;
  old.server = null;
  nextRead = READ_BUFFER;
  const socket = new net.Socket({ handle, allowHalfOpen: true, pauseOnConnect: true, onread: { buffer: nextReadBuffer, callback: onSharedRead } } as net.SocketConstructorOpts) as Adoptable;
  socket._server = server;
  socket.server = server;
  return socket;
}

function onSharedRead(this: OwnedSocket, n: number, buffer: Buffer): void {
  const c = this[CONVERSATION];
  // asked only of long reads and reads in an own buffer: a short read on the shared one is copied anyway
  const borrows = (n >= OWN_FROM || buffer !== READ_BUFFER) && c.mayBorrowReads();
  const lent = borrows && buffer !== READ_BUFFER;
  let chunk: Buffer;
  if (lent) chunk = buffer.subarray(0, n);
  else {
    // copied: the buffer is the next read's, and a message may be kept (a page's queue, a pending write)
    chunk = Buffer.allocUnsafe(n);
    chunk.set(buffer.subarray(0, n));
  }
  onSocketData.call(this, chunk);
  chooseReadBuffer(c, n, lent, borrows);
  nextRead = c.ownReadBuffer ?? READ_BUFFER;
}

/**
 * Where a socket's next read goes. Node asks right after each read's callback, and once as a
 * socket is made, without naming the socket: the callback leaves the answer here (one function for
 * every socket, where a closure each would cost every idle connection its memory).
 */
let nextRead: Buffer = READ_BUFFER;

function nextReadBuffer(): Buffer {
  const b = nextRead;
  nextRead = READ_BUFFER;
  return b;
}

function chooseReadBuffer(c: SocketConversation, n: number, lent: boolean, borrows: boolean): void {
  if (c.socket.destroyed) {
    // the write that may point into it is cut short, not known to be done: leave it to the collector
    if (lent) {
      c.ownReadBuffer = undefined;
      ownOut--;
    }
    return;
  }
  if (lent || c.lentReadBuffers !== undefined) {
    const pending = c.writesPending();
    if (lent && pending) {
      // an answer still queued points into this buffer: the next read must not land on it
      (c.lentReadBuffers ??= []).push(c.ownReadBuffer!);
      c.ownReadBuffer = undefined;
      ownOut--;
    } else if (!pending && c.lentReadBuffers !== undefined) {
      for (const b of c.lentReadBuffers) spare(b);
      c.lentReadBuffers = undefined;
    }
  }
  if (n >= OWN_FROM && borrows) {
    if (c.ownReadBuffer === undefined && ownOut < OWN_MAX) {
      c.ownReadBuffer = spares.pop() ?? Buffer.allocUnsafeSlow(OWN_SIZE);
      ownOut++;
    }
  } else if (c.ownReadBuffer !== undefined) {
    // short reads (a chatty or idle peer) go back to the shared buffer, so they hold no memory
    spare(c.ownReadBuffer);
    c.ownReadBuffer = undefined;
    ownOut--;
  }
}

function spare(buffer: Buffer): void {
  if (spares.length < OWN_MAX) spares.push(buffer);
}

/** A closed socket's own buffer goes back to the spares. */
function releaseReadBuffers(c: SocketConversation): void {
  // lent buffers are left to the collector: a write cut short by the close may still name them
  if (c.ownReadBuffer === undefined) return;
  spare(c.ownReadBuffer);
  c.ownReadBuffer = undefined;
  ownOut--;
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
  releaseReadBuffers(c);
  c.handleClose();
}

function onSocketTimeout(this: OwnedSocket): void {
  this[CONVERSATION].handleIdle();
}
