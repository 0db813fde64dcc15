// TCP connect probes and scans: port lists such as `22,80,8000-8100`, bounded concurrency, a timeout per port.
import net from 'node:net';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { UsageError } from '../errors.js';
import { parseInteger } from '../wire/endpoint.js';
import { serviceName } from './services.js';

/** What a connect probe found: open (accepted), closed (refused), filtered (no answer, or refused by a firewall), error (a local failure). */
export type PortState = 'open' | 'closed' | 'filtered' | 'error';

/** One probe's outcome. `ms` is the time to connect (or to fail). */
export interface ProbeResult {
  port: number;
  state: PortState;
  ms: number;
  /** The system error code behind a closed, filtered or error state. */
  code?: string;
  /** The service name of a well-known port. */
  service?: string;
}

/** How hard a scan pushes. */
export interface ScanPace {
  /** Probes in flight at once (default 100). */
  concurrency?: number;
  /** Give up on a port after this long; it is then `filtered` (default 1000). */
  timeoutMs?: number;
}

/** {@link ScanPace} before the check: each number also as the text a person typed. */
export interface ScanPaceInput {
  concurrency?: number | string;
  timeoutMs?: number | string;
}

/** How a scan runs. */
export interface ScanOptions extends ScanPace {
  /** An IP address: resolve names first, so every probe goes to one address. */
  address: string;
  ports: number[];
  /** Called as each probe finishes, in completion order. */
  onResult?: (result: ProbeResult) => void;
  /** Stops starting new probes; those in flight are abandoned. */
  signal?: AbortSignal;
}

/** Upper bounds that keep a typo from opening thousands of sockets at once. */
export const MAX_SCAN_CONCURRENCY = 1000;

/** Checks a scan's concurrency and timeout and fills in the defaults; a wrong one throws a UsageError naming its field. */
export function checkScanPace(o: ScanPaceInput): Required<ScanPace> {
  return {
    concurrency: parseInteger(o.concurrency ?? 100, 'concurrency', 1, MAX_SCAN_CONCURRENCY),
    timeoutMs: parseInteger(o.timeoutMs ?? 1000, 'timeoutMs', 1),
  };
}

/**
 * Parses a port list: single ports and ranges separated by commas, e.g. `22,80,8000-8100`.
 * Returns the ports sorted and without repeats. Port 0 cannot be probed and is refused.
 */
export function parsePortList(text: string, name = 'ports'): number[] {
  const seen = new Set<number>();
  const parts = text.split(',');
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') throw new UsageError(`${name}: empty entry in '${text}'; write ports and ranges separated by commas, as 22,80,8000-8100`, { field: name });
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`${name}: '${part}' is not a port or a range such as 8000-8100`, { field: name });
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (const p of [from, to]) {
      if (p === 0) throw new UsageError(`${name}: port 0 cannot be scanned (in '${part}'); ports run from 1 to 65535`, { field: name });
      if (p > 65535) throw new UsageError(`${name}: port ${p} is out of range (in '${part}'); ports run from 1 to 65535`, { field: name });
    }
    if (to < from) throw new UsageError(`${name}: the range '${part}' runs backwards; write ${to}-${from}`, { field: name });
    for (let p = from; p <= to; p++) seen.add(p);
  }
  return [...seen].sort((a, b) => a - b);
}

function classify(code: string | undefined): PortState {
  switch (code) {
    case 'ECONNREFUSED':
    case 'ECONNRESET':
      return 'closed';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EACCES':
    case 'EPERM':
      return 'filtered';
    default:
      return 'error';
  }
}

/** Connects once to `address:port` and reports how it went; never rejects. */
export function probeTcp(address: string, port: number, timeoutMs = 1000, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const service = serviceName(port);
    let done = false;
    const socket = net.connect({ host: address, port });
    const finish = (state: PortState, code?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      const result: ProbeResult = { port, state, ms: performance.now() - start };
      if (code) result.code = code;
      if (service) result.service = service;
      resolve(result);
    };
    const onAbort = () => finish('error', 'ABORTED');
    const timer = setTimeout(() => finish('filtered', 'ETIMEDOUT'), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(classify(err.code), err.code));
  });
}

/** Probes every port with at most `concurrency` connects in flight. Resolves with the results sorted by port. */
export async function scanPorts(options: ScanOptions): Promise<ProbeResult[]> {
  const { address, ports, signal } = options;
  if (!net.isIP(address)) throw new UsageError(`scan address must be an IP address, got '${address}'; resolve names first`);
  const { concurrency, timeoutMs } = checkScanPace(options);
  // one inner signal that every probe in flight listens to, so the caller's signal keeps one listener
  const inner = new AbortController();
  setMaxListeners(concurrency + 10, inner.signal);
  const onAbort = () => inner.abort();
  if (signal?.aborted) inner.abort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const results: ProbeResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < ports.length && !inner.signal.aborted) {
      const port = ports[next++]!;
      const result = await probeTcp(address, port, timeoutMs, inner.signal);
      if (result.code === 'ABORTED') return;
      results.push(result);
      options.onResult?.(result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, ports.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return results.sort((a, b) => a.port - b.port);
}
