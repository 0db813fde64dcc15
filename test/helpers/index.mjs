// Test helpers: spawn the real CLI, read its NDJSON events, run peer scripts, make temp trees.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { PYTHON } from './peers.mjs';
import { WAIT_MS } from './wait.mjs';

export { waitFor, nextEvent, quietFor, within, WAIT_MS } from './wait.mjs';
export { requirePeer, skipUnless, unavailable, whyMissing, hasCommand, IN_CI, PYTHON } from './peers.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const PEERS = join(ROOT, 'test', 'peers');
/** Environment for spawned CLIs: host names other than localhost fail at once, without asking a resolver. */
export const OFFLINE = { NODE_OPTIONS: `--import=${join(ROOT, 'test', 'helpers', 'offline-dns.mjs')}` };

/**
 * Spawns `sockit ...args`. The handle collects stdout/stderr, parses NDJSON lines from stdout
 * and is killed when the test ends. `nofile` raises the child's soft limit of open files
 * (`ulimit -n`) for tests that hold thousands of connections. `terminal` puts its stdout on a
 * pseudo-terminal, for what sockit shows only to people.
 */
export function spawnCli(t, args, { env, stdin = 'pipe', nofile, terminal = false, cwd } = {}) {
  let [cmd, argv] = nofile ? withNofile(nofile, process.execPath, [CLI, ...args]) : [process.execPath, [CLI, ...args]];
  if (terminal) [cmd, argv] = ['python3', [join(ROOT, 'test', 'helpers', 'pty_run.py'), '--', cmd, ...argv]];
  const child = spawn(cmd, argv, { stdio: [stdin, 'pipe', 'pipe'], cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
  const handle = {
    child,
    stdout: '',
    stderr: '',
    events: [],
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    waiters: [],
    /** Resolves with the first event (parsed NDJSON) that matches, waiting up to `ms`; `what` names it in the error. */
    waitEvent(pred, ms = WAIT_MS, what = `an event matching ${pred}`) {
      const found = handle.events.find(pred);
      if (found) return Promise.resolve(found);
      return waitWith(handle, () => handle.events.find(pred), ms, what);
    },
    /** Resolves once stdout contains `text` (or matches a RegExp). */
    waitStdout(text, ms = WAIT_MS) {
      const test = () => (typeof text === 'string' ? handle.stdout.includes(text) : text.test(handle.stdout)) || undefined;
      return test() ? Promise.resolve(true) : waitWith(handle, test, ms, `stdout ${text}`);
    },
    /** Resolves once stderr contains `text` (or matches a RegExp). */
    waitStderr(text, ms = WAIT_MS) {
      const test = () => (typeof text === 'string' ? handle.stderr.includes(text) : text.test(handle.stderr)) || undefined;
      return test() ? Promise.resolve(true) : waitWith(handle, test, ms, `stderr ${text}`);
    },
    /** The `listening` event's port, waiting up to `ms`. */
    async port(ms = WAIT_MS) {
      const e = await handle.waitEvent((e) => e.event === 'listening', ms, "the 'listening' event");
      return e.port;
    },
    /** Sends `signal` and resolves with { code, signal } once the process exited (within `ms`). */
    async stop(signal = 'SIGINT', ms = WAIT_MS) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer;
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`sockit ${args.join(' ')} did not exit within ${ms} ms of ${signal}\nstdout: ${handle.stdout}\nstderr: ${handle.stderr}`)), ms);
      });
      return Promise.race([handle.exited, late]).finally(() => clearTimeout(timer));
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

/**
 * A command line that runs `cmd args` with its soft limit of open files raised to `nofile`
 * (the shell execs it, so the pid is the program's own).
 */
export function withNofile(nofile, cmd, args) {
  return ['sh', ['-c', 'ulimit -n "$0" && exec "$@"', String(nofile), cmd, ...args]];
}

/** The hard limit of open files a child may raise its soft limit to. */
export function hardNofile() {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Infinity : Number(out);
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
      reject(new Error(`timed out after ${ms} ms waiting for ${what}\nstdout: ${handle.stdout}\nstderr: ${handle.stderr}`));
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
export function run(cmd, args, { input, timeoutMs = 3 * WAIT_MS, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    const out = [];
    let stderr = '';
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstderr: ${stderr}`));
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
  return run(PYTHON, [join(PEERS, script), ...args.map(String)], options);
}

/**
 * Streams random bytes to an echo at `port` from the textbook peer tcp_stream_check.py: 4
 * connections at once, 24 MiB each, the readers stopping every 512 KiB so the echoes queue; every
 * connection must get back exactly what it sent (SHA-256).
 */
export async function assertStreamsEchoed(port) {
  const { code, stdout, stderr } = await runPeer('tcp_stream_check.py', ['127.0.0.1', port, 4, 24 * 1024, 512]);
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 4, stdout);
  for (const line of lines) assert.match(line, /^ok \d+ 25165824 [0-9a-f]{64}$/, stdout);
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

/**
 * Connects, sends `payload` and collects the answer. With `expect` (a byte count, or the
 * Buffer/string expected) it resolves once that many bytes arrived; `expect: 0` sends and closes.
 * Without it, it resolves when the peer closes. `end` half-closes after sending. Rejects after
 * `timeoutMs`, saying what had arrived.
 */
export function exchange(port, payload, { host = '127.0.0.1', expect, end = false, timeoutMs = WAIT_MS } = {}) {
  const want = expect === undefined ? undefined : typeof expect === 'number' ? expect : Buffer.byteLength(expect);
  return new Promise((resolve, reject) => {
    const chunks = [];
    let received = 0;
    let settled = false;
    const finish = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const socket = net.connect(port, host, () => {
      if (payload !== undefined) socket.write(payload, () => want === 0 && finish());
      if (end) socket.end();
    });
    const timer = setTimeout(() => {
      const got = Buffer.concat(chunks);
      finish(new Error(`timed out after ${timeoutMs} ms waiting for ${want === undefined ? 'the server to close' : `${want} bytes`} from ${host}:${port}; got ${got.length}: ${JSON.stringify(got.toString('latin1'))}`));
    }, timeoutMs);
    socket.on('data', (b) => {
      chunks.push(b);
      received += b.length;
      if (want !== undefined && want > 0 && received >= want) finish();
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish());
  });
}

/**
 * Starts a python3 peer from test/peers that prints its port first ("listening on <port>" or the
 * bare number); killed when the test ends. Resolves with { child, port, output(), exited }.
 */
export async function startPeer(t, script, args = []) {
  const child = spawn(PYTHON, [join(PEERS, script), ...args.map(String)]);
  t.after(() => child.kill());
  let output = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => (stderr += s));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not print its port within ${WAIT_MS} ms\nstdout: ${output}\nstderr: ${stderr}`)), WAIT_MS);
    child.stdout.on('data', (s) => {
      output += s;
      const m = /^(?:listening on )?(\d+)\s*$/m.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before printing its port\nstdout: ${output}\nstderr: ${stderr}`));
    });
  });
  return { child, port, output: () => output, stderr: () => stderr, exited };
}

/** Resolves once the peer's stdout matches `pattern` (a string or RegExp), within `timeoutMs`. */
export function peerOutput(peer, pattern, { timeoutMs = WAIT_MS } = {}) {
  const matches = () => (typeof pattern === 'string' ? peer.output().includes(pattern) : pattern.test(peer.output()));
  return new Promise((resolve, reject) => {
    if (matches()) return resolve(peer.output());
    const timer = setTimeout(() => {
      peer.child.stdout.off('data', check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for the peer to print ${pattern}\nstdout: ${peer.output()}\nstderr: ${peer.stderr()}`));
    }, timeoutMs);
    function check() {
      // the handle's own listener, added first, has already appended this chunk
      if (!matches()) return;
      clearTimeout(timer);
      peer.child.stdout.off('data', check);
      resolve(peer.output());
    }
    peer.child.stdout.on('data', check);
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
