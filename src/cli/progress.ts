// A progress bar on stderr for long transfers; a single summary line where stderr is not a terminal.
import { formatBytes } from './output.js';

/** How a bar shows its amounts: bytes unless told otherwise (ports, seconds), and optional live figures. */
export interface ProgressFormat {
  /** Shows an amount of work (done, total, per second). */
  amount?: (n: number) => string;
  /** Extra text after the bar, read at each redraw. */
  status?: () => string;
  /** Show the rate (default true; work measured in seconds has none worth showing). */
  rate?: boolean;
}

/** Tracks bytes done out of a total and draws at most ten times a second. */
export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();
  private readonly tty: boolean;
  private readonly amount: (n: number) => string;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly format: ProgressFormat = {},
  ) {
    this.tty = Boolean(stream.isTTY);
    this.amount = format.amount ?? formatBytes;
  }

  /** True when the bar is drawn (stderr is a terminal); otherwise only {@link finish} writes. */
  get live(): boolean {
    return this.tty;
  }

  /** Sets the amount done (for work measured by time) and redraws when due. */
  set(done: number): void {
    this.add(done - this.done);
  }

  /** Adds bytes done and redraws when due. */
  add(bytes: number): void {
    this.done += bytes;
    const now = Date.now();
    if (this.tty && now - this.lastDraw >= 100) {
      this.lastDraw = now;
      this.stream.write('\r' + this.render(now) + '\x1b[K');
    }
  }

  private render(now: number): string {
    const ratio = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 24;
    const filled = Math.round(ratio * width);
    const rate = this.done / Math.max(0.001, (now - this.started) / 1000);
    const status = this.format.status ? ` ${this.format.status()}` : '';
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${this.amount(this.done)}/${this.amount(this.total)}${this.format.rate === false ? '' : ` ${this.amount(rate)}/s`}${status}`;
  }

  /**
   * The work stopped before the end (`why`: "interrupted"): the bar stays where it stopped and
   * says so, and where stderr is not a terminal one line tells how far it got.
   */
  interrupt(why: string): void {
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.started) / 1000);
    if (this.tty) this.stream.write('\r' + this.render(now) + ` ${why}\x1b[K\n`);
    else {
      const of = this.total > 0 ? ` of ${this.amount(this.total)} (${Math.floor((this.done / this.total) * 100)}%)` : '';
      this.stream.write(`${this.label}: ${why} after ${this.amount(this.done)}${of} in ${secs.toFixed(2)} s\n`);
    }
  }

  /** Draws the final state and a newline. */
  finish(): void {
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.started) / 1000);
    if (this.tty) this.stream.write('\r' + this.render(now) + '\x1b[K\n');
    else this.stream.write(`${this.label}: ${this.amount(this.done)} in ${secs.toFixed(2)} s (${this.amount(this.done / secs)}/s)\n`);
  }
}
