// A short notice in a form or a pane: a warning sign, a sentence and, under it, what to do about it.
import type { ComponentChildren, JSX } from 'preact';
import { Icon } from './icons.js';

/** An error (red) or a warning (amber) with its sentence and an optional hint below it. */
export function Banner({ kind = 'error', message, hint, testid }: { kind?: 'error' | 'warn'; message: ComponentChildren; hint?: string; testid?: string }): JSX.Element {
  return (
    <div class={`banner ${kind}`} role="alert" data-testid={testid}>
      <Icon name="warn" />
      <div>
        <div>{message}</div>
        {hint && <div class="muted small">{hint}</div>}
      </div>
    </div>
  );
}
