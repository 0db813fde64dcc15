// Text with its control characters shown as dim escapes (\r \n \x1b), never interpreted.
import type { JSX } from 'preact';
import { escapeOf, splitControls } from '../format.js';

/** Renders text safely; `multiline` keeps a line break after each `\n` (the detail view). */
export function Vis({ text, multiline }: { text: string; multiline?: boolean }): JSX.Element {
  const parts = splitControls(text);
  if (parts.length === 1) return <>{text}</>;
  const out: (string | JSX.Element)[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i % 2 === 0) {
      if (p) out.push(p);
    } else {
      out.push(
        <span class="ctl" key={i}>
          {escapeOf(p)}
        </span>,
      );
      if (multiline && p === '\n') out.push('\n');
    }
  }
  return <>{out}</>;
}
