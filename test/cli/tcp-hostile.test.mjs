// tcp listen under a hostile peer: a 16 MiB message whose last bytes arrive one per segment.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, requirePeer, waitFor, PEERS, WAIT_MS } from '../helpers/index.mjs';

const TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat times on Linux

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Bytes received but not yet read by whoever listens on `port` (IPv4, established connections), from /proc. */
function unreadBytes(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let total = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[3] !== '01' || !f[1].endsWith(`:${hexPort}`)) continue;
    total += parseInt(f[4].split(':')[1], 16);
  }
  return total;
}

/** Collects a child's stdout; `line(prefix, ms)` resolves with the first whole line starting with `prefix`, printed before or after. */
function linesOf(child) {
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => {
    out += s;
  });
  const find = (prefix) => out.split('\n').slice(0, -1).find((l) => l.startsWith(prefix));
  return {
    line: (prefix, timeoutMs) => waitFor(() => find(prefix), { what: `the trickling peer to print '${prefix}'`, timeoutMs, detail: () => `it printed: ${out}` }),
  };
}

/** A client that sends a ping every `everyMs` and records how long each answer took. */
async function pinger(port, ping, answerBytes, everyMs) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const rtts = [];
  const sentAt = [];
  let received = 0;
  socket.on('data', (chunk) => {
    received += chunk.length;
    while (rtts.length < sentAt.length && received >= (rtts.length + 1) * answerBytes) rtts.push(performance.now() - sentAt[rtts.length]);
  });
  const timer = setInterval(() => {
    sentAt.push(performance.now());
    socket.write(ping);
  }, everyMs);
  return {
    rtts,
    sent: () => sentAt.length,
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

const CASES = [
  { frame: 'len32', kind: 'len32', reply: 'ok', ping: Buffer.from([0, 0, 0, 4, 0x70, 0x69, 0x6e, 0x67]), answerBytes: 6 },
  { frame: '\\r\\n', kind: 'crlf', reply: 'ok\\r\\n', ping: Buffer.from('ping\r\n'), answerBytes: 4 },
];

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Infinity;
const summary = (rtts) => {
  const sorted = [...rtts].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), max: sorted[sorted.length - 1] ?? Infinity };
};

for (const c of CASES) {
  test(`--frame ${c.frame}: a 16 MiB message ending one byte per segment costs the server little CPU; other clients are answered at once`, { timeout: 180000 }, async (t) => {
    if (!requirePeer(t, 'python3')) return;
    const args = ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', c.frame, '--reply', c.reply, '--quiet', '--json'];
    // the same server with no hostile client: what a busy machine alone does to answer times
    const [server, control] = [spawnCli(t, args), spawnCli(t, args)];
    t.after(() => server.stop('SIGKILL'));
    t.after(() => control.stop('SIGKILL'));
    const listening = (h) => h.waitEvent((e) => e.event === 'listening', WAIT_MS, 'the listening event').then((e) => e.port);
    const [port, controlPort] = await Promise.all([listening(server), listening(control)]);
    const trickle = 1000;
    const peer = spawn('python3', [join(PEERS, 'trickle_frame_client.py'), '127.0.0.1', String(port), c.kind, String(16 * 1024 * 1024), String(trickle), '2'], { stdio: ['pipe', 'pipe', 'pipe'] });
    t.after(() => peer.kill('SIGKILL'));
    const said = linesOf(peer);
    await said.line('bulk sent', 2 * WAIT_MS);
    // reading the bulk is honest work: the trickle is measured once the server has read it all
    await waitFor(() => unreadBytes(port) === 0, { what: 'the server to read the first 16 MiB', detail: () => `${unreadBytes(port)} bytes unread` });
    const pings = await pinger(port, c.ping, c.answerBytes, 50);
    const controlPings = await pinger(controlPort, c.ping, c.answerBytes, 50);
    peer.stdin.write('go\n');
    await said.line('trickle', WAIT_MS);
    t.after(() => pings.stop());
    t.after(() => controlPings.stop());
    const cpu0 = cpuSeconds(server.child.pid);
    const t0 = performance.now();
    await said.line('trickled', 3 * WAIT_MS);
    const cpu = cpuSeconds(server.child.pid) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    const [answered, sent] = [pings.rtts.length, pings.sent()];
    pings.stop();
    controlPings.stop();
    assert.equal(await said.line('reply', WAIT_MS), 'reply ok', 'the huge message arrived whole and was answered');
    const hostile = summary(pings.rtts);
    const alone = summary(controlPings.rtts);
    const report = `${trickle} bytes over ${wall.toFixed(1)} s: server CPU ${cpu.toFixed(2)} s (${((100 * cpu) / wall).toFixed(0)}%), ${answered}/${sent} pings answered, median ${hostile.median.toFixed(1)} ms, p90 ${hostile.p90.toFixed(1)} ms, max ${hostile.max.toFixed(1)} ms; the same server alone: median ${alone.median.toFixed(1)} ms, p90 ${alone.p90.toFixed(1)} ms`;
    t.diagnostic(report);
    assert.ok(cpu / wall < 0.2, `the server used more than 20% of a CPU: ${report}`);
    assert.ok(answered >= sent - 2, `pings went unanswered: ${report}`);
    // within 50 ms of what the machine gives a server nobody attacks (on an idle machine: within 50 ms)
    assert.ok(hostile.p90 < alone.p90 + 50, `other clients waited 50 ms longer than at a server nobody attacks: ${report}`);
  });
}

/** Floods a server with `clients` lines of `size` bytes at once while a pinger times its answers; resolves with the round trips. */
async function floodWithLines(t, port, clients, size, lineShown) {
  const pings = await pinger(port, Buffer.from('ping\n'), 4, 20);
  t.after(() => pings.stop());
  const peer = spawn('python3', [join(PEERS, 'big_line_client.py'), '127.0.0.1', String(port), String(clients), String(size)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => peer.kill('SIGKILL'));
  await linesOf(peer).line('sent', 6 * WAIT_MS);
  await waitFor(lineShown, { what: `the server to take ${clients} long lines`, timeoutMs: 6 * WAIT_MS });
  pings.stop();
  return summary(pings.rtts);
}

test('a text log in a pipe shows 4 KiB of each message: 30 clients sending 4 MiB lines at once cost the server little more than with --quiet, and others are still answered', { timeout: 240000 }, async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const args = ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line', '--reply', 'ok\\r\\n'];
  const [server, quiet] = [spawnCli(t, args), spawnCli(t, [...args, '--quiet', '--json'])];
  t.after(() => server.stop('SIGKILL'));
  t.after(() => quiet.stop('SIGKILL'));
  await server.waitStdout(/port \d+/);
  const port = Number(/port (\d+)/.exec(server.stdout)[1]);
  const quietPort = await quiet.port();
  const [clients, size] = [30, 4 * 1024 * 1024];
  // counted as the log arrives: scanning the whole log on each wait would slow this process's own pinger
  let clipped = 0;
  let tail = '';
  server.child.stdout.on('data', (chunk) => {
    const text = tail + chunk;
    clipped += text.split('more (--show all').length - 1;
    tail = text.slice(-32);
  });
  const shown = () => server.stdout.split('\n').filter((l) => / B A{1000}/.test(l));
  const cpu = (h) => cpuSeconds(h.child.pid);
  // the same flood against the same server that shows nothing: what the machine and the framing cost
  const quiet0 = cpu(quiet);
  const alone = await floodWithLines(t, quietPort, clients, size, () => quiet.events.filter((e) => e.event === 'close').length >= clients || undefined);
  const quietCpu = cpu(quiet) - quiet0;
  const log0 = cpu(server);
  const logged = await floodWithLines(t, port, clients, size, () => clipped >= clients || undefined);
  const logCpu = cpu(server) - log0;
  assert.equal(shown().length, clients, 'every long line is in the log');
  for (const l of shown()) {
    assert.ok(l.length < 4 * 1024 + 200, `a log line of ${l.length} characters: each message should show at most 4 KiB`);
    assert.match(l, /… [\d.]+ [KM]i?B more \(--show all/, 'the log says how much of each message it left out');
  }
  const report = `server CPU ${logCpu.toFixed(2)} s with the text log, ${quietCpu.toFixed(2)} s with --quiet; answers to others with the text log: median ${logged.median.toFixed(1)} ms, p90 ${logged.p90.toFixed(1)} ms, max ${logged.max.toFixed(1)} ms; with --quiet: median ${alone.median.toFixed(1)} ms, p90 ${alone.p90.toFixed(1)} ms, max ${alone.max.toFixed(1)} ms`;
  t.diagnostic(report);
  // what the log adds is the work: showing 4 KiB of each message takes microseconds, showing (decoding,
  // escaping, writing) all 120 MiB would take seconds. CPU time, unlike answer times, leaves out the
  // moments a busy machine gives this test's own process, the pipe's reader, no turn.
  assert.ok(logCpu < 1.5 * quietCpu + 0.5, `the text log cost the server far more than showing 4 KiB a message should: ${report}`);
  assert.ok(logged.max < 5000, `a client waited more than 5 s for its answer: ${report}`);
});
