#!/usr/bin/env node
// Static server benchmark: wrk against sockit serve, nginx, http-server and python3 -m http.server on the same files, in one run.
//
//   npm run bench:serve -- [--duration 5] [--runs 3] [--connections 50] [--only sockit,nginx] [--no-pin] [--nginx-workers 1]
//
// Every server answers on 127.0.0.1 only; peers that are not installed are skipped with a note.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const RESULTS = join(ROOT, 'bench', 'results');

const FILES = [
  { name: '1k.bin', label: '1 KiB', size: 1024 },
  { name: '100k.bin', label: '100 KiB', size: 100 * 1024 },
  { name: '10m.bin', label: '10 MiB', size: 10 * 1024 * 1024 },
];
const BARS = [
  { file: '1k.bin', vs: 'http-server', ratio: 2, text: '1 KiB: ≥ 2× http-server' },
  { file: '1k.bin', vs: 'nginx', ratio: 0.6, text: '1 KiB: ≥ 60% of nginx' },
  { file: '10m.bin', vs: 'nginx', ratio: 0.7, text: '10 MiB: ≥ 70% of nginx' },
];

function parseArgs(argv) {
  const o = { duration: 5, runs: 3, connections: 50, only: undefined, pin: true, nginxWorkers: '1', out: RESULTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--duration') o.duration = Number(next());
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--connections') o.connections = Number(next());
    else if (a === '--only') o.only = next().split(',');
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--nginx-workers') o.nginxWorkers = next();
    else if (a === '--out') o.out = next();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/serve.mjs [--duration s] [--runs n] [--connections n] [--only sockit,nginx,http-server,python] [--no-pin] [--nginx-workers n|auto] [--out dir]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.duration > 0 && o.duration <= 60)) throw new Error('--duration must be 1 to 60 seconds');
  if (!(o.runs >= 1 && o.runs <= 10)) throw new Error('--runs must be 1 to 10');
  return o;
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, ms, child) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) return false;
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

// Servers on CPU 0, wrk on CPU 1: on a 2-core machine each side gets a core of its own and runs are repeatable.
function pinned(cpu, cmd, args, pin) {
  return pin ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

function makeFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'sockit-bench-serve-'));
  // nginx workers may run as another user: the tree must be readable by all
  chmodSync(dir, 0o755);
  const www = join(dir, 'www');
  mkdirSync(www, { mode: 0o755 });
  for (const f of FILES) {
    writeFileSync(join(www, f.name), randomBytes(f.size));
    chmodSync(join(www, f.name), 0o644);
  }
  return { dir, www };
}

function nginxConfig(dir, www, port, workers) {
  const tmp = join(dir, 'nginx-tmp');
  mkdirSync(tmp, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `# the benchmark's nginx: static files, no access log, sendfile, one worker unless told otherwise
worker_processes ${workers};
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')};
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000;
  types { application/octet-stream bin; }
  client_body_temp_path ${tmp}; proxy_temp_path ${tmp}; fastcgi_temp_path ${tmp}; uwsgi_temp_path ${tmp}; scgi_temp_path ${tmp};
  server { listen 127.0.0.1:${port}; root ${www}; }
}
`);
  return conf;
}

/** Starts one server; resolves { id, label, port, child, note } or { id, skipped } when it is not available. */
async function startPeer(id, dir, www, o) {
  const port = await freePort();
  let cmd;
  let args;
  let label;
  let waitMs = 10_000;
  if (id === 'sockit') {
    if (!existsSync(CLI)) return { id, skipped: 'dist/ is missing: run npm run build first' };
    [cmd, args] = [process.execPath, [CLI, 'serve', www, '-p', String(port), '-H', '127.0.0.1', '--quiet']];
    label = `sockit serve (Node ${process.versions.node})`;
  } else if (id === 'nginx') {
    const bin = ['nginx', '/usr/sbin/nginx'].find((b) => has(b));
    if (!bin) return { id, skipped: 'nginx is not installed (apt-get install -y nginx)' };
    [cmd, args] = [bin, ['-c', nginxConfig(dir, www, port, o.nginxWorkers), '-p', dir]];
    const v = spawnSync(bin, ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '');
    label = `${v} (${o.nginxWorkers} worker${o.nginxWorkers === '1' ? '' : 's'}, sendfile)`;
  } else if (id === 'http-server') {
    if (!has('npx')) return { id, skipped: 'npx is not available' };
    [cmd, args] = ['npx', ['--yes', 'http-server@14', www, '-p', String(port), '-a', '127.0.0.1', '-s', '-c-1']];
    label = 'http-server 14 (npx)';
    waitMs = 90_000; // the first run downloads it
  } else if (id === 'python') {
    if (!has('python3')) return { id, skipped: 'python3 is not installed' };
    [cmd, args] = ['python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', www]];
    label = `python3 -m http.server (${spawnSync('python3', ['--version'], { encoding: 'utf8' }).stdout.trim()})`;
  } else {
    return { id, skipped: 'unknown server' };
  }
  const [c, a] = pinned(0, cmd, args, o.pin);
  // output goes to a file: a pipe nobody drains while wrk runs (spawnSync) would stall a server that logs
  const logFile = join(dir, `${id}.log`);
  const log = openSync(logFile, 'w');
  // its own process group, so stopping it also stops what it started (npx runs http-server as a child)
  const child = spawn(c, a, { stdio: ['ignore', log, log], detached: true, env: { ...process.env, NO_COLOR: '1', npm_config_yes: 'true' } });
  closeSync(log);
  child.on('error', () => {});
  if (!(await waitForPort(port, waitMs, child))) {
    await stopPeer({ child });
    const last = readFileSync(logFile, 'utf8').trim().split('\n').pop();
    return { id, skipped: `did not start${last ? `: ${last}` : ''}` };
  }
  return { id, label, port, child };
}

/** Stops a server and everything it started: SIGTERM to its process group, SIGKILL a moment later. */
async function stopPeer(p) {
  if (!p.child?.pid) return;
  const group = (signal) => {
    try {
      process.kill(-p.child.pid, signal);
      return true;
    } catch {
      return false; // already gone
    }
  };
  if (!group('SIGTERM')) return;
  for (let i = 0; i < 20 && p.child.exitCode === null && p.child.signalCode === null; i++) await sleep(50);
  await sleep(200);
  group('SIGKILL');
}

function parseDuration(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]];
}

function parseBytes(text) {
  const m = /^([\d.]+)([KMGT]?B)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[m[2]];
}

/** Runs wrk once; resolves { rps, p99Ms, bytesPerS, errors }. */
function wrk(url, seconds, connections, pin) {
  const [cmd, args] = pinned(1, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', url], pin);
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const out = res.stdout ?? '';
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99Ms = parseDuration(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const bytesPerS = parseBytes(/Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? '');
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? /Socket errors: (.*)/.exec(out)?.[1];
  return { rps, p99Ms, bytesPerS, errors: errors ?? undefined };
}

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

function fmtRate(n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '—';
}
function fmtMs(n) {
  return Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : '—';
}
function fmtBytes(n) {
  return Number.isFinite(n) ? `${(n / 1024 ** 2).toFixed(0)} MiB/s` : '—';
}
function fmtRatio(n) {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : '—';
}

/** A grouped bar chart: requests/s of each server for each file, as % of nginx. */
function renderSvg(results) {
  const colors = { sockit: '#2563eb', nginx: '#16a34a', 'http-server': '#d97706', python: '#7c3aed' };
  const ids = results.servers.map((s) => s.id);
  const W = 900;
  const groupH = ids.length * 22 + 34;
  const H = 70 + results.files.length * groupH + 30;
  const left = 170;
  const plotW = W - left - 200;
  const max = Math.max(1.2, ...results.files.flatMap((f) => ids.map((id) => f.servers[id]?.vsNginx ?? 0))) * 1.05;
  const x = (v) => Math.round((left + (Math.min(v, max) / max) * plotW) * 10) / 10;
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui,-apple-system,Segoe UI,sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="20" y="28" font-size="16" font-weight="600">Static file serving: requests/s as % of nginx (wrk, ${results.connections} connections, median of ${results.runs})</text>`,
    `<text x="20" y="48" fill="#555">${esc(results.machine)}</text>`,
  ];
  let y = 70;
  for (const f of results.files) {
    parts.push(`<text x="20" y="${y + 14}" font-weight="600">${esc(f.label)}</text>`);
    const top = y;
    y += 22;
    for (const id of ids) {
      const s = f.servers[id];
      if (!s) continue;
      const v = s.vsNginx ?? 0;
      parts.push(`<text x="${left - 8}" y="${y + 12}" text-anchor="end" fill="#333">${esc(id)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, Math.round((x(v) - left) * 10) / 10)}" height="16" fill="${colors[id] ?? '#888'}" rx="2"/>`);
      parts.push(`<text x="${x(v) + 6}" y="${y + 12}" fill="#333">${Number.isFinite(s.vsNginx) ? Math.round(s.vsNginx * 100) + '%' : ''}  ${fmtRate(s.rps)} req/s  p99 ${fmtMs(s.p99Ms)}</text>`);
      y += 22;
    }
    const bar = results.bars.find((b) => b.file === f.name && b.vs === 'nginx');
    if (bar) {
      parts.push(`<line x1="${x(bar.ratio)}" x2="${x(bar.ratio)}" y1="${top + 18}" y2="${y}" stroke="#dc2626" stroke-dasharray="4 3"/>`);
      parts.push(`<text x="${x(bar.ratio) + 4}" y="${top + 14}" fill="#dc2626" font-size="11">bar ${Math.round(bar.ratio * 100)}%</text>`);
    }
    parts.push(`<line x1="${x(1)}" x2="${x(1)}" y1="${top + 18}" y2="${y}" stroke="#16a34a" stroke-width="1"/>`);
    y += 12;
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!has('wrk')) {
    console.error('wrk is not installed: apt-get install -y wrk (or brew install wrk)');
    process.exit(1);
  }
  if (o.pin && !(has('taskset') && cpus().length >= 2)) o.pin = false;
  const load = loadavg()[0];
  // other work on the machine skews whichever server runs at that moment: say so
  if (load > 0.5) console.log(`note: load average is ${load.toFixed(2)}; results are unreliable while other work runs`);
  const wanted = o.only ?? ['sockit', 'nginx', 'http-server', 'python'];
  const { dir, www } = makeFiles();
  const peers = [];
  const cleanup = async () => {
    await Promise.all(peers.map(stopPeer));
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });
  try {
    for (const id of wanted) {
      process.stderr.write(`starting ${id}... `);
      const p = await startPeer(id, dir, www, o);
      process.stderr.write(p.skipped ? `skipped: ${p.skipped}\n` : `port ${p.port}\n`);
      if (p.skipped) console.log(`note: ${id} skipped (${p.skipped})`);
      else peers.push(p);
    }
    if (!peers.length) throw new Error('no server could be started');
    const machine = `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}, Node ${process.versions.node}${o.pin ? ', servers on CPU 0, wrk on CPU 1' : ''}`;
    const results = { date: new Date().toISOString(), machine, loadAverage: load, connections: o.connections, duration: o.duration, runs: o.runs, servers: peers.map((p) => ({ id: p.id, label: p.label })), files: [], bars: BARS };
    const started = Date.now();
    for (const f of FILES) {
      const samples = Object.fromEntries(peers.map((p) => [p.id, []]));
      // warm up: JIT, caches, the first read of each file
      for (const p of peers) wrk(`http://127.0.0.1:${p.port}/${f.name}`, 1, o.connections, o.pin);
      // interleaved runs, so a noisy moment hurts every server alike
      for (let r = 0; r < o.runs; r++) {
        for (const p of peers) {
          const s = wrk(`http://127.0.0.1:${p.port}/${f.name}`, o.duration, o.connections, o.pin);
          samples[p.id].push(s);
          process.stderr.write(`${f.label} run ${r + 1}/${o.runs} ${p.id}: ${fmtRate(s.rps)} req/s, p99 ${fmtMs(s.p99Ms)}${s.errors ? ` (errors: ${s.errors})` : ''}\n`);
        }
      }
      const row = { name: f.name, label: f.label, size: f.size, servers: {} };
      for (const p of peers) {
        const rps = median(samples[p.id].map((s) => s.rps));
        row.servers[p.id] = { rps, p99Ms: median(samples[p.id].map((s) => s.p99Ms)), bytesPerS: median(samples[p.id].map((s) => s.bytesPerS)), samples: samples[p.id].map((s) => Math.round(s.rps)) };
      }
      const nginx = row.servers.nginx?.rps;
      const hs = row.servers['http-server']?.rps;
      for (const s of Object.values(row.servers)) {
        s.vsNginx = nginx ? s.rps / nginx : undefined;
        s.vsHttpServer = hs ? s.rps / hs : undefined;
      }
      results.files.push(row);
    }
    results.seconds = Math.round((Date.now() - started) / 1000);

    console.log(`\nsockit serve benchmark — ${machine}`);
    console.log(`wrk -t1 -c${o.connections} -d${o.duration}s, median of ${o.runs} interleaved runs per server and file\n`);
    const header = ['file', 'server', 'req/s', 'p99', 'throughput', 'vs nginx', 'vs http-server'];
    const rows = [];
    for (const f of results.files) {
      for (const p of peers) {
        const s = f.servers[p.id];
        rows.push([f.label, p.id, fmtRate(s.rps), fmtMs(s.p99Ms), fmtBytes(s.bytesPerS), fmtRatio(s.vsNginx), fmtRatio(s.vsHttpServer)]);
      }
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r) => '| ' + r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
    console.log(line(header));
    console.log('| ' + widths.map((w, i) => (i < 2 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ') + ' |');
    for (const r of rows) console.log(line(r));
    console.log('');
    for (const p of peers) console.log(`${p.id}: ${p.label}`);
    console.log('');
    results.verdicts = [];
    for (const b of BARS) {
      const f = results.files.find((x) => x.name === b.file);
      const ratio = b.vs === 'nginx' ? f.servers.sockit?.vsNginx : f.servers.sockit?.vsHttpServer;
      const verdict = ratio === undefined || !Number.isFinite(ratio) ? 'not measured' : ratio >= b.ratio ? 'met' : 'NOT met';
      results.verdicts.push({ bar: b.text, ratio, verdict });
      console.log(`${b.text}: ${verdict}${Number.isFinite(ratio) ? ` (${fmtRatio(ratio)})` : ''}`);
    }
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'serve.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(o.out, 'serve.svg'), renderSvg(results));
    console.log(`\nwrote ${join(o.out, 'serve.json')} and serve.svg (${results.seconds} s)`);
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
