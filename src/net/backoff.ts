// Reconnecting with backoff, for every client session: pauses that double after each failure, told as `retry` events.
import type { EventInput } from './events.js';

/** How a client tries again after a connection ends or fails: pauses double from the first to the longest. */
export interface ReconnectOptions {
  /** The first pause (default 500 ms). */
  initialDelayMs?: number;
  /** The longest pause (default 30 s). */
  maxDelayMs?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
  /** Retry a first connection that fails too (default true); false: it fails at once, as without reconnecting. */
  retryFirst?: boolean;
}

/** A client's reconnection schedule: one pending attempt at most, cancelled when the client closes. */
export class Backoff {
  private readonly o: Required<ReconnectOptions>;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: true | ReconnectOptions) {
    this.o = { initialDelayMs: 500, maxDelayMs: 30_000, maxAttempts: Infinity, retryFirst: true, ...(options === true ? {} : options) };
  }

  /** True while another attempt is allowed. */
  get canRetry(): boolean {
    return this.failures < this.o.maxAttempts;
  }

  /** True when a first connection that fails is retried too. */
  get retriesFirst(): boolean {
    return this.o.retryFirst;
  }

  /** A connection was made: the next failure starts from the first pause again. */
  succeeded(): void {
    this.failures = 0;
  }

  /** Emits the `retry` event and runs `attempt` after the pause for this failure. */
  schedule(reason: string, emit: (e: EventInput) => void, attempt: () => void): void {
    this.failures++;
    const delayMs = Math.min(this.o.maxDelayMs, this.o.initialDelayMs * 2 ** (this.failures - 1));
    emit({ event: 'retry', attempt: this.failures, delayMs, reason });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      attempt();
    }, delayMs);
  }

  /** Cancels a pending attempt. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
