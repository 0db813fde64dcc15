// The suite's own rules, checked: every test has a deadline, waits say what they waited for, and a missing peer fails in CI rather than skipping.
import { test } from './test.mjs';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, run, tmpDir, waitFor, quietFor, nextEvent } from './index.mjs';

function testFiles(dir = join(ROOT, 'test')) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return testFiles(full);
    return e.name.endsWith('.test.mjs') ? [full] : [];
  });
}

// the runner's flags from `npm test`: force-exit ends a file whose timed-out test left handles open; the timeout bounds a whole file
const RUNNER_FLAGS = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.test.match(/--test-(?:force-exit|timeout=\d+)/g);

/** Runs `source` as a test file of its own under `node --test` as `npm test` does; resolves with { code, stdout, stderr, ms }. */
async function runTestFile(t, source, env = {}) {
  const file = join(tmpDir(t), 'probe.test.mjs');
  writeFileSync(file, source.replaceAll('HELPERS/', `${pathToFileURL(join(ROOT, 'test', 'helpers')).href}/`));
  const started = Date.now();
  // NODE_TEST_CONTEXT would make the inner runner report to this one instead of printing
  const r = await run(process.execPath, ['--test', ...RUNNER_FLAGS, '--test-reporter=tap', file], { env: { CI: '', NODE_TEST_CONTEXT: undefined, ...env } });
  return { ...r, ms: Date.now() - started };
}

test('every test file takes test() from test/helpers/test.mjs, so each test has a deadline', () => {
  const direct = testFiles().filter((f) => /from ['"]node:test['"]/.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
  assert.deepEqual(direct, [], "these import node:test directly; import { test } from '../helpers/test.mjs' instead");
});

test('a test that hangs fails at its deadline instead of holding the suite, even with a timer left running', async (t) => {
  assert.equal(RUNNER_FLAGS.length, 2, 'npm test runs node --test with --test-force-exit and --test-timeout');
  const r = await runTestFile(t, `
    import { test } from 'HELPERS/test.mjs';
    test('hangs', () => new Promise(() => setInterval(() => {}, 1000)));
    test('after it, the next test still runs', () => {});
  `, { SOCKIT_TEST_TIMEOUT_MS: '300' });
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /not ok 1 - hangs[\s\S]*test timed out after 300ms/);
  assert.match(r.stdout, /ok 2 - after it, the next test still runs/);
  assert.ok(r.ms < 20_000, `the file ended ${r.ms} ms after it started`);
});

test('waitFor resolves with the value, or fails saying what it waited for and what it saw', async () => {
  let n = 0;
  assert.equal(await waitFor(() => (++n >= 3 ? n : undefined), { what: 'three polls', intervalMs: 1 }), 3);
  const started = Date.now();
  await assert.rejects(
    waitFor(() => false, { what: 'a door to open', timeoutMs: 100, detail: () => 'the door: shut' }),
    (err) => err.message === 'timed out after 100 ms waiting for a door to open\nthe door: shut',
  );
  assert.ok(Date.now() - started < 5000);
  await assert.rejects(waitFor(() => true, {}), /waitFor needs `what`/);
});

test('quietFor fails at the first arrival and passes on silence; nextEvent has a deadline', async () => {
  const e = new EventEmitter();
  await quietFor(e, 'data', 30);
  const noisy = quietFor(e, 'data', 10_000, { what: 'data after the stop' });
  e.emit('data', Buffer.from('late'));
  await assert.rejects(noisy, /expected no data after the stop for 10000 ms, but one came "late"/);
  setImmediate(() => e.emit('ready', 42));
  assert.equal(await nextEvent(e, 'ready'), 42);
  await assert.rejects(nextEvent(e, 'never', { what: 'a never event', timeoutMs: 20 }), /timed out after 20 ms waiting for a never event/);
});

test('a missing peer is a skip that says why on a developer machine, and a failure with CI=true', async (t) => {
  const source = `
    import { test } from 'HELPERS/test.mjs';
    import { unavailable } from 'HELPERS/peers.mjs';
    test('needs a unicorn', (t) => unavailable(t, 'no unicorn here (apt-get install unicorn)'));
  `;
  const dev = await runTestFile(t, source);
  assert.equal(dev.code, 0, dev.stdout);
  assert.match(dev.stdout, /ok 1 - needs a unicorn # SKIP no unicorn here \(apt-get install unicorn\)/);
  const ci = await runTestFile(t, source, { CI: 'true' });
  assert.equal(ci.code, 1, ci.stdout);
  assert.match(ci.stdout, /not ok 1 - needs a unicorn[\s\S]*no unicorn here \(apt-get install unicorn\); with CI=true this is a failure, not a skip/);
});
