// WebSocket test helpers: Debian's python3-websockets peers, a hand-written raw client for hostile frames, event collection with deadlines.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import net from 'node:net';
import { PEERS } from '../helpers/index.mjs';
import { requirePeer } from '../helpers/peers.mjs';

/** Debian's python3 (the pyenv python3 on PATH lacks Debian's python3-websockets). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
/** Skips the test when python3-websockets is missing on a developer machine; with CI=true that is a failure. */
export function requireWebsockets(t) {
  return requirePeer(t, 'python3-websockets');
}

/** Starts a python peer that prints "listening on <port>"; killed when the test ends. Resolves with its port and output. */
export function startPyPeer(t, script, args = [], { timeoutMs = 15_000 } = {}) {
  const child = spawn(DEBIAN_PYTHON, [join(PEERS, script), ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const peer = { child, stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (s) => (peer.stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (peer.stderr += s));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not say "listening on" within ${timeoutMs} ms: ${peer.stderr}`)), timeoutMs);
    const look = () => {
      const m = /listening on (\d+)/.exec(peer.stdout);
      if (m) {
        clearTimeout(timer);
        peer.port = Number(m[1]);
        resolve(peer);
      }
    };
    child.stdout.on('data', look);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before listening: ${peer.stderr}`));
    });
  });
}

/** Runs a python peer to its end with raised open-files limits: { code, stdout, stderr }. */
export function runPy(script, args = [], { timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bash', DEBIAN_PYTHON, join(PEERS, script), ...args.map(String)]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Records a session's events; `waitEvent` resolves with the first match or rejects after `ms`, naming what it waited for. */
export function recorder() {
  const events = [];
  const waiters = new Set();
  const onEvent = (e) => {
    events.push(e);
    for (const w of [...waiters]) w();
  };
  const waitEvent = (pred, what, ms = 10_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find(pred);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; events: ${events.map((e) => e.event).join(' ')}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { events, onEvent, waitEvent };
}

/** Encodes one frame as a client sends it (masked) or a server (unmasked). */
export function encodeFrame(opcode, payload, { fin = true, mask = true } = {}) {
  const len = payload.length;
  const head = [(fin ? 0x80 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), key, body]);
}

/**
 * A WebSocket client by hand, for what no well-behaved library sends (invalid UTF-8, a reader
 * that never reads). Resolves once the server answered 101; `received` gathers what follows.
 */
export function rawWsClient(t, port, path = '/', { read = true } = {}) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const socket = net.connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const client = { socket, received: Buffer.alloc(0), closed: new Promise((r) => socket.on('close', r)) };
    socket.on('error', () => {});
    socket.on('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    const onData = (b) => {
      if (upgraded) {
        client.received = Buffer.concat([client.received, b]);
        return;
      }
      buf = Buffer.concat([buf, b]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) return reject(new Error(`no upgrade: ${head}`));
      upgraded = true;
      client.received = buf.subarray(end + 4);
      if (!read) {
        // from here on the kernel's buffers fill and stay full: this client never reads again
        socket.off('data', onData);
        socket.pause();
      }
      resolve(client);
    };
    socket.on('data', onData);
    socket.on('close', () => !upgraded && reject(new Error('closed before the upgrade')));
  });
}

/** The first server frame in `bytes` (unmasked), or undefined when it has not all arrived. */
export function firstFrame(bytes) {
  if (bytes.length < 2) return undefined;
  let len = bytes[1] & 0x7f;
  let at = 2;
  if (len === 126) {
    if (bytes.length < 4) return undefined;
    len = bytes.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (bytes.length < 10) return undefined;
    len = Number(bytes.readBigUInt64BE(2));
    at = 10;
  }
  if (bytes.length < at + len) return undefined;
  return { fin: (bytes[0] & 0x80) !== 0, opcode: bytes[0] & 0x0f, payload: bytes.subarray(at, at + len) };
}

/** Waits until `test()` returns something defined, looking every 10 ms; rejects after `ms`, naming `what`. */
export async function until(test, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = test();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
