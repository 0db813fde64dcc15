#!/usr/bin/env node
// The static server under hostile load, at full size: pipelined requests cut off mid-answer, slow readers, slowloris above the cap, a refused 2 GB upload.
//
//   npm run bench:hostile -- [--cli path/to/dist/cli/main.js] [--only pipelined,slowread,slowloris,put] [--rounds 3] [--connections 300]
//
// `--cli` runs the same attacks against another build (an older checkout) for a before/after
// comparison. Everything stays on loopback; each attack is bounded in count and time. Writes
// bench/results/hostile.json.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PEERS = join(ROOT, 'test', 'peers');
const RESULTS = join(ROOT, 'bench', 'results');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const NOFILE = 8192;
const MiB = 1024 * 1024;

function parseArgs(argv) {
  const o = { cli: join(ROOT, 'dist', 'cli', 'main.js'), only: ['pipelined', 'slowread', 'slowloris', 'put'], rounds: 3, connections: 300 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--cli') o.cli = next();
    else if (a === '--only') o.only = next().split(',');
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--connections') o.connections = Number(next());
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/hostile.mjs [--cli dist/cli/main.js] [--only pipelined,slowread,slowloris,put] [--rounds n] [--connections n]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.rounds >= 1 && o.rounds <= 10)) throw new Error('--rounds must be 1 to 10');
  if (!(o.connections >= 1 && o.connections <= 2000)) throw new Error('--connections must be 1 to 2000');
  return o;
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withNofile = (cmd, args) => ['sh', ['-c', 'ulimit -n "$0" && exec "$@"', String(NOFILE), cmd, ...args]];

function stats(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rssMb: +(kb('VmRSS') / 1024).toFixed(1), peakRssMb: +(kb('VmHWM') / 1024).toFixed(1) };
}

/** Runs a program to completion (killed after `ms`): { code, stdout, stderr }. */
function run(cmd, args, ms) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts `sockit serve` with a raised limit of open files and its inspector on loopback (to ask
 * for a full collection before measuring); resolves { port, pid, stop, collect }.
 */
async function serve(o, root, args = []) {
  const [cmd, argv] = withNofile(process.execPath, [o.cli, 'serve', root, '-p', '0', '--json', '-q', ...args]);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => (err += s));
  child.stdout.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sockit serve did not start: ${out}`)), 20_000);
    child.stdout.on('data', (s) => {
      out += s;
      const m = /"event":"listening".*?"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return {
    port,
    pid: child.pid,
    stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGINT')))),
    collect: () => collectGarbage(err),
  };
}

/** A full collection in the server (V8's low-memory notification, through the inspector): what is measured after it is what the server keeps. */
async function collectGarbage(stderr) {
  const { WebSocket } = await import('ws');
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
  if (!url) throw new Error(`no inspector address from the server: ${stderr}`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  await new Promise((resolve) => {
    ws.on('message', (m) => JSON.parse(m).id === 1 && resolve());
    ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
  });
  ws.close();
}

/** Waits (at most `ms`) until the server's stats satisfy `ok`, collects its garbage, and returns its stats. */
async function settle(server, ok, ms = 20_000) {
  const until = Date.now() + ms;
  while (!ok(stats(server.pid)) && Date.now() < until) await sleep(250);
  await server.collect();
  return stats(server.pid);
}

function sampler(pid) {
  const most = { fds: 0, rssMb: 0 };
  const timer = setInterval(() => {
    try {
      const s = stats(pid);
      most.fds = Math.max(most.fds, s.fds);
      most.rssMb = Math.max(most.rssMb, s.rssMb);
    } catch {
      // gone
    }
  }, 100);
  return () => (clearInterval(timer), most);
}

/** The issue's shape, larger: rounds of N clients each pipelining 3 GETs of 64 MiB and hanging up. */
async function pipelined(o, root) {
  const server = await serve(o, root);
  const shapes = [['plain', '/big.bin'], ['gzip', '/big.txt', 'Accept-Encoding: gzip'], ['multipart ranges', '/big.bin', 'Range: bytes=0-9999999,20000000-59999999']];
  const rows = [];
  const start = await settle(server, () => true);
  for (const [label, path, ...headers] of shapes) {
    const before = await settle(server, () => true);
    const t0 = performance.now();
    for (let r = 0; r < o.rounds; r++) {
      const res = await run(...withNofile(PYTHON, [join(PEERS, 'pipelined_disconnect.py'), '127.0.0.1', String(server.port), path, String(o.connections), '3', ...headers]), 300_000);
      if (res.code !== 0) throw new Error(`pipelined_disconnect.py: ${res.stderr}`);
    }
    const after = await settle(server, (s) => s.fds <= before.fds + 2, 30_000);
    rows.push({ attack: `pipelined, ${label}`, connections: o.connections * o.rounds, seconds: +((performance.now() - t0) / 1000).toFixed(1), fdsBefore: before.fds, fdsAfter: after.fds, rssBeforeMb: before.rssMb, rssAfterMb: after.rssMb, peakRssMb: after.peakRssMb });
  }
  const end = stats(server.pid);
  rows.push({ attack: 'pipelined, all shapes', fdsBefore: start.fds, fdsAfter: end.fds, rssBeforeMb: start.rssMb, rssAfterMb: end.rssMb, peakRssMb: end.peakRssMb });
  await server.stop();
  return rows;
}

/** slowhttptest -X (or the python3 slow reader): 1,000 connections reading 32 bytes every 5 s for 30 s. */
async function slowread(o, root) {
  const server = await serve(o, root);
  const before = await settle(server, () => true);
  const stop = sampler(server.pid);
  const tool = has('slowhttptest') ? 'slowhttptest -X' : 'slow_reader.py';
  const res = has('slowhttptest')
    ? await run(...withNofile('slowhttptest', ['-X', '-c', '1000', '-r', '200', '-w', '512', '-y', '1024', '-n', '5', '-z', '32', '-k', '1', '-l', '30', '-p', '3', '-u', `http://127.0.0.1:${server.port}/big.bin`]), 120_000)
    : await run(...withNofile(PYTHON, [join(PEERS, 'slow_reader.py'), '127.0.0.1', String(server.port), '/big.bin', '1000', '30']), 120_000);
  if (res.code !== 0) throw new Error(`${tool}: ${res.stderr}`);
  const most = stop();
  const after = await settle(server, (s) => s.fds <= before.fds + 2);
  await server.stop();
  return [{ attack: `slow read, ${tool}`, connections: 1000, heldFds: most.fds, rssBeforeMb: before.rssMb, peakRssMb: after.peakRssMb, rssAfterMb: after.rssMb, fdsAfter: after.fds }];
}

function timedGet(host, port) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = net.connect(port, host, () => s.write(`GET /small.txt HTTP/1.1\r\nHost: ${host.includes(':') ? `[${host}]` : host}\r\nConnection: close\r\n\r\n`));
    let answer = '';
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.setEncoding('latin1');
    s.on('data', (d) => (answer += d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(answer.startsWith('HTTP/1.1 200') ? performance.now() - t0 : Infinity);
    });
  });
}

/** slowloris.py holding 1,500 and 3,000 connections against the default cap of 1,024: how fast new clients are answered, on 127.0.0.1 and ::1. */
async function slowloris(o, root) {
  const rows = [];
  for (const held of [1500, 3000]) {
    const server = await serve(o, root);
    const stop = sampler(server.pid);
    const [cmd, argv] = withNofile(PYTHON, [join(PEERS, 'slowloris.py'), '127.0.0.1', String(server.port), String(held), '40']);
    const loris = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => loris.stdout.once('data', resolve));
    const times = [];
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      for (const host of ['127.0.0.1', '::1']) times.push(await timedGet(host, server.port));
      await sleep(200);
    }
    loris.kill('SIGKILL');
    const most = stop();
    await server.stop();
    const ok = times.filter(Number.isFinite).sort((a, b) => a - b);
    const q = (p) => (ok.length ? +ok[Math.min(ok.length - 1, Math.floor((p / 100) * ok.length))].toFixed(1) : null);
    rows.push({ attack: `slowloris, ${held} held`, requests: times.length, unanswered: times.length - ok.length, p50Ms: q(50), p99Ms: q(99), maxMs: ok.length ? +ok.at(-1).toFixed(1) : null, heldFds: most.fds });
  }
  return rows;
}

/** curl -T of a sparse 2 GiB file, and a raw client that does not wait for 100 Continue, against a server without --upload. */
async function put(o, root, dir) {
  const server = await serve(o, root);
  const rows = [];
  if (has('curl')) {
    const sparse = join(dir, 'sparse.bin');
    const fd = openSync(sparse, 'w');
    ftruncateSync(fd, 2 * 1024 ** 3);
    closeSync(fd);
    const t0 = performance.now();
    const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_upload}', '-T', sparse, `http://127.0.0.1:${server.port}/big.bin`], 120_000);
    const [status, sent] = r.stdout.split(' ');
    rows.push({ attack: 'PUT 2 GiB, curl -T', status: Number(status), bodyBytesSent: Number(sent), seconds: +((performance.now() - t0) / 1000).toFixed(2) });
  }
  const t0 = performance.now();
  const raw = await new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1');
    let answer = '';
    let written = 0;
    let closed = false;
    s.setEncoding('latin1');
    s.on('data', (d) => (answer += d));
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      resolve({ status: Number(answer.split(' ')[1]) || 0, written });
    });
    let wake = () => {};
    s.on('drain', () => wake());
    s.on('close', () => wake());
    s.once('connect', async () => {
      s.write(`PUT /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${2 * 1024 ** 3}\r\n\r\n`);
      const chunk = Buffer.alloc(MiB, 0x61);
      while (!closed && written < 2 * 1024 ** 3) {
        if (!s.write(chunk)) await new Promise((r) => (wake = r));
        written += chunk.length;
      }
      s.end();
    });
  });
  rows.push({ attack: 'PUT 2 GiB, raw client', status: raw.status, bodyBytesSent: raw.written, seconds: +((performance.now() - t0) / 1000).toFixed(2) });
  await server.stop();
  return rows;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(o.cli)) throw new Error(`${o.cli} is missing: run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), 'sockit-bench-hostile-'));
  try {
    const root = join(dir, 'www');
    mkdirSync(root);
    writeFileSync(join(root, 'big.bin'), randomBytes(64 * MiB));
    writeFileSync(join(root, 'big.txt'), randomBytes(48 * MiB).toString('base64'));
    writeFileSync(join(root, 'small.txt'), 'hello\n');
    const attacks = { pipelined, slowread, slowloris, put };
    const rows = [];
    for (const name of o.only) {
      if (!attacks[name]) throw new Error(`unknown attack ${name}`);
      process.stderr.write(`${name}…\n`);
      for (const row of await attacks[name](o, root, dir)) {
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'hostile.json'), JSON.stringify({ date: new Date().toISOString(), cli: o.cli, node: process.versions.node, rounds: o.rounds, connections: o.connections, rows }, null, 2) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
