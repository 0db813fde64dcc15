// The Locust worker benchmark: a sockit worker under Debian's Locust master against `sockit load` alone, same users, same echo server, rounds alternating.
// usage: node bench/locust.mjs [--users=100] [--seconds=10] [--rounds=3] [--no-build] [--screenshot=docs/locust-ui.png]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const RESULTS = path.join(ROOT, 'bench', 'results');
const LOCUST = '/usr/bin/locust';
const HOST = '127.0.0.1';
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const users = Number(args.users ?? 100);
const seconds = Number(args.seconds ?? 10);
const rounds = Number(args.rounds ?? 3);
// the echo server and the Locust master on CPU 0, the load (sockit load, or the worker) on CPU 1
const PIN = spawnSync('sh', ['-c', 'command -v taskset']).status === 0 && os.cpus().length >= 2;
const children = new Set();

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err.stack ?? err);
    process.exit(1);
  },
);

async function main() {
  if (!fs.existsSync(LOCUST)) throw new Error(`${LOCUST} is missing: apt-get install python3-locust`);
  if (!args['no-build']) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
  }
  const locust = await import('../test/helpers/locust.mjs');
  const version = locust.locustVersion();
  log(`Locust worker benchmark: ${rounds} round(s), ${users} users, ${seconds} s each; Locust ${version}; pinned: ${PIN}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const server = await startEcho();
  const runs = [];
  try {
    for (let round = 0; round < rounds; round++) {
      // alternate the order, so drift of the machine's load falls on both sides
      const order = round % 2 ? ['worker', 'alone'] : ['alone', 'worker'];
      const run = { round };
      for (const kind of order) run[kind] = kind === 'alone' ? await runAlone(server.port) : await runWorker(server.port, locust);
      run.ratio = run.worker.messagesPerSec / run.alone.messagesPerSec;
      runs.push(run);
      log(`round ${round + 1}: sockit load alone ${fmt(run.alone.messagesPerSec)} msg/s (p50 ${run.alone.latency.p50} ms), worker ${fmt(run.worker.messagesPerSec)} msg/s (p50 ${run.worker.latency.p50} ms; master counted ${run.worker.masterCount} = worker ${run.worker.messagesReceived}): ${(run.ratio * 100).toFixed(1)}%`);
    }
    if (args.screenshot) await screenshot(server.port, locust, path.resolve(ROOT, String(args.screenshot)));
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = {
    date: new Date().toISOString(), locust: version, users, seconds, rounds, pinned: PIN, cpus: os.cpus().length, cpu: os.cpus()[0]?.model,
    aloneMsgPerSec: median(runs.map((r) => r.alone.messagesPerSec)),
    workerMsgPerSec: median(runs.map((r) => r.worker.messagesPerSec)),
    ratio: median(runs.map((r) => r.ratio)),
    aloneP50ms: median(runs.map((r) => r.alone.latency.p50)), workerP50ms: median(runs.map((r) => r.worker.latency.p50)),
    aloneP99ms: median(runs.map((r) => r.alone.latency.p99)), workerP99ms: median(runs.map((r) => r.worker.latency.p99)),
    masterP50ms: median(runs.map((r) => r.worker.masterP50)), masterP99ms: median(runs.map((r) => r.worker.masterP99)),
    runs: runs.map((r) => ({ round: r.round, alone: r.alone.messagesPerSec, worker: r.worker.messagesPerSec, ratio: r.ratio, masterCount: r.worker.masterCount, workerCount: r.worker.messagesReceived })),
  };
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'locust.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(`\n| ${users} users, 64 B request/response | msg/s | p50 | p99 |\n| --- | --- | --- | --- |`);
  console.log(`| sockit load alone | ${fmt(summary.aloneMsgPerSec)} | ${summary.aloneP50ms} ms | ${summary.aloneP99ms} ms |`);
  console.log(`| sockit worker under a Locust master | ${fmt(summary.workerMsgPerSec)} (${(summary.ratio * 100).toFixed(1)}%) | ${summary.workerP50ms} ms (master: ${summary.masterP50ms}) | ${summary.workerP99ms} ms (master: ${summary.masterP99ms}) |`);
  log(`wrote bench/results/locust.json`);
}

function spawnPinned(cpu, cmd, argv, options = {}) {
  const child = PIN ? spawn('taskset', ['-c', String(cpu), cmd, ...argv], options) : spawn(cmd, argv, options);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function collect(child) {
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d) => (out.stdout += d));
  child.stderr?.on('data', (d) => (out.stderr += d));
  out.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return out;
}

async function startEcho() {
  const child = spawnPinned(0, process.execPath, [CLI, 'tcp', 'listen', '0', '-H', HOST, '--echo', '--quiet', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = /"port":(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    setTimeout(() => reject(new Error('the echo server did not start')), 10000);
  });
  return { child, port };
}

async function runAlone(port) {
  const child = spawnPinned(1, process.execPath, [CLI, 'load', HOST, String(port), '-c', String(users), '-d', String(seconds), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collect(child);
  if ((await out.exited) !== 0) throw new Error(`sockit load failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1));
}

async function runWorker(port, locust) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockit-locust-'));
  const master = await locust.launchMaster(['--headless', '--expect-workers', '1', '-u', String(users), '-r', String(users), '-t', `${seconds}s`, '--csv', path.join(dir, 'run')], { spawn: (cmd, argv, o) => spawnPinned(0, cmd, argv, o) });
  const child = spawnPinned(1, process.execPath, [CLI, 'load', HOST, String(port), '--locust', `${HOST}:${master.port}`, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collect(child);
  const [{ code: masterCode }, code] = await Promise.all([master.exited, out.exited]);
  if (masterCode !== 0 || code !== 0) throw new Error(`the Locust run failed (master ${masterCode}, worker ${code}):\n${master.output}\n${out.stderr}`);
  const report = JSON.parse(out.stdout.trim().split('\n').at(-1));
  const row = locust.readCsv(path.join(dir, 'run_stats.csv')).find((r) => r.Name === 'request 64 B');
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...report, masterCount: Number(row['Request Count']), masterP50: Number(row['50%']), masterP99: Number(row['99%']) };
}

/** The master's web UI in Chromium during a run of two workers, saved as a PNG. */
async function screenshot(port, locust, file) {
  const { chromium } = await import('playwright-core');
  const master = await locust.launchMaster(['--web-host', HOST, '--web-port', '0', '--autostart', '--expect-workers', '2', '-u', String(users), '-r', '50', '-t', '40s', '--autoquit', '0'], { ports: 2, spawn: (cmd, argv, o) => spawnPinned(0, cmd, argv, o) });
  const web = master.webPort;
  const zmqPort = master.port;
  for (let i = 0; i < 2; i++) spawnPinned(1, process.execPath, [CLI, 'load', HOST, String(port), '--locust', `${HOST}:${zmqPort}`], { stdio: 'ignore' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
    await page.goto(`http://${HOST}:${web}/`);
    await page.waitForFunction(() => /RUNNING/i.test(document.querySelector('#status_text')?.textContent ?? '') && document.querySelectorAll('#stats tbody tr').length >= 2, null, { timeout: 30000 });
    // a few reports in, so the counters and the tables have settled
    await page.waitForTimeout(12000);
    await page.screenshot({ path: file });
    await page.click('a.chart-tab-link');
    await page.waitForTimeout(1500);
    await page.screenshot({ path: file.replace(/\.png$/, '-charts.png') });
    log(`wrote ${path.relative(ROOT, file)} and its charts tab`);
  } finally {
    await browser.close();
    master.kill();
  }
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}

function log(text) {
  console.error(`[bench:locust] ${text}`);
}
