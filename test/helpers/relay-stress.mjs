// Stress routines for a relay, shared by its robustness tests and bench/proxy.mjs: a target whose behaviour switches, connect/disconnect cycles, clients that reset mid-write, and the normal exchange that must still get through.
import net from 'node:net';
import { within, WAIT_MS } from './wait.mjs';

/**
 * A target on 127.0.0.1 whose new connections do what `mode` says: `echo`; `silent` (accepts,
 * reads, never answers); `reset` (answers with a stream of bytes and resets in the middle of it).
 * `down()` stops listening (a target that is down refuses); `up()` listens on the same port again.
 */
export async function switchableTarget() {
  const sockets = new Set();
  const target = { mode: 'echo', port: 0, accepted: 0 };
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    target.accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    if (target.mode === 'echo') s.pipe(s);
    else if (target.mode === 'silent') s.resume();
    else {
      s.resume();
      const block = Buffer.alloc(64 * 1024, 0x5a);
      // a few blocks out, then a reset while the proxy is still forwarding them
      for (let i = 0; i < 16; i++) s.write(block);
      setImmediate(() => s.resetAndDestroy());
    }
  });
  const listen = (port) =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  target.port = server.address().port;
  target.down = () => new Promise((resolve) => server.close(() => resolve()));
  target.up = () => listen(target.port);
  target.close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  };
  return target;
}

/** Connects to 127.0.0.1:port; rejects on error or after `timeoutMs`. */
export function connectTo(port, timeoutMs = WAIT_MS) {
  return within(
    new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    }),
    { what: `a connection to port ${port}`, timeoutMs },
  );
}

/**
 * A normal client: sends `text`, expects exactly it back (the target echoes), closes. Rejects
 * naming what it got when the answer does not come within `timeoutMs`.
 */
export async function echoesThrough(port, text = 'still here\n', timeoutMs = WAIT_MS) {
  const s = await connectTo(port, timeoutMs);
  let got = '';
  try {
    await within(
      new Promise((resolve, reject) => {
        s.setEncoding('utf8');
        s.on('data', (d) => {
          got += d;
          if (got.length >= text.length) resolve();
        });
        s.once('close', () => reject(new Error(`the connection closed after ${JSON.stringify(got)}`)));
        s.once('error', reject);
        s.write(text);
      }),
      { what: `the echo of ${JSON.stringify(text)} through port ${port} (got ${JSON.stringify(got)} so far)`, timeoutMs },
    );
  } finally {
    s.destroy();
  }
  if (got !== text) throw new Error(`expected ${JSON.stringify(text)} back, got ${JSON.stringify(got)}`);
}

/**
 * `count` connect/disconnect cycles through a relay to an echo target, `parallel` at a time:
 * each connects, sends 4 bytes, waits for their echo and closes, every other one with a reset.
 * Resolves with { ok, failed, firstError, ms }; stops at `deadlineMs` whatever is left.
 */
export async function cycles(port, count, { parallel = 32, deadlineMs = 120_000 } = {}) {
  const started = performance.now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError;
  const one = (i) =>
    new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      let got = 0;
      const done = (err) => {
        clearTimeout(timer);
        if (err) {
          failed++;
          firstError ??= err;
          s.destroy();
        } else {
          ok++;
          if (i % 2) s.resetAndDestroy();
          else s.end();
        }
        resolve();
      };
      const timer = setTimeout(() => done(new Error(`cycle ${i}: no echo within 10 s`)), 10_000);
      s.on('connect', () => s.write('ping'));
      s.on('data', (d) => {
        got += d.length;
        if (got >= 4) done();
      });
      s.on('error', (e) => got < 4 && done(e));
      s.on('close', () => got < 4 && done(new Error(`cycle ${i}: closed before the echo`)));
    });
  const worker = async () => {
    while (next < count && performance.now() - started < deadlineMs) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return { ok, failed, firstError, ms: performance.now() - started };
}

/**
 * `count` clients that start a large write through the relay and reset their connection in the
 * middle of it. Resolves once every one of them has closed.
 */
export async function resetMidWrite(port, count = 20, bytes = 4 * 1024 * 1024) {
  const block = Buffer.alloc(bytes, 0xa5);
  await Promise.all(
    Array.from({ length: count }, async () => {
      const s = await connectTo(port);
      s.on('error', () => {});
      const closed = new Promise((resolve) => s.once('close', resolve));
      s.write(block);
      // once part of it has left, not all: the relay is mid-copy when the reset lands
      setTimeout(() => s.resetAndDestroy(), 2);
      await within(closed, { what: 'a resetting client to close' });
    }),
  );
}
