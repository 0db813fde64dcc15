// On a terminal, a flood of messages folds into one line a second and lines return when it ends; files and pipes get every line.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnCli, waitFor } from '../helpers/index.mjs';
import { paceForTerminal } from '../../dist/cli/terminal-pace.js';
import { LineWriter, makePalette } from '../../dist/cli/output.js';

const FLOOD = 3000;

function flood(port, lines) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(lines));
    s.on('error', reject);
    s.on('close', resolve);
    s.resume();
  });
}

test('paceForTerminal: past the rate, one line a second with the count; below it, lines again', async () => {
  let clock = 0;
  const lines = [];
  const writer = { line: (s) => lines.push(s) };
  const shown = [];
  const render = paceForTerminal((e) => shown.push(e), writer, makePalette(false), { maxPerSecond: 10, now: () => clock });
  const data = (n) => ({ event: 'data', ts: clock, session: 's', peer: 'p', id: 1, n, bytes: 100, payload: Buffer.alloc(100) });
  for (let i = 0; i < 50; i++) render(data(i));
  assert.equal(shown.length, 10, 'ten lines, then folded');
  render({ event: 'connect', ts: clock, session: 's', peer: 'q', id: 2, local: 'l' });
  assert.equal(shown.at(-1).event, 'connect', 'other events always show');
  // the summary reports what was folded
  render({ event: 'summary', ts: clock, session: 's', connections: 2, bytesIn: 0, bytesOut: 0, messagesIn: 50, messagesOut: 0, durationMs: 1 });
  assert.deepEqual(lines, ['… 40 messages, 4.00 kB in the last second; --json or a file keeps them all']);
  // a new second, a slow rate: lines again
  clock += 2000;
  render(data(51));
  assert.equal(shown.at(-1).n, 51);
});

test('tcp listen on a terminal: a flood folds into counted lines, and a lone message after it shows', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line'], { terminal: true });
  await server.waitStdout(/port (\d+)/);
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  await flood(port, Array.from({ length: FLOOD }, (_, i) => `line ${i}\n`).join(''));
  await server.waitStdout(/… [\d,]+ messages?, .* in the last second; --json or a file keeps them all/, 10_000);
  const shownBeforeQuiet = (server.stdout.match(/ ← /g) ?? []).length;
  assert.ok(shownBeforeQuiet <= 200, `at most 200 lines in a second, got ${shownBeforeQuiet}`);
  // the folded counts and the lines shown add up to every message
  await waitFor(() => {
    const folded = [...server.stdout.matchAll(/… ([\d,]+) messages?/g)].reduce((sum, m) => sum + Number(m[1].replace(/,/g, '')), 0);
    return folded + (server.stdout.match(/ ← /g) ?? []).length === FLOOD || undefined;
  }, { what: `the shown and folded messages to add up to ${FLOOD}`, timeoutMs: 10_000, detail: () => server.stdout.slice(-500) });
  // the fold ends with the first second that brings fewer messages than a terminal shows
  await new Promise((r) => setTimeout(r, 2200));
  await flood(port, 'after the flood\n');
  await server.waitStdout('after the flood');
  await server.stop('SIGINT');
});

test('the same flood into a pipe: every line, nothing folded', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line']);
  await server.waitStdout(/port (\d+)/);
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  await flood(port, Array.from({ length: FLOOD }, (_, i) => `line ${i}\n`).join(''));
  await server.waitStdout(`line ${FLOOD - 1}`);
  assert.equal((server.stdout.match(/ ← /g) ?? []).length, FLOOD);
  assert.doesNotMatch(server.stdout, /in the last second/);
  await server.stop('SIGINT');
});
