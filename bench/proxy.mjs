// The relay's heavy checks, too long for npm test: 1 GiB each way with the same SHA-256, RSS under a 1 MB/s reader on either side, and 10,000 connect/disconnect cycles.
// usage: node bench/proxy.mjs [--gib=1] [--slow-seconds=20] [--rate=1048576] [--cycles=10000] [--only=sha,slow,cycles] [--no-build] [--out=<name>]
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectGarbage, procStats } from '../test/helpers/process.mjs';
import { cycles, echoesThrough, switchableTarget } from '../test/helpers/relay-stress.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const RESULTS = path.join(ROOT, 'bench', 'results');
const HOST = '127.0.0.1';
const args = Object.fromEntries(process.argv.slice(2).map((a) => /^--([^=]+)(?:=(.*))?$/.exec(a)).filter(Boolean).map((m) => [m[1], m[2] ?? true]));
const config = {
  gib: Number(args.gib ?? 1),
  slowSeconds: Number(args['slow-seconds'] ?? 20),
  rate: Number(args.rate ?? 1024 * 1024),
  cycles: Number(args.cycles ?? 10_000),
  only: args.only ? new Set(String(args.only).split(',')) : undefined,
};
const wanted = (part) => !config.only || config.only.has(part);
const started = Date.now();
const log = (text) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${text}\n`);

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

async function main() {
  if (!args['no-build']) {
    log('building sockit (tsc)');
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { stdio: 'inherit' });
  }
  const results = { date: new Date().toISOString(), config: { ...config, only: config.only && [...config.only] }, loadAverageAtStart: os.loadavg() };
  if (wanted('sha')) results.sha = await shaRun();
  if (wanted('slow')) {
    results.slow = { client: await slowRun('client'), target: await slowRun('target') };
    results.slowBare = { client: await slowRun('client', true), target: await slowRun('target', true) };
  }
  if (wanted('cycles')) results.cycles = await cycleRun();
  results.loadAverageAtEnd = os.loadavg();
  const lines = report(results);
  console.log('\n' + lines.join('\n'));
  fs.mkdirSync(RESULTS, { recursive: true });
  const out = path.join(RESULTS, `${args.out ?? 'proxy'}.json`);
  fs.writeFileSync(out, JSON.stringify({ ...results, table: lines.join('\n') }, null, 2) + '\n');
  log(`wrote ${path.relative(ROOT, out)}`);
  const failed = lines.filter((l) => l.includes('NOT reached'));
  if (failed.length) process.exitCode = 1;
}

/**
 * `sockit proxy --quiet` to `targetPort` (with `inspect`, its inspector on loopback, to ask for
 * full collections), or with `bare` the bare Node relay (a.pipe(b); b.pipe(a)) as the reference;
 * resolves once it listens.
 */
async function startProxy(targetPort, { inspect = false, bare = false } = {}) {
  const argv = bare
    ? [path.join(ROOT, 'bench/peers/relay-bare.mjs'), HOST, '0', HOST, String(targetPort)]
    : [...(inspect ? ['--inspect=127.0.0.1:0'] : []), CLI, 'proxy', '0', `${HOST}:${targetPort}`, '-H', HOST, '--quiet'];
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  const deadline = Date.now() + 20_000;
  let m;
  while (!(m = (bare ? /^(\d+)$/m : /port (\d+)/).exec(stdout))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sockit proxy did not start: ${stdout}${stderr}`);
    await sleep(50);
  }
  await sleep(300);
  const idleMb = procStats(child.pid).rssMb;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, procStats(child.pid).rssMb)), 100);
  return {
    port: Number(m[1]),
    pid: child.pid,
    idleMb,
    get peakMb() {
      return Math.max(peak, procStats(child.pid).rssMb);
    },
    resetPeak: () => (peak = 0),
    collect: () => collectGarbage(stderr),
    async stop() {
      clearInterval(sampler);
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      clearTimeout(t);
    },
  };
}

/** A server on 127.0.0.1:0 running `onConnection` for each client. */
async function server(onConnection) {
  const sockets = new Set();
  const s = net.createServer({ allowHalfOpen: true }, (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => {});
    onConnection(c);
  });
  await new Promise((r) => s.listen(0, HOST, r));
  return {
    port: s.address().port,
    close: () => {
      // a paused reader would never see its peer's end: its connections go with the server
      for (const c of sockets) c.destroy();
      return new Promise((r) => s.close(r));
    },
  };
}

/** N GiB of random bytes up through the proxy to an echo target and back down; both SHA-256 checked. */
async function shaRun() {
  const echo = await server((c) => c.pipe(c));
  const proxy = await startProxy(echo.port);
  const total = config.gib * 2 ** 30;
  log(`sha: ${config.gib} GiB each way through sockit proxy --quiet to an echo target`);
  try {
    const s = await connect(proxy.port);
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let received = 0;
    const t0 = performance.now();
    const back = new Promise((resolve, reject) => {
      s.on('data', (b) => {
        got.update(b);
        received += b.length;
      });
      s.once('end', resolve);
      s.once('error', reject);
    });
    const block = randomBytes(1024 * 1024);
    for (let left = total, i = 0; left > 0; i++) {
      // each MiB differs from the last (its number at its start), so a repeated or misplaced block changes the hash
      const b = Buffer.from(block.subarray(0, Math.min(block.length, left)));
      b.writeUInt32BE(i, 0);
      sent.update(b);
      left -= b.length;
      if (!s.write(b)) await new Promise((r) => s.once('drain', r));
    }
    s.end();
    await back;
    const seconds = (performance.now() - t0) / 1000;
    const r = { bytes: total, received, sentSha256: sent.digest('hex'), receivedSha256: got.digest('hex'), seconds, mbPerS: total / 1e6 / seconds, idleRssMb: proxy.idleMb, peakRssMb: proxy.peakMb };
    log(`sha: ${received} of ${total} bytes back in ${seconds.toFixed(1)} s, SHA-256 ${r.sentSha256 === r.receivedSha256 ? 'equal' : 'DIFFERENT'}, proxy peak RSS ${r.peakRssMb.toFixed(1)} MB`);
    s.destroy();
    return r;
  } finally {
    await proxy.stop();
    await echo.close();
  }
}

/**
 * A writer as fast as the relay lets it, and a reader on the other side that takes `config.rate`
 * bytes a second: `reader` is `client` (the target writes) or `target` (the client writes).
 * The proxy's RSS is sampled every 100 ms.
 */
async function slowRun(reader, bare = false) {
  const block = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  let read = 0;
  let writing = true;
  const pump = (sock) => {
    const go = () => {
      while (writing && !sock.destroyed) {
        written += block.length;
        if (!sock.write(block)) return sock.once('drain', go);
      }
    };
    go();
  };
  const slowRead = (sock) => {
    // every 100 ms a tenth of the rate; paused in between, so the kernel's buffers fill and backpressure reaches the writer
    let budget = 0;
    sock.on('data', (b) => {
      read += b.length;
      budget -= b.length;
      if (budget <= 0) sock.pause();
    });
    sock.pause();
    const timer = setInterval(() => {
      budget += config.rate / 10;
      if (budget > 0) sock.resume();
    }, 100);
    sock.once('close', () => clearInterval(timer));
  };
  const target = await server((c) => (reader === 'target' ? slowRead(c) : pump(c)));
  const proxy = await startProxy(target.port, { bare });
  log(`slow${bare ? ' (bare Node relay)' : ''}: a ${reader === 'client' ? 'client' : 'target'} reading ${(config.rate / 2 ** 20).toFixed(1)} MiB/s for ${config.slowSeconds} s, the other side writing as fast as it may`);
  try {
    const s = await connect(proxy.port);
    if (reader === 'client') slowRead(s);
    else pump(s);
    const samples = [];
    const t0 = performance.now();
    while (performance.now() - t0 < config.slowSeconds * 1000) {
      await sleep(1000);
      samples.push({ s: Math.round((performance.now() - t0) / 1000), rssMb: procStats(proxy.pid).rssMb, written, read });
    }
    writing = false;
    const seconds = (performance.now() - t0) / 1000;
    const r = { reader, seconds, written, read, inFlight: written - read, readRate: read / seconds, idleRssMb: proxy.idleMb, peakRssMb: proxy.peakMb, samples };
    log(`slow (${bare ? 'bare Node relay, ' : ''}${reader} reads): wrote ${mib(written)}, read ${mib(read)} (${(r.readRate / 2 ** 20).toFixed(2)} MiB/s), in flight ${mib(r.inFlight)}, proxy peak RSS ${r.peakRssMb.toFixed(1)} MB`);
    s.destroy();
    return r;
  } finally {
    await proxy.stop();
    await target.close();
  }
}

/** Connect/disconnect cycles; then a client and a target that reset mid-write, a silent target, a down one; descriptors and RSS after full collections. */
async function cycleRun() {
  const target = await switchableTarget();
  const proxy = await startProxy(target.port, { inspect: true });
  try {
    const warm = await cycles(proxy.port, 500);
    if (warm.failed) throw new Error(`warm-up cycles failed: ${warm.firstError?.message}`);
    await proxy.collect();
    await sleep(500);
    const before = procStats(proxy.pid);
    log(`cycles: ${config.cycles} connect/disconnect cycles, 32 at a time (before: ${before.fds} fds, RSS ${before.rssMb.toFixed(1)} MB)`);
    const run = await cycles(proxy.port, config.cycles, { deadlineMs: 600_000 });
    await echoesThrough(proxy.port);
    await proxy.collect();
    // the last connections, and the inspector's own, close before the count (up to 10 s on a busy machine)
    for (let waited = 0; procStats(proxy.pid).fds > before.fds && waited < 10_000; waited += 100) await sleep(100);
    const after = procStats(proxy.pid);
    const r = { cycles: config.cycles, ok: run.ok, failed: run.failed, firstError: run.firstError?.message, seconds: run.ms / 1000, before, after };
    log(`cycles: ${run.ok} ok, ${run.failed} failed in ${r.seconds.toFixed(1)} s; fds ${before.fds} → ${after.fds}, RSS ${before.rssMb.toFixed(1)} → ${after.rssMb.toFixed(1)} MB`);
    return r;
  } finally {
    await proxy.stop();
    await target.close();
  }
}

function report(r) {
  const lines = [`sockit proxy --quiet, heavy checks (load average at start ${r.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')})`];
  const bar = (ok) => (ok ? 'reached' : 'NOT reached');
  if (r.sha) {
    const ok = r.sha.received === r.sha.bytes && r.sha.sentSha256 === r.sha.receivedSha256;
    lines.push(`${config.gib} GiB each way to an echo target: ${r.sha.received} bytes back, SHA-256 ${r.sha.sentSha256.slice(0, 16)}… ${r.sha.sentSha256 === r.sha.receivedSha256 ? '=' : '≠'} ${r.sha.receivedSha256.slice(0, 16)}…, ${r.sha.mbPerS.toFixed(0)} MB/s each way, proxy RSS ${r.sha.idleRssMb.toFixed(1)} MB idle, ${r.sha.peakRssMb.toFixed(1)} MB at its peak`);
    lines.push(`bar: 1 GiB each way arrives with the same SHA-256 → ${bar(ok)}`);
  }
  if (r.slow) {
    for (const s of [r.slow.client, r.slow.target]) {
      const b = r.slowBare[s.reader];
      lines.push(`a ${s.reader} reading ${(config.rate / 2 ** 20).toFixed(1)} MiB/s for ${s.seconds.toFixed(0)} s: read ${(s.readRate / 2 ** 20).toFixed(2)} MiB/s, in flight ${mib(s.inFlight)}, proxy RSS ${s.idleRssMb.toFixed(1)} MB idle, ${s.peakRssMb.toFixed(1)} MB at its peak (+${(s.peakRssMb - s.idleRssMb).toFixed(1)}); bare Node relay ${b.idleRssMb.toFixed(1)} → ${b.peakRssMb.toFixed(1)} MB (+${(b.peakRssMb - b.idleRssMb).toFixed(1)})`);
      lines.push(`bar: proxy RSS under 100 MB with a slow ${s.reader} → ${bar(s.peakRssMb < 100)}`);
    }
  }
  if (r.cycles) {
    const c = r.cycles;
    lines.push(`${c.cycles} connect/disconnect cycles: ${c.ok} ok, ${c.failed} failed in ${c.seconds.toFixed(1)} s; fds ${c.before.fds} → ${c.after.fds}; RSS after a full collection ${c.before.rssMb.toFixed(1)} → ${c.after.rssMb.toFixed(1)} MB`);
    lines.push(`bar: no fd or RSS growth (fds equal, RSS within 5 MB) → ${bar(c.failed === 0 && c.after.fds <= c.before.fds && c.after.rssMb - c.before.rssMb < 5)}`);
  }
  return lines;
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: HOST, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

function mib(n) {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
