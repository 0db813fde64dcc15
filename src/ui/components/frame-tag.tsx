// A WebSocket frame's type on its log line: text, binary, ping or pong (and a fragment that more follows).
import type { JSX } from 'preact';
import type { LogEntry } from '../log-store.js';

/** The frame type of a log line, as a small tag. */
export function FrameTag({ e }: { e: LogEntry }): JSX.Element {
  const label = e.fin === false ? `${e.frame} fragment` : e.frame;
  return (
    <span class={`frame-tag frame-${e.frame}`} title={`WebSocket ${label} frame`} data-testid="frame-tag">
      {label}
    </span>
  );
}
