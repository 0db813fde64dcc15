// Waiting in tests: every wait has a deadline and says what it waited for; silence is checked over a bounded window that fails at the first arrival.

/** Default deadline: generous, because it only matters when something is wrong (and the machine may be loaded). */
export const WAIT_MS = 30_000;

/**
 * Polls `predicate` (sync or async) until it returns something other than undefined, null or
 * false, and resolves with that. Rejects after `timeoutMs` with "timed out after N ms waiting for
 * <what>", plus `detail()` (the state at that moment) when given.
 */
export async function waitFor(predicate, { what, timeoutMs = WAIT_MS, intervalMs = 20, detail } = {}) {
  if (!what) throw new Error('waitFor needs `what`: say what is being waited for');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) {
      const extra = detail ? `\n${typeof detail === 'function' ? detail() : detail}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(1, deadline - Date.now()))));
  }
}

/**
 * Resolves with the first `event` emitted by `emitter` (its first argument, or all of them with
 * `all`), rejecting after `timeoutMs` with what was awaited.
 */
export function nextEvent(emitter, event, { what = `'${event}'`, timeoutMs = WAIT_MS, all = false } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    function on(...args) {
      clearTimeout(timer);
      resolve(all ? args : args[0]);
    }
    emitter.once(event, on);
  });
}

/**
 * Proves that nothing arrives for `ms`: resolves when `emitter` emitted no `event` in that window,
 * rejects at once, naming `what`, if one comes. Use it after an ordering proof (a marker sent
 * after the thing that must not happen) to also rule out late arrivals.
 */
export function quietFor(emitter, event, ms, { what = `'${event}'` } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      resolve();
    }, ms);
    function on(value) {
      clearTimeout(timer);
      emitter.off(event, on);
      const shown = Buffer.isBuffer(value) ? JSON.stringify(value.toString('latin1')) : '';
      reject(new Error(`expected no ${what} for ${ms} ms, but one came ${shown}`.trim()));
    }
    emitter.on(event, on);
  });
}

/** Races `promise` against a deadline; rejects naming `what` when the deadline passes first. */
export function within(promise, { what, timeoutMs = WAIT_MS }) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
