// A progress bar on stderr for long transfers; a single summary line where stderr is not a terminal.
import { formatBytes } from './output.js';

/** Tracks bytes done out of a total and draws at most ten times a second. */
export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
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
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${formatBytes(this.done)}/${formatBytes(this.total)} ${formatBytes(rate)}/s`;
  }

  /** Draws the final state and a newline. */
  finish(): void {
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.started) / 1000);
    if (this.tty) this.stream.write('\r' + this.render(now) + '\x1b[K\n');
    else this.stream.write(`${this.label}: ${formatBytes(this.done)} in ${secs.toFixed(2)} s (${formatBytes(this.done / secs)}/s)\n`);
  }
}
