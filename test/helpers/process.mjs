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
 * Asks a node process started with `--inspect=127.0.0.1:0` (its inspector's address is on its
 * stderr) for a full garbage collection that also gives back what V8 holds in reserve (the
 * inspector's collectGarbage is V8's low-memory notification). Memory measured after it is what
 * the process keeps, not what its collector has yet to visit.
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
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the inspector did not answer collectGarbage within 20 s')), 20_000);
      ws.on('message', (m) => {
        if (JSON.parse(m).id === 1) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    });
  } finally {
    ws.close();
  }
}
