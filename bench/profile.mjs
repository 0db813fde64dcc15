// Profiles one echo server under the benchmark's C load and prints where the time or the memory goes.
// usage: node bench/profile.mjs <rr100|stream|idle> [--seconds=5] [--conns=10000] [--server=node|bridge] [-- sockit args]
//   rr100, stream: node --cpu-prof (self time by function) and --heap-prof (allocation sites still live at exit)
//   idle:          a heap snapshot (--heapsnapshot-signal) taken while every connection is held, summed by constructor
// Run `npm run bench` (or `npx tsc -p .` and gcc) first; profiles stay in bench/build/prof.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROF = path.join(ROOT, 'bench', 'build', 'prof');
const LOAD = path.join(ROOT, 'bench', 'build', 'load');
const HOST = '127.0.0.1';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const opts = Object.fromEntries(own.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')).map(([k, v]) => [k, v ?? true]));
const scenario = own.find((a) => !a.startsWith('--')) ?? 'rr100';
const seconds = Number(opts.seconds ?? 5);
const peers = { node: 'bench/peers/echo-bare.mjs', bridge: 'bench/peers/sockit-bridge.mjs' };
const target = peers[opts.server]
  ? [path.join(ROOT, peers[opts.server]), HOST, '0']
  : [path.join(ROOT, 'dist/cli/main.js'), ...(dash >= 0 ? argv.slice(dash + 1) : ['tcp', 'listen', '0', '-H', HOST, '--echo', '--quiet'])];

fs.rmSync(PROF, { recursive: true, force: true });
fs.mkdirSync(PROF, { recursive: true });

if (scenario === 'idle') await profileIdle();
else await profileLoad();

async function profileLoad() {
  const flags = ['--cpu-prof', '--heap-prof', `--cpu-prof-dir=${PROF}`, `--heap-prof-dir=${PROF}`];
  const server = await start(flags);
  const load = scenario === 'stream' ? ['stream', HOST, server.port, 65536, 0.5, seconds] : ['rr', HOST, server.port, 100, 64, 0.5, seconds];
  const result = await run('taskset', ['-c', '1', LOAD, ...load.map(String)]);
  console.log(`load: ${result.trim()}`);
  await server.stop('SIGINT');
  const cpu = fs.readdirSync(PROF).find((f) => f.endsWith('.cpuprofile'));
  const heap = fs.readdirSync(PROF).find((f) => f.endsWith('.heapprofile'));
  if (cpu) printCpu(JSON.parse(fs.readFileSync(path.join(PROF, cpu), 'utf8')));
  if (heap) printHeap(JSON.parse(fs.readFileSync(path.join(PROF, heap), 'utf8')));
}

async function profileIdle() {
  const n = Number(opts.conns ?? 10000);
  const server = await start(['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${PROF}`]);
  const client = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec taskset -c 1 "$@"', 'bash', LOAD, 'idle', HOST, String(server.port), String(n), '60', '120'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve) => {
    let out = '';
    client.stdout.on('data', (b) => {
      out += b;
      if (out.includes('\n')) resolve(out.trim());
    });
  });
  console.log(`load: ${line}`);
  console.log(`RSS while holding: ${rssMb(server.pid)} MB`);
  process.kill(server.pid, 'SIGUSR2');
  const file = await settled(() => fs.readdirSync(PROF).find((f) => f.endsWith('.heapsnapshot')));
  client.stdin.end();
  await server.stop('SIGTERM');
  printSnapshot(JSON.parse(fs.readFileSync(path.join(PROF, file), 'utf8')), n);
}

/** Self time by function, and the share of the garbage collector and of idle time. */
function printCpu(profile) {
  const dt = new Map();
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const f = n.callFrame;
    const where = f.url.startsWith('file:') ? path.relative(ROOT, fileURLToPath(f.url)) : f.url;
    const key = `${f.functionName || '(anonymous)'} ${where ? `${where}:${f.lineNumber + 1}` : ''}`.trim();
    dt.set(key, (dt.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const rows = [...dt.entries()].sort((a, b) => b[1] - a[1]);
  const busy = total - (dt.get('(idle)') ?? 0);
  console.log(`\nCPU profile: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * busy) / total).toFixed(0)}% busy; self time as a share of busy time:`);
  for (const [k, v] of rows.slice(0, 30)) if (k !== '(idle)') console.log(`${((100 * v) / busy).toFixed(1).padStart(6)}%  ${k}`);
}

/** Live allocation sites at exit from the sampling heap profiler, by self size. */
function printHeap(profile) {
  const sites = new Map();
  const walk = (node, stack) => {
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url ? path.basename(f.url) + ':' + (f.lineNumber + 1) : ''}`.trim();
    const self = (node.selfSize ?? 0);
    if (self) sites.set(name, (sites.get(name) ?? 0) + self);
    for (const c of node.children ?? []) walk(c, [...stack, name]);
  };
  walk(profile.head, []);
  const rows = [...sites.entries()].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((a, [, v]) => a + v, 0);
  console.log(`\nheap profile: ${(total / 2 ** 20).toFixed(1)} MB sampled live at exit, top allocation sites:`);
  for (const [k, v] of rows.slice(0, 15)) console.log(`${(v / 1024).toFixed(0).padStart(8)} KiB  ${k}`);
}

/** Heap snapshot summed by constructor: what each held connection costs. */
function printSnapshot(snap, n) {
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const F = fields.length;
  const iType = fields.indexOf('type'), iName = fields.indexOf('name'), iSize = fields.indexOf('self_size');
  const agg = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += F) {
    const type = types[snap.nodes[i + iType]];
    const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + iName]] : `(${type})`;
    const key = `${type === 'closure' ? 'closure ' : ''}${name}`;
    const size = snap.nodes[i + iSize];
    total += size;
    const a = agg.get(key) ?? { count: 0, size: 0 };
    a.count++;
    a.size += size;
    agg.set(key, a);
  }
  console.log(`\nheap snapshot: ${(total / 2 ** 20).toFixed(1)} MB of JS heap, ${(total / n).toFixed(0)} B per connection; largest by constructor:`);
  const rows = [...agg.entries()].sort((a, b) => b[1].size - a[1].size);
  for (const [k, v] of rows.slice(0, 30)) console.log(`${(v.size / 1024).toFixed(0).padStart(8)} KiB ${String(v.count).padStart(8)} × ${(v.size / v.count).toFixed(0).padStart(5)} B  ${k.slice(0, 80)}`);
}

async function start(flags) {
  const out = path.join(PROF, 'server.out');
  const fd = fs.openSync(out, 'w');
  // pinned like bench/run.mjs: the server on CPU 0, the load on CPU 1
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec taskset -c 0 "$@"', 'bash', process.execPath, ...flags, ...target], { stdio: ['ignore', fd, fd], cwd: PROF });
  fs.closeSync(fd);
  const exited = new Promise((r) => child.on('exit', r));
  let port;
  const deadline = Date.now() + 10000;
  while (!port) {
    const text = fs.readFileSync(out, 'utf8');
    port = Number((/port (\d+)/.exec(text) ?? /"port":(\d+)/.exec(text) ?? /^(\d+)$/m.exec(text) ?? [])[1]) || undefined;
    if (!port && Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, pid: child.pid,
    async stop(signal) {
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(t);
    },
  };
}

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.on('close', () => resolve(out));
  });
}

/** Waits for a file to appear and stop growing. */
async function settled(find) {
  let last = -1;
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const f = find();
    if (!f) continue;
    const size = fs.statSync(path.join(PROF, f)).size;
    if (size > 0 && size === last) return f;
    last = size;
  }
  throw new Error('no heap snapshot was written');
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? (Number(m[1]) / 1024).toFixed(1) : '?';
}
