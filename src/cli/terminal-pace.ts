// A terminal's pace: past a rate no one can read, message lines fold into one line a second, and return when the rate falls.
import type { SessionEvent } from '../net/session.js';
import { formatBytes } from '../wire/format-bytes.js';
import type { LineWriter, Palette } from './output.js';

/** Message lines a second a terminal shows before folding them. */
export const TERMINAL_LINES_PER_SECOND = 200;

/**
 * Wraps a renderer for a terminal. While `data` and `send` events come faster than `maxPerSecond`,
 * they are counted instead of shown, and one line a second says how many went by; below that
 * rate, lines come back. Everything else (connections, closes, errors, the summary) always shows.
 * A terminal stalls on 100,000 lines a second; a file or a pipe is never folded.
 */
export function paceForTerminal(
  render: (e: SessionEvent) => void,
  writer: LineWriter,
  c: Palette,
  { maxPerSecond = TERMINAL_LINES_PER_SECOND, now = () => Date.now() }: { maxPerSecond?: number; now?: () => number } = {},
): (e: SessionEvent) => void {
  let windowStart = now();
  let shown = 0;
  let folded = false;
  let count = 0;
  let bytes = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const unfold = () => {
    folded = false;
    if (timer) clearInterval(timer);
    timer = undefined;
    windowStart = now();
    shown = 0;
  };
  const report = () => {
    if (count > 0) {
      writer.line(c.dim(`… ${count.toLocaleString('en-US')} message${count === 1 ? '' : 's'}, ${formatBytes(bytes)} in the last second; --json or a file keeps them all`));
    }
    // fewer than a terminal can show: lines again
    if (count < maxPerSecond) unfold();
    count = 0;
    bytes = 0;
  };

  return (e) => {
    if (e.event !== 'data' && e.event !== 'send') {
      // the session's end: what was folded is said before its summary
      if (e.event === 'summary' && folded) {
        report();
        unfold();
      }
      render(e);
      return;
    }
    if (folded) {
      count++;
      bytes += e.bytes;
      return;
    }
    const t = now();
    if (t - windowStart >= 1000) {
      windowStart = t;
      shown = 0;
    }
    if (shown < maxPerSecond) {
      shown++;
      render(e);
      return;
    }
    folded = true;
    count = 1;
    bytes = e.bytes;
    timer = setInterval(report, 1000);
    timer.unref();
  };
}
