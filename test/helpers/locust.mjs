// Debian's Locust as a real peer: a master started on a port of its own choosing, found through /proc, and its CSV read back.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { readSocketTable } from '../../dist/index.js';
import { PEERS } from './index.mjs';

/** Debian's locust (python3-locust), run by /usr/bin/python3. */
export const LOCUST = '/usr/bin/locust';
export const LOCUSTFILE = join(PEERS, 'locustfile.py');

/** The TCP ports a process listens on, from /proc. */
export function listeningPorts(pid) {
  const inodes = new Set();
  let fds = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return readSocketTable('tcp').filter((e) => e.state === 'LISTEN' && inodes.has(e.inode)).map((e) => e.localPort);
}

/** The Debian package's version (Locust's own `--version` is empty in Debian's build). */
export function locustVersion() {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'python3-locust'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/** Starts a master as {@link launchMaster} does, killed when the test ends. */
export async function startMaster(t, args, options = {}) {
  let master;
  t.after(() => master?.kill());
  master = await launchMaster(args, { ...options, onSpawn: (m) => (master = m) });
  return master;
}

/**
 * Starts `locust -f locustfile.py --master` bound to 127.0.0.1 on a port it picks itself (or `port`);
 * resolves once it listens, with the port. `ports` listening sockets are awaited (2 with the web UI).
 */
export async function launchMaster(args, { port = 0, ports = 1, ms = 60000, spawn: spawnFn = spawn, onSpawn } = {}) {
  const child = spawnFn(LOCUST, ['-f', LOCUSTFILE, '--master', '--master-bind-host', '127.0.0.1', '--master-bind-port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const master = {
    child, output: '', exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
    },
  };
  onSpawn?.(master);
  child.stdout.on('data', (d) => (master.output += d));
  child.stderr.on('data', (d) => (master.output += d));
  const deadline = Date.now() + ms;
  let found = [];
  while (found.length < ports) {
    if (child.exitCode !== null) throw new Error(`locust --master exited (${child.exitCode}) before listening\n${master.output}`);
    if (Date.now() > deadline) throw new Error(`locust --master did not listen within ${ms} ms\n${master.output}`);
    await new Promise((r) => setTimeout(r, 100));
    // under taskset the master is the child's child once taskset has exec'd: same pid
    found = listeningPorts(child.pid);
  }
  // with the web UI on, one of the ports answers HTTP; the other is for workers
  master.webPort = undefined;
  for (const p of found) if (found.length > 1 && (await answersHttp(p))) master.webPort = p;
  master.port = port || found.find((p) => p !== master.webPort);
  return master;
}

function answersHttp(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Reads a Locust CSV file into objects keyed by its header. */
export function readCsv(file) {
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split(/\r?\n/).map((line) => line.split(','));
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}
