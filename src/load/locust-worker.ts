// A Locust worker: joins a Locust master over ZeroMQ and runs the load engine for the users it is given.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Dealer } from 'zeromq';
import { ConnectError, SockitError, UsageError } from '../errors.js';
import { formatEndpoint } from '../wire/endpoint.js';
import { LoadEngine, type EngineSettings } from './engine.js';
import { resolveLoadOptions, reportOf, latencyOf, type LoadOptions, type LoadReport, type LatencySummary } from './load.js';
import { LocustCollector, type LocustStatsReport } from './locust-collector.js';
import { decodeLocustMessage, encodeLocustMessage, readSpawn, type LocustSpawn } from './locust-protocol.js';

/** How a worker joins its master and what each of its users does. */
export interface LocustWorkerOptions {
  /** The master's address (`locust --master`), and its port (default 5557). */
  masterHost: string;
  masterPort?: number;
  /** The target and what each user (one connection) sends; the master decides how many and how long. */
  load: Omit<LoadOptions, 'connections' | 'durationMs'>;
  /** When the master goes away: stop the load and wait for it to come back (default: end with an error). */
  reconnect?: boolean;
  /** How long to wait for a master to answer at first (default 60 s; with `reconnect`, for ever). */
  joinTimeoutMs?: number;
  /** A user whose connection fails or is closed connects again after this pause (default 100 ms). */
  reconnectAfterMs?: number;
  /** The worker's name at the master (default: this host's name and a random id, as Locust's own workers). */
  workerId?: string;
}

/** What a worker does, as it happens. */
export type LocustWorkerEvent =
  | { event: 'joining'; master: string; workerId: string }
  | { event: 'joined'; master: string; index: number }
  | { event: 'spawn'; users: number; classes: Record<string, number> }
  | { event: 'report'; users: number; active: number; requests: number; requestsPerSec: number; failures: number; latency?: LatencySummary }
  | { event: 'stop'; report: LoadReport }
  | { event: 'lost'; master: string; waiting: boolean }
  | { event: 'quit' };

/** How a worker ended. */
export interface LocustWorkerResult {
  /** quit: the master said so; stopped: {@link LocustWorker.stop}; lost: the master went away; unreachable: it never answered. */
  reason: 'quit' | 'stopped' | 'lost' | 'unreachable';
  /** The last run's report, if the master started one. */
  report?: LoadReport;
  /** Why it ended badly (lost, unreachable). */
  error?: SockitError;
}

// Locust's own timings (runners.py): a heartbeat a second, a stats report every three seconds;
// the master gives up on a worker after three missed heartbeats, and this worker on its master
// the same way, through ZeroMQ's own heartbeats, which the master's libzmq answers by itself
const HEARTBEAT_MS = 1000;
const REPORT_MS = 3000;
const MASTER_TIMEOUT_MS = 3000;
const DEFAULT_PORT = 5557;
// Locust masters take -1 as the version of a worker written in another language
const NON_PYTHON_VERSION = -1;

/** A running worker; create it with {@link joinLocust}. Emits `event` with {@link LocustWorkerEvent}s. */
export class LocustWorker extends EventEmitter {
  readonly workerId: string;
  readonly master: string;
  readonly done: Promise<LocustWorkerResult>;
  private state: 'joining' | 'ready' | 'spawning' | 'running' | 'ended' = 'joining';
  private dealer: Dealer | undefined;
  private readonly settings: EngineSettings;
  private readonly collector: LocustCollector;
  private engine: LoadEngine | undefined;
  private lastReport: LoadReport | undefined;
  private spawn: LocustSpawn | undefined;
  private lastSpawnAt = 0;
  private sending: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private joinDeadline: NodeJS.Timeout | undefined;
  private readyAgain: NodeJS.Timeout | undefined;
  private cpu = { usage: process.cpuUsage(), at: performance.now(), percent: 0 };
  private resolveDone!: (r: LocustWorkerResult) => void;

  constructor(private readonly options: LocustWorkerOptions) {
    super();
    const port = options.masterPort ?? DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`the master's port must be a whole number from 1 to 65535, got '${port}'`);
    this.master = formatEndpoint(options.masterHost, port);
    // users come and go with the master's orders, and one whose connection ends connects again
    this.settings = { ...resolveLoadOptions({ ...options.load, connections: 0 }, true), reconnectAfterMs: options.reconnectAfterMs ?? 100 };
    const s = this.settings;
    this.collector = new LocustCollector('tcp', `${s.mode} ${s.payload.length} B`, s.mode === 'request' ? s.expect : s.payload.length, s.mode === 'request');
    this.settings.observer = this.collector;
    this.workerId = options.workerId ?? `${hostname()}_${randomUUID().replace(/-/g, '')}`;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Connects to the master and announces the worker; resolves once the ZeroMQ socket exists. */
  async start(): Promise<void> {
    let zmq: typeof import('zeromq');
    try {
      zmq = await import('zeromq');
    } catch (err) {
      throw new SockitError('SOCKIT_ERR_UNAVAILABLE', 'the Locust worker needs the zeromq package, which is not installed here', {
        cause: err, hint: 'it installs with sockit on Linux, macOS and Windows (x64, arm64); run npm install zeromq',
      });
    }
    const port = this.options.masterPort ?? DEFAULT_PORT;
    this.dealer = new zmq.Dealer({
      routingId: this.workerId,
      // messages for a master that is not there are dropped, as Locust's own non-blocking sends drop them
      immediate: true, sendTimeout: 0, linger: 0,
      heartbeatInterval: HEARTBEAT_MS, heartbeatTimeout: MASTER_TIMEOUT_MS,
      reconnectInterval: 500, reconnectMaxInterval: 2000, tcpKeepalive: 1, tcpKeepaliveIdle: 30,
      ipv6: this.options.masterHost.includes(':'),
    });
    this.dealer.events.on('disconnect', () => this.masterGone());
    this.dealer.connect(`tcp://${this.options.masterHost.includes(':') ? `[${this.options.masterHost}]` : this.options.masterHost}:${port}`);
    void this.receive(this.dealer);
    this.join();
    this.onEverySecond(() => this.heartbeat());
    this.timers.push(setInterval(() => this.report(), REPORT_MS));
  }

  /** Stops the load, tells the master this worker quits (with a last report) and ends. */
  stop(): void {
    if (this.state === 'ended') return;
    this.stopLoad();
    if (this.state !== 'joining') {
      this.send('stats', this.statsData());
      this.send('quit', null);
    }
    this.end({ reason: 'stopped' }, 1000);
  }

  /** Runs `fn` just after each whole second of the clock, so per-second counts land in their own second. */
  private onEverySecond(fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.splice(this.timers.indexOf(timer), 1);
      if (this.state === 'ended') return;
      fn();
      this.onEverySecond(fn);
    }, HEARTBEAT_MS - (Date.now() % 1000) + 5);
    this.timers.push(timer);
  }

  /** Says client_ready until the master acknowledges (ZeroMQ drops it while no master is connected). */
  private join(): void {
    this.state = 'joining';
    this.emit('event', { event: 'joining', master: this.master, workerId: this.workerId } satisfies LocustWorkerEvent);
    this.send('client_ready', NON_PYTHON_VERSION);
    const waitMs = this.options.joinTimeoutMs ?? 60_000;
    if (!this.options.reconnect && !this.joinDeadline) {
      this.joinDeadline = setTimeout(() => {
        const s = Math.round(waitMs / 1000);
        this.end({ reason: 'unreachable', error: new ConnectError('SOCKIT_ERR_TIMEOUT', `no Locust master answered at ${this.master} within ${s} s`, {
          hint: 'start it with locust --master (it listens on port 5557 unless --master-bind-port says otherwise), or add --reconnect to wait for it',
        }) });
      }, waitMs);
    }
  }

  private async receive(dealer: Dealer): Promise<void> {
    try {
      for await (const [frame] of dealer) {
        if (this.state === 'ended') return;
        let msg;
        try {
          msg = decodeLocustMessage(frame!);
        } catch {
          continue; // not from a Locust master: nothing to act on
        }
        this.handle(msg.type, msg.data);
      }
    } catch {
      // the socket was closed
    }
  }

  private handle(type: string, data: unknown): void {
    switch (type) {
      case 'ack':
        if (this.state !== 'joining') return;
        clearTimeout(this.joinDeadline);
        this.joinDeadline = undefined;
        this.state = 'ready';
        this.emit('event', { event: 'joined', master: this.master, index: Number((data as { index?: number } | null)?.index ?? -1) } satisfies LocustWorkerEvent);
        return;
      case 'spawn':
        return this.onSpawn(data);
      case 'stop':
        return this.onStop();
      case 'quit':
        this.stopLoad();
        this.send('stats', this.statsData());
        this.emit('event', { event: 'quit' } satisfies LocustWorkerEvent);
        return this.end({ reason: 'quit' }, 1000);
      case 'reconnect':
        // the master could not read us: start the connection afresh, as Locust's workers do
        return this.masterGone(true);
      default:
        // heartbeats of newer masters, events for Python user code: nothing for this worker to do
        return;
    }
  }

  private onSpawn(data: unknown): void {
    if (this.state === 'joining') return;
    this.send('spawning', null);
    let spawn: LocustSpawn;
    try {
      spawn = readSpawn(data);
    } catch {
      return;
    }
    // a spawn older than the last one arrived late: Locust's workers ignore it too
    if (spawn.timestamp && spawn.timestamp <= this.lastSpawnAt) return;
    this.lastSpawnAt = spawn.timestamp;
    clearTimeout(this.readyAgain);
    this.spawn = spawn;
    this.state = 'spawning';
    if (!this.engine) {
      this.engine = new LoadEngine({ ...this.settings, connections: spawn.users });
      this.collector.attach(this.engine);
      this.engine.start();
    } else {
      this.engine.resize(spawn.users);
    }
    this.emit('event', { event: 'spawn', users: spawn.users, classes: spawn.classes } satisfies LocustWorkerEvent);
    this.send('spawning_complete', { user_classes_count: spawn.classes, user_count: spawn.users });
    this.state = 'running';
  }

  private onStop(): void {
    if (this.state === 'joining') return;
    this.stopLoad();
    this.send('stats', this.statsData());
    this.send('client_stopped', null);
    this.state = 'ready';
    // Locust's workers announce themselves again once the master's stop timeout has passed
    const later = (this.spawn?.stopTimeoutS ?? 0) * 1000;
    this.spawn = undefined;
    this.readyAgain = setTimeout(() => this.state !== 'ended' && this.send('client_ready', NON_PYTHON_VERSION), later);
  }

  /** Stops the run in progress, if any, and keeps its report. */
  private stopLoad(): void {
    const engine = this.engine;
    if (!engine) return;
    this.engine = undefined;
    engine.stop();
    const report = reportOf(engine);
    this.lastReport = report;
    this.emit('event', { event: 'stop', report } satisfies LocustWorkerEvent);
  }

  /** The master closed the connection or missed its heartbeats. */
  private masterGone(asked = false): void {
    if (this.state === 'joining' || this.state === 'ended') return;
    this.stopLoad();
    this.spawn = undefined;
    const waiting = Boolean(this.options.reconnect) || asked;
    if (!asked) this.emit('event', { event: 'lost', master: this.master, waiting } satisfies LocustWorkerEvent);
    if (!waiting) {
      return this.end({ reason: 'lost', error: new ConnectError('SOCKIT_ERR_MASTER_LOST', `the Locust master at ${this.master} went away (its connection closed, or it missed heartbeats for ${MASTER_TIMEOUT_MS / 1000} s); the load was stopped`, {
        hint: 'add --reconnect to wait for a master to come back instead',
      }) });
    }
    this.join();
  }

  private heartbeat(): void {
    if (this.state === 'joining') return void this.send('client_ready', NON_PYTHON_VERSION);
    if (this.state === 'ended') return;
    this.collector.sample(Math.floor(Date.now() / 1000) - 1);
    const now = performance.now();
    const used = process.cpuUsage(this.cpu.usage);
    this.cpu = { usage: process.cpuUsage(), at: now, percent: ((used.user + used.system) / 1000 / Math.max(1, now - this.cpu.at)) * 100 };
    this.send('heartbeat', { state: this.state, current_cpu_usage: Math.round(this.cpu.percent * 10) / 10, current_memory_usage: process.memoryUsage.rss() });
  }

  private statsData(): LocustStatsReport & { user_classes_count: Record<string, number>; user_count: number } {
    return { ...this.collector.take(), user_classes_count: this.spawn?.classes ?? {}, user_count: this.spawn?.users ?? 0 };
  }

  private report(): void {
    if (this.state === 'joining' || this.state === 'ended') return;
    const data = this.statsData();
    this.send('stats', data);
    if (this.engine) {
      const t = data.stats_total;
      const secs = Math.max(0.001, Date.now() / 1000 - t.start_time);
      this.emit('event', {
        event: 'report', users: this.spawn?.users ?? 0, active: this.engine.active, requests: t.num_requests, requestsPerSec: t.num_requests / secs,
        failures: t.num_failures, latency: latencyOf(this.engine),
      } satisfies LocustWorkerEvent);
    }
  }

  /** Sends without waiting: ZeroMQ sends one message at a time, and a message no master can take is dropped. */
  private send(type: string, data: unknown): void {
    const dealer = this.dealer;
    if (!dealer) return;
    const bytes = encodeLocustMessage(type, data, this.workerId);
    this.sending = this.sending.then(() => dealer.send(bytes)).catch(() => undefined);
  }

  private end(result: LocustWorkerResult, flushMs = 0): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.stopLoad();
    for (const t of this.timers) clearTimeout(t);
    clearTimeout(this.joinDeadline);
    clearTimeout(this.readyAgain);
    const dealer = this.dealer;
    const finish = () => {
      if (dealer && !dealer.closed) dealer.close();
      this.resolveDone({ ...result, ...(this.lastReport ? { report: this.lastReport } : {}) });
    };
    if (!dealer || flushMs === 0) return finish();
    // the last messages (a final report, quit) leave before the socket closes
    dealer.linger = flushMs;
    void Promise.race([this.sending, new Promise((r) => setTimeout(r, flushMs))]).then(finish);
  }
}

/**
 * Joins a Locust master as a worker: the master's users become connections running the given
 * load, and their statistics go to the master every three seconds. `done` resolves when the
 * master says quit, the worker is stopped, or the master is lost (with an error); never rejects.
 */
export async function joinLocust(options: LocustWorkerOptions): Promise<LocustWorker> {
  const worker = new LocustWorker(options);
  await worker.start();
  return worker;
}
