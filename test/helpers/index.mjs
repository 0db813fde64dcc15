// Test helpers: spawn the real CLI, read its NDJSON events, run peer scripts, make temp trees.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import dgram from 'node:dgram';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const PEERS = join(ROOT, 'test', 'peers');

/** True when a program is on PATH. */
export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/**
 * Spawns `sockit ...args`. The handle collects stdout/stderr, parses NDJSON lines from stdout
 * and is killed when the test ends.
 */
export function spawnCli(t, args, { env, stdin = 'pipe' } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
  const handle = {
    child,
    stdout: '',
    stderr: '',
    events: [],
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    waiters: [],
    /** Resolves with the first event (parsed NDJSON) that matches, waiting up to `ms`. */
    waitEvent(pred, ms = 5000) {
      const found = handle.events.find(pred);
      if (found) return Promise.resolve(found);
      return waitWith(handle, () => handle.events.find(pred), ms, 'event');
    },
    /** Resolves once stdout contains `text` (or matches a RegExp). */
    waitStdout(text, ms = 5000) {
      const test = () => (typeof text === 'string' ? handle.stdout.includes(text) : text.test(handle.stdout)) || undefined;
      return test() ? Promise.resolve(true) : waitWith(handle, test, ms, `stdout ${text}`);
    },
    waitStderr(text, ms = 5000) {
      const test = () => (typeof text === 'string' ? handle.stderr.includes(text) : text.test(handle.stderr)) || undefined;
      return test() ? Promise.resolve(true) : waitWith(handle, test, ms, `stderr ${text}`);
    },
    /** The `listening` event's port. */
    async port() {
      const e = await handle.waitEvent((e) => e.event === 'listening');
      return e.port;
    },
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return handle.exited;
    },
  };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => {
    handle.stdout += s;
    partial += s;
    let i;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      if (line.startsWith('{')) {
        try {
          handle.events.push(JSON.parse(line));
        } catch {
          // not NDJSON: plain output
        }
      }
    }
    notify(handle);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    handle.stderr += s;
    notify(handle);
  });
  child.on('exit', () => notify(handle));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return handle;
}

function notify(handle) {
  for (const w of [...handle.waiters]) w();
}

function waitWith(handle, test, ms, what) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const v = test();
      if (v !== undefined) {
        done();
        resolve(v);
      } else if (handle.child.exitCode !== null || handle.child.signalCode !== null) {
        // give late output one more look after exit
        setImmediate(() => {
          const v2 = test();
          done();
          if (v2 !== undefined) resolve(v2);
          else reject(new Error(`process exited (${handle.child.exitCode}) before ${what}\nstdout: ${handle.stdout}\nstderr: ${handle.stderr}`));
        });
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}\nstdout: ${handle.stdout}\nstderr: ${handle.stderr}`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      const i = handle.waiters.indexOf(check);
      if (i >= 0) handle.waiters.splice(i, 1);
    };
    handle.waiters.push(check);
  });
}

/** Runs a command to completion: { code, stdout, stderr } (stdout as a Buffer in `raw`). */
export function run(cmd, args, { input, timeoutMs = 15000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, NO_COLOR: '1', ...env } });
    const out = [];
    let stderr = '';
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const raw = Buffer.concat(out);
      resolve({ code, stdout: raw.toString('utf8'), raw, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Runs the sockit CLI to completion. */
export function runCli(args, options) {
  return run(process.execPath, [CLI, ...args], options);
}

/** Runs a python3 peer script from test/peers. */
export function runPeer(script, args, options) {
  return run('python3', [join(PEERS, script), ...args.map(String)], options);
}

/** A temporary folder removed when the test ends. */
export function tmpDir(t, prefix = 'sockit-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A raw TCP server on 127.0.0.1:0 for tests; closed when the test ends. */
export async function rawServer(t, onConnection, host = '127.0.0.1') {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  await new Promise((r) => server.listen(0, host, r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return server.address().port;
}

/** Connects, sends, collects until the peer closes or `ms` of silence. */
export function exchange(port, payload, { host = '127.0.0.1', ms = 1000, end = false } = {}) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const socket = net.connect(port, host, () => {
      if (payload !== undefined) socket.write(payload);
      if (end) socket.end();
    });
    let timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (b) => {
      chunks.push(b);
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), ms);
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port on 127.0.0.1 that was just free: nothing listens there (for refused-connection cases). */
export async function closedPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** A UDP port on 127.0.0.1 that was just free: datagrams sent there draw "port unreachable". */
export async function closedUdpPort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}
