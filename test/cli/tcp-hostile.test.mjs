// tcp listen under a hostile peer: a 16 MiB message whose last bytes arrive one per segment.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, requirePeer, PEERS, WAIT_MS } from '../helpers/index.mjs';

const TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat times on Linux

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resolves once `child` printed a line starting with `prefix`, failing after `ms`. */
function lineFrom(child, prefix, ms) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.stdout.off('data', onData);
      reject(new Error(`the trickling peer did not print '${prefix}' within ${ms} ms; it printed: ${out}`));
    }, ms);
    const onData = (s) => {
      out += s;
      const line = out.split('\n').find((l) => l.startsWith(prefix));
      if (line === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(line);
    };
    child.stdout.on('data', onData);
  });
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

for (const c of CASES) {
  test(`--frame ${c.frame}: a 16 MiB message ending one byte per segment costs the server little CPU; other clients are answered at once`, { timeout: 180000 }, async (t) => {
    if (!requirePeer(t, 'python3')) return;
    const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', c.frame, '--reply', c.reply, '--quiet', '--json']);
    t.after(() => server.stop('SIGKILL'));
    const { port } = await server.waitEvent((e) => e.event === 'listening', WAIT_MS, 'the listening event');
    const trickle = 1000;
    const peer = spawn('python3', [join(PEERS, 'trickle_frame_client.py'), '127.0.0.1', String(port), c.kind, String(16 * 1024 * 1024), String(trickle), '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => peer.kill('SIGKILL'));
    peer.stdout.setEncoding('utf8');
    await lineFrom(peer, 'trickle', 2 * WAIT_MS);
    const pings = await pinger(port, c.ping, c.answerBytes, 50);
    t.after(() => pings.stop());
    const cpu0 = cpuSeconds(server.child.pid);
    const t0 = performance.now();
    await lineFrom(peer, 'trickled', 3 * WAIT_MS);
    const cpu = cpuSeconds(server.child.pid) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    const answered = pings.rtts.length;
    const sent = pings.sent();
    pings.stop();
    assert.equal(await lineFrom(peer, 'reply', WAIT_MS), 'reply ok', 'the huge message arrived whole and was answered');
    const sorted = [...pings.rtts].sort((a, b) => a - b);
    const p90 = sorted[Math.floor(sorted.length * 0.9)] ?? Infinity;
    const report = `${trickle} bytes over ${wall.toFixed(1)} s: server CPU ${cpu.toFixed(2)} s (${((100 * cpu) / wall).toFixed(0)}%), ${answered}/${sent} pings answered, median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, max ${sorted[sorted.length - 1]?.toFixed(1)} ms`;
    t.diagnostic(report);
    assert.ok(cpu / wall < 0.2, `the server used more than 20% of a CPU: ${report}`);
    assert.ok(answered >= sent - 2, `pings went unanswered: ${report}`);
    assert.ok(p90 < 50, `other clients waited 50 ms or more: ${report}`);
  });
}
