// What a process holds, from /proc: open descriptors and resident memory (Linux).
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Open descriptors and memory of a process: { fds, rssMb, peakRssMb }. */
export function procStats(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

/**
 * Polls `procStats(pid)` until `ok(stats)` holds; resolves with the stats, or rejects after
 * `ms` naming `what` and the last stats seen.
 */
export async function waitStats(pid, ok, what, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = procStats(pid);
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last seen ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

/** Connections waiting in the accept queues of every socket listening on TCP `port` (IPv4 and IPv6). */
export function acceptQueue(port) {
  let waiting = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local address, state 0A (LISTEN), tx_queue:rx_queue: a listener's rx_queue is its accept queue
      if (f.length > 4 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) waiting += parseInt(f[4].split(':')[1], 16);
    }
  }
  return waiting;
}

/**
 * Asks a process started with `--inspect=127.0.0.1:0` (its address read from `stderr`) for a full
 * garbage collection, then for what its heap and buffers hold: `process.memoryUsage()` in MB, the
 * heap without compiled code (`dataHeapMb`), and each heap space (`spacesMb`).
 */
export async function collectGarbage(stderr) {
  const { WebSocket } = await import('ws');
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
  if (!url) throw new Error(`no inspector address in the process's stderr: ${stderr}`);
  const ws = new WebSocket(url);
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const answers = new Map();
    ws.on('message', (m) => {
      const msg = JSON.parse(m);
      answers.get(msg.id)?.(msg);
    });
    const ask = (id, method, params) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method} within 20 s`)), 20_000);
        answers.set(id, (msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
        ws.send(JSON.stringify({ id, method, params }));
      });
    await ask(1, 'HeapProfiler.collectGarbage');
    const expression = "JSON.stringify({ usage: process.memoryUsage(), spaces: process.getBuiltinModule('v8').getHeapSpaceStatistics(), resources: process.getActiveResourcesInfo() })";
    const r = await ask(2, 'Runtime.evaluate', { expression, returnByValue: true });
    const { usage = {}, spaces = [], resources = [] } = JSON.parse(r.result?.result?.value ?? '{}');
    // what is still at work in the process (handles, thread-pool requests), counted by kind: a stream still ending shows here
    const active = {};
    for (const kind of resources) active[kind] = (active[kind] ?? 0) + 1;
    const mb = (n) => (n ?? NaN) / 1024 / 1024;
    // compiled code grows as hot functions are optimised, later on a busy machine: it is not data a process holds
    const code = spaces.filter((s) => s.space_name.startsWith('code_')).reduce((n, s) => n + s.space_used_size, 0);
    const spacesMb = Object.fromEntries(spaces.map((s) => [s.space_name, mb(s.space_used_size)]));
    return { heapUsedMb: mb(usage.heapUsed), dataHeapMb: mb(usage.heapUsed - code), codeMb: mb(code), spacesMb, externalMb: mb(usage.external), arrayBuffersMb: mb(usage.arrayBuffers), active };
  } finally {
    ws.close();
  }
}
