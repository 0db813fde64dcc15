// When an answer is over: its response closed, or its connection did (a response queued behind a pipelined one never gets 'close').
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The connection a response belongs to, attached or still queued behind an earlier answer. */
function connectionOf(res: ServerResponse): Socket | undefined {
  return res.req?.socket ?? res.socket ?? undefined;
}

/** True once nothing more can reach the client: the response or its connection is destroyed. */
export function answerOver(res: ServerResponse): boolean {
  return res.destroyed || connectionOf(res)?.destroyed === true;
}

// what waits for each connection's end: one 'close' listener per connection, however many
// answers are pipelined on it (a listener per answer would pile up on a keep-alive socket)
const waiting = new WeakMap<Socket, Set<() => void>>();

function onConnectionClose(socket: Socket, fn: () => void): () => void {
  let set = waiting.get(socket);
  if (!set) {
    const fresh = new Set<() => void>();
    waiting.set(socket, (set = fresh));
    socket.once('close', () => {
      waiting.delete(socket);
      for (const f of fresh) f();
    });
  }
  set.add(fn);
  return () => set.delete(fn);
}

/**
 * Calls `fn` once, when the response closes or its connection does, whichever comes first.
 * Node emits 'close' on a pipelined response only once it reaches the socket, so waiting for the
 * response alone leaks what a queued answer holds when the client hangs up. Returns a function
 * that cancels the call and removes the listeners (call it when the answer finishes normally:
 * a keep-alive connection carries thousands of answers).
 */
export function onAnswerOver(res: ServerResponse, fn: () => void): () => void {
  const socket = connectionOf(res);
  let pending = true;
  let offSocket: (() => void) | undefined;
  const cancel = () => {
    if (!pending) return;
    pending = false;
    res.off('close', fire);
    offSocket?.();
  };
  function fire(): void {
    if (!pending) return;
    cancel();
    fn();
  }
  if (answerOver(res)) {
    process.nextTick(fire);
    return cancel;
  }
  res.on('close', fire);
  if (socket) offSocket = onConnectionClose(socket, fire);
  return cancel;
}

/**
 * Resolves once the response has its connection to itself (at once unless it is queued behind an
 * earlier pipelined answer); rejects when the connection closes first. Waiting keeps a queued answer
 * from opening files and filling buffers no one may ever read.
 */
export function attached(res: ServerResponse): Promise<void> {
  if (res.socket && !answerOver(res)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cancel = onAnswerOver(res, () => {
      res.off('socket', onSocket);
      reject(new AnswerGone());
    });
    const onSocket = () => {
      cancel();
      resolve();
    };
    res.once('socket', onSocket);
  });
}

/** The client left before the answer was complete. */
export class AnswerGone extends Error {
  constructor() {
    super('connection closed early');
    this.name = 'AnswerGone';
  }
}

// how long a client gets to read an answer once the connection is half-closed
const LINGER_MS = 1000;

/**
 * Ends the connection once this answer is sent, without reading the rest of the request body (a
 * refused 2 GB PUT is not swallowed). Closing at once with unread bytes would reset the connection,
 * and a reset can wipe the answer from the client's buffers before it reads it: so the server
 * half-closes, stops reading, and lets go a moment later (a lingering close, as nginx does).
 */
export function closeAfterAnswer(res: ServerResponse): void {
  const socket = connectionOf(res);
  // the client is told, or it may send its next request on a connection about to close
  if (!res.headersSent) res.setHeader('Connection', 'close');
  let lingering = false;
  const linger = () => {
    if (lingering || !socket || socket.destroyed) return;
    lingering = true;
    socket.pause();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(timer));
  };
  // Node ends a `Connection: close` answer's socket with destroySoon, a reset when body bytes are unread
  if (socket && !socket.destroyed) socket.destroySoon = linger;
  // after Node has scheduled its own reading of the rest of the body (it resumes on the next tick)
  res.once('finish', () => setImmediate(linger));
}
