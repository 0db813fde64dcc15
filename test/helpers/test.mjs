// node:test with a deadline on every test and hook, so a hang fails in two minutes instead of holding the suite (Node 20's --test-timeout bounds whole files only).
import * as node from 'node:test';

/**
 * Each test's deadline: ten times what the slowest test takes on a loaded 2-core machine, and
 * still short enough that a hang is reported within two minutes. SOCKIT_TEST_TIMEOUT_MS overrides it.
 */
export const TEST_TIMEOUT_MS = Number(process.env.SOCKIT_TEST_TIMEOUT_MS) || 120_000;

function withTimeout(fn) {
  return (name, options, body) => {
    if (typeof name === 'function') return fn({ timeout: TEST_TIMEOUT_MS }, name);
    if (typeof options === 'function') return fn(name, { timeout: TEST_TIMEOUT_MS }, options);
    return fn(name, { timeout: TEST_TIMEOUT_MS, ...options }, body);
  };
}

function hookWithTimeout(hook) {
  return (fn, options) => hook(fn, { timeout: TEST_TIMEOUT_MS, ...options });
}

/** `test` from node:test, with {@link TEST_TIMEOUT_MS} unless the test sets its own `timeout`. */
export const test = withTimeout(node.test);
test.skip = (name, options, body) => test(name, { ...(typeof options === 'object' ? options : {}), skip: true }, typeof options === 'function' ? options : body);
test.todo = (name, options, body) => test(name, { ...(typeof options === 'object' ? options : {}), todo: true }, typeof options === 'function' ? options : body);
export default test;
export const it = test;
/** Suites are not bounded as a whole; each of their tests and hooks is. */
export const describe = node.describe;
export const before = hookWithTimeout(node.before);
export const after = hookWithTimeout(node.after);
export const beforeEach = hookWithTimeout(node.beforeEach);
export const afterEach = hookWithTimeout(node.afterEach);
