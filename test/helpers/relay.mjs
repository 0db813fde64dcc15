// Helpers for relay tests: targets on loopback, byte collection with deadlines, and hashed transfers both ways.
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { startProxy } from '../../dist/index.js';
import { waitFor, within, WAIT_MS } from './index.mjs';

/** A TCP server on 127.0.0.1:0 (half-open allowed), closed with its sockets when the test ends. */
export async function target(t, onConnection, { host = '127.0.0.1' } = {}) {
  const sockets = new Set();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise((r) => server.listen(0, host, r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { server, port: server.address().port, sockets };
}

/** An echo target: every byte back, FIN answered with FIN. */
export function echoTarget(t) {
  return target(t, (s) => {
    s.pipe(s);
  });
}

/** A proxy on 127.0.0.1:0 whose events are recorded; closed when the test ends. */
export async function proxyTo(t, targetPort, options = {}) {
  const events = [];
  const proxy = await startProxy({ port: 0, host: '127.0.0.1', targetHost: '127.0.0.1', targetPort, ...options }, (e) => events.push(e));
  t.after(() => proxy.close(100));
  return { proxy, events, port: proxy.port };
}

/** Connects to 127.0.0.1:port; destroyed when the test ends. */
export function connect(t, port, options = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, ...options }, () => resolve(socket));
    socket.once('error', reject);
    t.after(() => socket.destroy());
  });
}

/** Collects a socket's bytes; `until(n)` waits for n of them, `end()` for the peer's FIN or close. */
export function collect(socket) {
  const chunks = [];
  let size = 0;
  const waiters = new Set();
  let ended = false;
  let error;
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  socket.on('data', (b) => {
    chunks.push(b);
    size += b.length;
    poke();
  });
  socket.on('end', () => {
    ended = true;
    poke();
  });
  socket.on('error', (e) => {
    error = e;
    poke();
  });
  socket.on('close', () => {
    ended = true;
    poke();
  });
  const wait = (test, what, timeoutMs) =>
    within(new Promise((resolve) => {
      const check = () => {
        if (!test()) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    }), { what, timeoutMs }).catch((e) => {
      throw new Error(`${e.message}; got ${size} bytes: ${JSON.stringify(Buffer.concat(chunks).subarray(0, 200).toString('latin1'))}`);
    });
  return {
    get bytes() {
      return Buffer.concat(chunks);
    },
    get error() {
      return error;
    },
    async until(n, ms = WAIT_MS) {
      await wait(() => size >= n, `${n} bytes`, ms);
      return Buffer.concat(chunks);
    },
    async end(ms = WAIT_MS) {
      await wait(() => ended, 'the end of the stream', ms);
      return Buffer.concat(chunks);
    },
  };
}

/** Resolves with the first recorded event matching `pred`, waiting up to `timeoutMs`. */
export function eventMatching(events, pred, what = 'an event', timeoutMs = WAIT_MS) {
  return waitFor(() => events.find(pred), {
    what,
    timeoutMs,
    detail: () => `events: ${events.map((e) => e.event + (e.reason ? `(${e.reason})` : '')).join(', ')}`,
  });
}

/**
 * Sends `bytes` random bytes on a socket in `chunk`-sized writes with backpressure, then
 * half-closes; resolves with their SHA-256.
 */
export function sendRandom(socket, bytes, chunk = 256 * 1024) {
  const hash = createHash('sha256');
  return new Promise((resolve, reject) => {
    let left = bytes;
    const block = randomBytes(chunk);
    let round = 0;
    const pump = () => {
      while (left > 0) {
        // vary each block cheaply so a repeated block cannot hide a misplaced one
        const b = Buffer.from(block.subarray(0, Math.min(chunk, left)));
        b.writeUInt32BE(round++ >>> 0, 0);
        b.writeUInt32BE(left >>> 0, Math.max(0, b.length - 4));
        left -= b.length;
        hash.update(b);
        if (!socket.write(b)) return socket.once('drain', pump);
      }
      socket.end(() => resolve(hash.digest('hex')));
    };
    socket.once('error', reject);
    pump();
  });
}

/** Hashes everything a socket receives until its peer's FIN: { sha256, bytes }. */
export function hashIncoming(socket) {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    socket.on('data', (b) => {
      hash.update(b);
      bytes += b.length;
    });
    socket.once('end', () => resolve({ sha256: hash.digest('hex'), bytes }));
    socket.once('error', reject);
  });
}
