// Waiting in a command: plain pauses, and waiting for a conversation to fall silent.

/** A pause that ends early when told to. */
export type Pause = (ms: number) => Promise<void>;

/** A plain pause. */
export const delay: Pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once nothing has happened for `waitMs` (as `lastActivity` tells), or as soon as `done`
 * says there is nothing left to wait for; looks at least every 50 ms.
 */
export async function waitForSilence(waitMs: number, lastActivity: () => number, done: () => boolean, pause: Pause = delay): Promise<void> {
  while (!done()) {
    const idle = Date.now() - lastActivity();
    if (idle >= waitMs) return;
    await pause(Math.min(50, waitMs - idle));
  }
}
