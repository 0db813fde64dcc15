// Where sockets read with Node's `onread`: one shared buffer whose reads are copied out, and buffers of their own, lent without a copy, for sockets that stream.
import net from 'node:net';

/** Reads of every socket that reads here land in this buffer first, then are copied out at their own size. */
const SHARED = Buffer.allocUnsafe(64 * 1024);

/** A read this long says the peer streams: its socket moves onto a buffer of its own. */
const OWN_FROM = 16 * 1024;

/** Free own buffers kept for the next stream; more go to the collector, so a burst leaves little memory behind. */
const SPARES_MAX = 16;

/** A reader whose reads may be lent: the state the pool keeps on it. */
export interface ReadLender {
  /** The buffer this socket reads into while it streams. */
  ownReadBuffer: Buffer | undefined;
  /** Buffers lent to reads whose writes were still queued; free again once nothing is. */
  lentReadBuffers: Buffer[] | undefined;
  /** True while a write made from a lent read may still point into it. */
  writesPending(): boolean;
}

/**
 * Where a socket's next read goes. Node asks right after each read's callback, and once as a
 * socket is made, without naming the socket: the callback leaves the answer here (one function for
 * every socket, where a closure each would cost every idle connection its memory).
 */
let nextRead: Buffer = SHARED;

function nextReadBuffer(): Buffer {
  const b = nextRead;
  nextRead = SHARED;
  return b;
}

/**
 * Buffers of their own for streaming sockets, at most `ownMax` out at once (past that, streams share
 * the copying buffer and memory stays bounded). A read is lent, not copied, where the reader says
 * nothing but its own writes keep it; the buffer is read into again only once no write made from
 * it is queued. Short reads (a chatty or idle peer) stay on the shared buffer and hold no memory.
 */
export class ReadBuffers {
  private out = 0;
  private readonly spares: Buffer[] = [];

  constructor(
    private readonly ownSize: number,
    private readonly ownMax: number,
  ) {}

  /** The `onread` option of a socket that reads here; `callback` gets each read (see {@link take}). */
  onread<S extends net.Socket>(callback: (this: S, n: number, buffer: Buffer) => void): net.OnReadOpts {
    // Node ignores the callback's result unless it is false (pause), so one returning nothing fits
    return { buffer: nextReadBuffer, callback } as unknown as net.OnReadOpts;
  }

  /**
   * Whether a read of `n` bytes into `buffer` is worth asking the reader to borrow: long reads and
   * reads in an own buffer (a short read on the shared one is copied anyway).
   */
  static asks(n: number, buffer: Buffer): boolean {
    return n >= OWN_FROM || buffer !== SHARED;
  }

  /** The bytes of a read: the buffer itself where it is the socket's own and `borrows`, else a copy. */
  static take(n: number, buffer: Buffer, borrows: boolean): Buffer {
    if (borrows && buffer !== SHARED) return buffer.subarray(0, n);
    const chunk = Buffer.allocUnsafe(n);
    chunk.set(buffer.subarray(0, n));
    return chunk;
  }

  /** After a read was handled: chooses the buffer the socket's next read lands in. */
  next(r: ReadLender, destroyed: boolean, n: number, buffer: Buffer, borrows: boolean): void {
    const lent = borrows && buffer !== SHARED;
    if (destroyed) {
      // the write that may point into it is cut short, not known to be done: leave it to the collector
      if (lent) {
        r.ownReadBuffer = undefined;
        this.out--;
      }
      return;
    }
    if (lent || r.lentReadBuffers !== undefined) {
      const pending = r.writesPending();
      if (lent && pending) {
        // a write still queued points into this buffer: the next read must not land on it
        (r.lentReadBuffers ??= []).push(r.ownReadBuffer!);
        r.ownReadBuffer = undefined;
        this.out--;
      } else if (!pending && r.lentReadBuffers !== undefined) {
        for (const b of r.lentReadBuffers) this.spare(b);
        r.lentReadBuffers = undefined;
      }
    }
    if (n >= OWN_FROM && borrows) {
      if (r.ownReadBuffer === undefined && this.out < this.ownMax) {
        r.ownReadBuffer = this.spares.pop() ?? Buffer.allocUnsafeSlow(this.ownSize);
        this.out++;
      }
    } else if (r.ownReadBuffer !== undefined) {
      this.spare(r.ownReadBuffer);
      r.ownReadBuffer = undefined;
      this.out--;
    }
    nextRead = r.ownReadBuffer ?? SHARED;
  }

  /** A closed socket's own buffer goes back to the spares. */
  release(r: ReadLender): void {
    // lent buffers are left to the collector: a write cut short by the close may still name them
    if (r.ownReadBuffer === undefined) return;
    this.spare(r.ownReadBuffer);
    r.ownReadBuffer = undefined;
    this.out--;
  }

  private spare(buffer: Buffer): void {
    if (this.spares.length < SPARES_MAX) this.spares.push(buffer);
  }
}

type Adoptable = net.Socket & { _handle: unknown; _server: net.Server | null; server: net.Server | null };

/**
 * An accepted plain-TCP socket (accepted paused) taken over by one that reads with `onread`: a
 * read then costs no fresh 64 KiB allocation and no pass through the stream's queue and `data`
 * event. Backpressure and the end of input work as before; the accepting server still counts the
 * connection. A socket whose handle is not where Node keeps it is returned as it is, reading as usual
 * (callers tell by comparing).
 */
export function adoptReads(accepted: net.Socket, onread: net.OnReadOpts): net.Socket {
  const old = accepted as Adoptable;
  const handle = old._handle;
  const server = old._server;
  if (!handle || !server) return accepted;
  old._handle = null;
  old._server = null;
  old.server = null;
  const socket = new net.Socket({ handle, allowHalfOpen: true, pauseOnCreate: true, onread } as net.SocketConstructorOpts) as Adoptable;
  socket._server = server;
  socket.server = server;
  return socket;
}
