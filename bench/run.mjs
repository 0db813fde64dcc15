// The TCP benchmark: builds sockit and the C programs, runs every echo server side by side on loopback, prints one table of ratios, writes JSON and an SVG chart.
// usage: node bench/run.mjs [--rounds=5] [--seconds=2] [--warmup=0.5] [--idle=10000] [--idle-rounds=2] [--only=rr1,rr100,stream,idle,faces,client,ws,relay] [--servers=c,node,sockit,...] [--quick] [--no-build] [--baseline=<dir>] [--unpinned=node,sockit,...] [--out=<name>]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'bench', 'build');
const TMP = path.join(BUILD, 'tmp');
const RESULTS = path.join(ROOT, 'bench', 'results');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const LOAD = path.join(BUILD, 'load');
const HOST = '127.0.0.1';

const args = parseArgs(process.argv.slice(2));
const quick = Boolean(args.quick);
const config = {
  rounds: num(args.rounds, quick ? 1 : 5),
  seconds: num(args.seconds, quick ? 1 : 2),
  warmup: num(args.warmup, 0.5),
  idleConnections: num(args.idle, quick ? 2000 : 10000),
  idleRounds: num(args['idle-rounds'], quick ? 1 : 2),
  idleTimeout: num(args['idle-timeout'], 60),
  only: args.only ? new Set(String(args.only).split(',')) : undefined,
};
const wanted = (part) => !config.only || config.only.has(part);

// one core for the server, the other for the client: on a 2-core machine this keeps runs comparable
const PIN = hasCommand('taskset') && os.cpus().length >= 2;
const FD_LIMIT = fdLimit();
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Every echo server, in the order they are measured (reversed every other round to cancel drift). */
const SERVERS = [
  { id: 'c', label: 'C epoll (1 thread)', cmd: () => [path.join(BUILD, 'echo-epoll'), HOST, '0'], port: /^(\d+)$/m, idle: true },
  { id: 'node', label: 'bare Node net (pipe)', cmd: () => [process.execPath, path.join(ROOT, 'bench/peers/echo-bare.mjs'), HOST, '0'], port: /^(\d+)$/m, idle: true },
  { id: 'sockit', label: 'sockit tcp listen --echo --quiet', cmd: () => [process.execPath, CLI, 'tcp', 'listen', '0', '-H', HOST, '--echo', '--quiet'], port: /port (\d+)/, idle: true },
  { id: 'sockit-json', label: 'sockit --echo --json > file', face: true, cmd: () => [process.execPath, CLI, 'tcp', 'listen', '0', '-H', HOST, '--echo', '--json'], port: /"port":(\d+)/ },
  { id: 'sockit-json-b64', label: 'sockit --echo --json --payload base64 > file', face: true, cmd: () => [process.execPath, CLI, 'tcp', 'listen', '0', '-H', HOST, '--echo', '--json', '--payload', 'base64'], port: /"port":(\d+)/ },
  // every byte both ways to a capture file (NDJSON, base64), emptied after each run; the bar is 70% of --quiet
  { id: 'sockit-capture', label: 'sockit --echo --quiet --capture file', face: true, captureFile: path.join(TMP, 'capture.ndjson'), cmd: () => [process.execPath, CLI, 'tcp', 'listen', '0', '-H', HOST, '--echo', '--quiet', '--capture', path.join(TMP, 'capture.ndjson')], port: /port (\d+)/ },
  { id: 'sockit-log', label: 'sockit --echo (log) > file', face: true, cmd: () => [process.execPath, CLI, 'tcp', 'listen', '0', '-H', HOST, '--echo', '--no-color'], port: /port (\d+)/ },
  {
    id: 'sockit-bridge', label: 'sockit --echo + browser bridge', face: true,
    cmd: () => [process.execPath, path.join(ROOT, 'bench/peers/sockit-bridge.mjs'), HOST, '0'], port: /^(\d+)$/m,
    missing: () => (fs.existsSync(path.join(ROOT, 'dist/bridge/ui-server.js')) ? undefined : 'the browser bridge (src/bridge) is not in this build'),
  },
  { id: 'py-asyncio', label: 'Python asyncio', cmd: () => ['python3', path.join(ROOT, 'bench/peers/echo-asyncio.py'), HOST, '0'], port: /^(\d+)$/m, idle: true, missing: () => (hasCommand('python3') ? undefined : 'python3 is not installed') },
  { id: 'py-threads', label: 'Python thread per connection', cmd: () => ['python3', path.join(ROOT, 'bench/peers/echo-threads.py'), HOST, '0'], port: /^(\d+)$/m, idle: true, missing: () => (hasCommand('python3') ? undefined : 'python3 is not installed') },
  // WebSocket echo servers: measured only by the WebSocket scenarios, against the bare ws server
  { id: 'ws-bare', proto: 'ws', label: 'bare ws echo (Node)', cmd: () => [process.execPath, path.join(ROOT, 'bench/peers/ws-echo-bare.mjs'), HOST, '0'], port: /^(\d+)$/m },
  { id: 'sockit-ws', proto: 'ws', label: 'sockit ws listen --echo --quiet', cmd: () => [process.execPath, CLI, 'ws', 'listen', '0', '-H', HOST, '--echo', '--quiet'], port: /port (\d+)/ },
  {
    id: 'py-websockets', proto: 'ws', label: 'Python websockets (asyncio)', cmd: () => ['/usr/bin/python3', path.join(ROOT, 'bench/peers/ws-echo-websockets.py'), HOST, '0'], port: /^(\d+)$/m,
    missing: () => (spawnSync('/usr/bin/python3', ['-c', 'import websockets']).status === 0 ? undefined : "Debian's python3-websockets is not installed"),
  },
  // TCP relays in front of the C echo server (which runs beside the client, on CPU 1): measured only by the relay scenarios, against a bare Node relay
  { id: 'relay-node', proto: 'relay', label: 'bare Node relay (a.pipe(b); b.pipe(a))', cmd: () => [process.execPath, path.join(ROOT, 'bench/peers/relay-bare.mjs'), HOST, '0', HOST, relayTarget.port], port: /^(\d+)$/m },
  { id: 'sockit-proxy', proto: 'relay', label: 'sockit proxy --quiet', cmd: () => [process.execPath, CLI, 'proxy', '0', `${HOST}:${relayTarget.port}`, '-H', HOST, '--quiet'], port: /port (\d+)/ },
  {
    id: 'socat-relay', proto: 'relay', label: 'socat (fork, TCP relay)', fixedPort: true,
    cmd: (port) => ['socat', `TCP-LISTEN:${port},bind=${HOST},reuseaddr,fork,backlog=4096`, `TCP:${HOST}:${relayTarget.port}`],
    missing: () => (hasCommand('socat') ? undefined : 'socat is not installed (apt-get install socat)'),
  },
  {
    id: 'socat', label: 'socat (fork, PIPE)', fixedPort: true,
    cmd: (port) => ['socat', `TCP-LISTEN:${port},bind=${HOST},reuseaddr,fork,backlog=4096`, 'PIPE'],
    missing: () => (hasCommand('socat') ? undefined : 'socat is not installed (apt-get install socat)'),
  },
];

// --baseline=<dir>: the same sockit rows from another build (a checkout with dist/ built), to measure a change before/after in one run
if (args.baseline) {
  const baseCli = path.resolve(String(args.baseline), 'dist/cli/main.js');
  const rows = SERVERS.filter((s) => s.id === 'sockit' || s.id === 'sockit-json' || s.id === 'sockit-log').map((s) => ({
    ...s, id: `base${s.id.slice(6)}`, label: `${s.label} (baseline)`, cmd: () => s.cmd().map((a) => (a === CLI ? baseCli : a)),
  }));
  SERVERS.splice(3, 0, ...rows);
}

// --unpinned=<ids>: those servers again with neither server nor client pinned, as a user runs them, side by side with the pinned rows
if (args.unpinned) {
  const ids = String(args.unpinned).split(',');
  const rows = SERVERS.filter((s) => ids.includes(s.id)).map((s) => ({ ...s, id: `${s.id}-free`, label: `${s.label} (unpinned)`, unpinned: true, idle: false }));
  SERVERS.push(...rows);
}

/** What each scenario asks of the C load client. */
const SCENARIOS = [
  { id: 'rr1', label: 'request/response 64 B, 1 connection', unit: 'msg/s', load: (port) => ['rr', HOST, port, 1, 64, config.warmup, config.seconds] },
  { id: 'rr100', label: 'request/response 64 B, 100 connections', unit: 'msg/s', bar: 0.9, load: (port) => ['rr', HOST, port, 100, 64, config.warmup, config.seconds] },
  { id: 'stream', label: 'streaming 64 KiB writes, 1 connection', unit: 'B/s', bar: 0.9, load: (port) => ['stream', HOST, port, 65536, config.warmup, config.seconds] },
  // `sockit load` as a second client, against the references and sockit only (it runs warm-up and measurement as one)
  {
    id: 'rr100-sl', part: 'client', client: 'sockit load', servers: ['c', 'node', 'sockit'], label: 'request/response 64 B, 100 connections (sockit load)', unit: 'msg/s',
    load: (port) => ['load', HOST, port, '-c', 100, '--size', 64, '-d', config.warmup + config.seconds, '--json'],
  },
  // WebSocket: one handshake per connection, then 64-byte text frames, each answered by its echo (bare ws is the reference)
  { id: 'ws-rr1', part: 'ws', proto: 'ws', ref: 'ws-bare', client: 'C load (WebSocket)', label: 'WebSocket request/response 64 B, 1 connection', unit: 'msg/s', load: (port) => ['wsrr', HOST, port, 1, 64, config.warmup, config.seconds] },
  { id: 'ws-rr100', part: 'ws', proto: 'ws', ref: 'ws-bare', client: 'C load (WebSocket)', label: 'WebSocket request/response 64 B, 100 connections', unit: 'msg/s', bar: 0.9, load: (port) => ['wsrr', HOST, port, 100, 64, config.warmup, config.seconds] },
  // relays: the same C client through each relay to the C echo server (a bare Node relay is the reference)
  { id: 'relay-rr1', part: 'relay', proto: 'relay', ref: 'relay-node', client: 'C load (relay)', label: 'relayed request/response 64 B, 1 connection', unit: 'msg/s', load: (port) => ['rr', HOST, port, 1, 64, config.warmup, config.seconds] },
  { id: 'relay-rr100', part: 'relay', proto: 'relay', ref: 'relay-node', client: 'C load (relay)', label: 'relayed request/response 64 B, 100 connections', unit: 'msg/s', bar: 0.8, load: (port) => ['rr', HOST, port, 100, 64, config.warmup, config.seconds] },
  { id: 'relay-bulk100', part: 'relay', proto: 'relay', ref: 'relay-node', client: 'C load (relay)', label: 'relayed request/response 16 KiB, 100 connections', unit: 'msg/s', bar: 0.8, load: (port) => ['rr', HOST, port, 100, 16384, config.warmup, config.seconds] },
  { id: 'relay-stream', part: 'relay', proto: 'relay', ref: 'relay-node', client: 'C load (relay)', label: 'relayed streaming 64 KiB writes, 1 connection', unit: 'B/s', bar: 0.8, load: (port) => ['stream', HOST, port, 65536, config.warmup, config.seconds] },
  {
    id: 'stream-sl', part: 'client', client: 'sockit load', servers: ['c', 'node', 'sockit'], label: 'streaming 64 KiB writes, 1 connection (sockit load)', unit: 'B/s',
    load: (port) => ['load', HOST, port, '-c', 1, '--size', 65536, '--mode', 'stream', '-d', config.warmup + config.seconds, '--json'],
  },
];

/** The echo server behind the relays, started before them; pinned with the client so that each relay has CPU 0 to itself. */
const RELAY_TARGET = { id: 'relay-target', label: 'C epoll echo behind the relays', cpu: 1, cmd: () => [path.join(BUILD, 'echo-epoll'), HOST, '0'], port: /^(\d+)$/m };
const relayTarget = { port: 0 };

/** Capturing every byte to a file keeps at least this share of --quiet throughput. */
const CAPTURE_BAR = 0.7;

const notes = [];
const started = Date.now();

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

async function main() {
  fs.mkdirSync(TMP, { recursive: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  if (!args['no-build']) build();
  const only = args.servers ? String(args.servers).split(',') : undefined;
  const servers = SERVERS.filter((s) => {
    if (only && !only.includes(s.id)) return false;
    if (s.face && !wanted('faces')) return false;
    const why = s.missing?.();
    if (why) note(`${s.label}: not measured: ${why}`);
    return !why;
  });
  if (servers.some((s) => s.id === 'sockit-bridge')) note('browser bridge row: the page (a WebSocket client that asks for binary batches, reads each as the browser page does and acknowledges it) runs in a process of its own, on the load client\'s CPU when pinned');
  const throughputScenarios = SCENARIOS.filter((s) => wanted(s.part ?? s.id) && (s.client !== 'sockit load' || sockitLoadWorks()));
  const runsPerRound = throughputScenarios.reduce((n, sc) => n + servers.filter((s) => measures(sc, s)).length, 0);
  const minutes = (runsPerRound * config.rounds * (config.warmup + config.seconds + 0.4)) / 60;
  log(`sockit benchmark: ${config.rounds} round(s) of ${runsPerRound} runs (${throughputScenarios.length} scenarios), ${config.seconds} s each after ${config.warmup} s warm-up (about ${minutes.toFixed(0)} min), then ${config.idleConnections} idle connections x ${config.idleRounds} round(s) of ${servers.filter((s) => s.idle).length} servers`);
  log(`servers pinned to CPU 0 and clients to CPU 1: ${PIN ? 'yes' : 'no'}; open files limit for children: ${FD_LIMIT}; load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const results = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    config: { ...config, only: config.only ? [...config.only] : undefined, pinned: PIN, fdLimit: FD_LIMIT, host: HOST },
    servers: Object.fromEntries(servers.map((s) => [s.id, s.label])),
    scenarios: {},
    idle: undefined,
    notes,
  };

  if (throughputScenarios.length) results.scenarios = await runThroughput(servers, throughputScenarios);
  if (wanted('idle')) results.idle = await runIdle(servers.filter((s) => s.idle));
  results.loadAverageAtEnd = os.loadavg();
  results.durationS = Math.round((Date.now() - started) / 1000);

  const table = formatTable(results);
  console.log('\n' + table);
  results.table = table;
  const day = results.date.slice(0, 10);
  const jsonPath = path.join(RESULTS, `${args.out ?? day}.json`);
  fs.writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
  const svg = renderChart(results);
  fs.writeFileSync(path.join(RESULTS, args.out ? `${args.out}.svg` : 'latest.svg'), svg);
  log(`wrote ${path.relative(ROOT, jsonPath)} and the chart; ${results.durationS} s in all`);
}

/** Builds sockit (TypeScript) and the C programs. */
function build() {
  log('building sockit (tsc) and the C programs (gcc -O2)');
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { encoding: 'utf8' });
  if (tsc.status !== 0) {
    // tsc still emits on type errors; a missing CLI is what makes the run impossible
    log(`tsc reported errors (continuing with what it emitted):\n${(tsc.stdout + tsc.stderr).split('\n').slice(0, 10).join('\n')}`);
  }
  if (!fs.existsSync(CLI)) throw new Error(`build failed: ${CLI} is missing`);
  for (const name of ['echo-epoll', 'load']) {
    const r = spawnSync('gcc', ['-O2', '-Wall', '-o', path.join(BUILD, name), path.join(ROOT, 'bench/c', `${name}.c`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc failed on bench/c/${name}.c:\n${r.stderr}`);
  }
}

/** Every scenario for every server, back to back, in rounds; medians of per-round rates and ratios. */
async function runThroughput(servers, scenarios) {
  const running = [];
  try {
    if (servers.some((s) => s.proto === 'relay' && scenarios.some((sc) => measures(sc, s)))) {
      const target = await startServer(RELAY_TARGET);
      running.push({ ...target, def: { ...RELAY_TARGET, proto: 'target' } });
      relayTarget.port = target.port;
    }
    for (const s of servers) if (scenarios.some((sc) => measures(sc, s))) running.push(await startServer(s));
    const runs = {};
    for (let round = 0; round < config.rounds; round++) {
      const order = round % 2 === 0 ? running : [...running].reverse();
      for (const sc of scenarios) {
        runs[sc.id] ??= {};
        for (const srv of order) {
          if (!measures(sc, srv.def)) continue;
          const r = await runLoad(sc, srv.port, (config.warmup + config.seconds) * 1000 + 15000, srv.pid, srv.def.unpinned);
          (runs[sc.id][srv.def.id] ??= []).push(r);
          if (srv.outPath) fs.truncateSync(srv.outPath, 0); // --json/log faces write a lot; the file is opened for appending
          // the capture goes on writing at its offset: what was written is freed (the file becomes sparse)
          if (srv.def.captureFile && fs.existsSync(srv.def.captureFile)) fs.truncateSync(srv.def.captureFile, 0);
          log(`round ${round + 1} ${sc.id.padEnd(6)} ${srv.def.id.padEnd(13)} ${r.ok ? fmtRate(r.rate, sc.unit) : `failed: ${r.error}`}${r.p99_ms !== undefined ? `  p99 ${r.p99_ms} ms` : ''}  cpu server ${r.server_cpu?.toFixed(2)} client ${r.client_cpu?.toFixed(2)}`);
        }
      }
    }
    return Object.fromEntries(scenarios.map((sc) => [sc.id, summarise(sc, runs[sc.id])]));
  } finally {
    for (const srv of running) await srv.stop();
  }
}

/** Whether a scenario measures a server: TCP scenarios TCP servers, WebSocket scenarios WebSocket ones, and `servers` narrows. */
function measures(sc, def) {
  if ((sc.proto ?? 'tcp') !== (def.proto ?? 'tcp')) return false;
  return !sc.servers || sc.servers.includes(def.id);
}

/** Per-round ratios against the references (paired in time), then medians. */
function summarise(sc, runsByServer) {
  const rounds = runsByServer[sc.ref ?? 'node']?.length ?? 0;
  const servers = {};
  for (const [id, runs] of Object.entries(runsByServer)) {
    const rates = runs.map((r) => (r.ok ? r.rate : NaN));
    const vs = (ref) =>
      median(Array.from({ length: rounds }, (_, i) => rates[i] / (runsByServer[ref]?.[i]?.ok ? runsByServer[ref][i].rate : NaN)));
    // unpinned rows are compared with the unpinned references where those were measured
    const peer = (ref) => (id.endsWith('-free') && runsByServer[`${ref}-free`] ? `${ref}-free` : ref);
    servers[id] = {
      median: median(rates),
      vsNode: vs(peer('node')),
      vsC: vs(peer('c')),
      vsQuiet: vs(peer('sockit')),
      ...(sc.ref ? { vsRef: vs(sc.ref) } : {}),
      p99ms: median(runs.map((r) => r.p99_ms ?? NaN)),
      serverCpu: median(runs.map((r) => r.server_cpu ?? NaN)),
      clientCpu: median(runs.map((r) => r.client_cpu ?? NaN)),
      rates,
      errors: runs.filter((r) => !r.ok).map((r) => r.error),
    };
  }
  return { label: sc.label, unit: sc.unit, bar: sc.bar, client: sc.client ?? 'C load', ref: sc.ref, servers };
}

/** Whether `sockit load` exists in this build (it is the second client). */
function sockitLoadWorks() {
  if (sockitLoadWorks.known === undefined) {
    sockitLoadWorks.known = spawnSync(process.execPath, [CLI, 'load', '--help'], { encoding: 'utf8' }).status === 0;
    if (!sockitLoadWorks.known && wanted('client')) note('sockit load as a client: not measured: the `sockit load` command is not in this build');
  }
  return sockitLoadWorks.known;
}

/** N idle connections held by each server, each answered once; RSS from /proc/<pid>/status at that point. */
async function runIdle(servers) {
  const n = config.idleConnections;
  if (FD_LIMIT < n + 100) note(`idle: the open files limit (${FD_LIMIT}) is below ${n + 100}; connections beyond it will fail`);
  const runs = {};
  for (let round = 0; round < config.idleRounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const def of order) {
      const srv = await startServer(def);
      try {
        await sleep(300);
        const baseKb = rssKb(srv.pid);
        const r = await runIdleLoad(srv, n);
        (runs[def.id] ??= []).push({ ...r, baseRssKb: baseKb });
        log(`idle round ${round + 1} ${def.id.padEnd(11)} ${r.answered ?? 0}/${n} answered, connect ${r.connect_s ?? '?'} s, answer ${r.answer_s ?? '?'} s, RSS ${mb(r.rssKb)} (idle server ${mb(baseKb)})${r.error ? `  ${r.error}` : ''}`);
      } finally {
        await srv.stop();
      }
    }
  }
  const out = { connections: n, servers: {} };
  const rounds = runs.node?.length ?? 0;
  for (const [id, rs] of Object.entries(runs)) {
    out.servers[id] = {
      rssMB: median(rs.map((r) => r.rssKb / 1024)),
      baseRssMB: median(rs.map((r) => r.baseRssKb / 1024)),
      answered: Math.min(...rs.map((r) => r.answered ?? 0)),
      answerS: median(rs.map((r) => (r.connect_s ?? NaN) + (r.answer_s ?? NaN))),
      vsNode: median(Array.from({ length: rounds }, (_, i) => rs[i].rssKb / runs.node[i].rssKb)),
      runs: rs,
    };
  }
  return out;
}

/** Runs the C client in idle mode; reads the server's RSS once every connection has been answered, then lets the client go. */
function runIdleLoad(srv, n) {
  return new Promise((resolve) => {
    const child = spawnPinned(1, [LOAD, 'idle', HOST, String(srv.port), String(n), String(config.idleTimeout), '30'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let result;
    const timer = setTimeout(() => child.kill('SIGKILL'), (config.idleTimeout + 40) * 1000);
    child.stdout.on('data', async (b) => {
      out += b;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && !result) {
        result = JSON.parse(line);
        await sleep(500); // let the server finish what the last answers started
        result.rssKb = rssKb(srv.pid);
        child.stdin.end();
      }
    });
    child.stderr.on('data', (b) => (err += b));
    child.on('close', () => {
      clearTimeout(timer);
      resolve(result ?? { error: `client failed: ${err.trim() || 'no result'}`, rssKb: NaN });
    });
  });
}

/** Starts a server with its output in a file; resolves once it accepts connections. */
async function startServer(def) {
  const outPath = path.join(TMP, `${def.id}.out`);
  fs.writeFileSync(outPath, '');
  const outFd = fs.openSync(outPath, 'a');
  const fixed = def.fixedPort ? await freePort() : undefined;
  // the bridge's page runs beside the load client, as a browser would beside its own work
  const env = def.id === 'sockit-bridge' && PIN ? { SOCKIT_BENCH_PAGE_CPU: '1' } : {};
  const child = spawnPinned(def.unpinned ? undefined : (def.cpu ?? 0), def.cmd(fixed), { stdio: ['ignore', outFd, outFd], env });
  fs.closeSync(outFd);
  const exited = new Promise((r) => child.on('exit', r));
  const fail = (what) => {
    child.kill('SIGKILL');
    throw new Error(`${def.label} ${what}:\n${fs.readFileSync(outPath, 'utf8')}`);
  };
  let port = fixed;
  const deadline = Date.now() + 15000;
  while (port === undefined) {
    const m = def.port.exec(fs.readFileSync(outPath, 'utf8'));
    if (m) port = Number(m[1]);
    else if (child.exitCode !== null || Date.now() > deadline) fail('did not start');
    else await sleep(50);
  }
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) fail('does not accept connections');
    await sleep(50);
  }
  return {
    def, port, pid: child.pid, outPath,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/** Runs the scenario's client once; its last JSON line is the result, with the server's CPU use (cores) after the warm-up. */
function runLoad(sc, port, timeoutMs, serverPid, unpinned = false) {
  return new Promise((resolve) => {
    const cmd = sc.client === 'sockit load' ? [process.execPath, CLI, ...sc.load(port)] : [LOAD, ...sc.load(port)];
    const child = spawnPinned(unpinned ? undefined : 1, cmd.map(String), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let cpuMark;
    const warm = setTimeout(() => (cpuMark = [cpuSeconds(serverPid), performance.now()]), config.warmup * 1000 + 50);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(warm);
      const serverCpu = cpuMark ? (cpuSeconds(serverPid) - cpuMark[0]) / ((performance.now() - cpuMark[1]) / 1000) : NaN;
      const line = out.trim().split('\n').pop();
      try {
        const r = { ...fromSockitLoad(JSON.parse(line)), server_cpu: serverCpu };
        resolve({ ...r, ok: r.rate > 0 && (code === 0 || r.errors === 0), error: code === 0 ? undefined : `exit ${code}: ${err.trim()}` });
      } catch {
        resolve({ ok: false, error: `exit ${code}: ${err.trim() || out.trim() || 'no output'}` });
      }
    });
  });
}

/** `sockit load --json` reports in the C client's terms. */
function fromSockitLoad(r) {
  if (r.event !== 'load') return r;
  const seconds = r.elapsedMs / 1000;
  const errors = r.failed + r.dropped + Object.values(r.errors ?? {}).reduce((a, b) => a + b, 0);
  return r.mode === 'stream'
    ? { rate: r.bytesIn / seconds, seconds, errors }
    : { rate: r.messagesReceived / seconds, seconds, p50_ms: r.latency?.p50, p99_ms: r.latency?.p99, errors };
}

/** Spawns with the open files limit raised and, when possible and a CPU is given, pinned to it. */
function spawnPinned(cpu, cmd, options) {
  const pin = PIN && cpu !== undefined ? `taskset -c ${cpu} ` : '';
  return spawn('bash', ['-c', `ulimit -n ${FD_LIMIT} 2>/dev/null; exec ${pin}"$@"`, 'bash', ...cmd], { ...options, env: { ...process.env, NO_COLOR: '1', ...options.env } });
}

/** The highest open files limit children can get (65536 wanted; a container may cap it lower). */
function fdLimit() {
  const r = spawnSync('bash', ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) ? n : 1024;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, HOST);
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function machineInfo() {
  const version = (cmd, a) => {
    const r = spawnSync(cmd, a, { encoding: 'utf8' });
    return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0].trim() : undefined;
  };
  return {
    cpu: os.cpus()[0]?.model, cpus: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(),
    node: process.version, python: version('python3', ['--version']), gcc: version('gcc', ['--version']), socat: version('socat', ['-V'])?.replace(/^socat by.*$/, '') || version('socat', ['-V']),
    loadAverageAtStart: os.loadavg(),
  };
}

/** The one table: each scenario's rates and ratios against bare Node and C (per client), then the idle connections. */
function formatTable(results) {
  const lines = [];
  const ids = Object.keys(results.servers);
  // the longest server's name and a space, so every row's figures line up under their heads
  const W = Math.max(38, ...ids.map((id) => results.servers[id].length + 1));
  const all = Object.entries(results.scenarios);
  for (const client of [...new Set(all.map(([, s]) => s.client))]) {
    const scs = all.filter(([, s]) => s.client === client);
    if (lines.length) lines.push('');
    const ref = scs[0][1].ref;
    if (ref) {
      formatRefBlock(lines, results, scs, ref, W);
      continue;
    }
    lines.push(`TCP echo on ${HOST}, load from ${client === 'C load' ? 'the C client' : client}: median of ${config.rounds} round(s) of ${config.seconds} s after ${config.warmup} s warm-up; ratios paired per round`);
    lines.push('server'.padEnd(W) + scs.map(([, s]) => shortLabel(s).padStart(30)).join(''));
    lines.push(''.padEnd(W) + scs.map(([, s]) => `${s.unit === 'B/s' ? 'MB/s' : 'msg/s'}   ×node     ×C`.padStart(30)).join(''));
    for (const id of ids) {
      if (!scs.some(([, s]) => s.servers[id])) continue;
      const cells = scs.map(([, s]) => {
        const v = s.servers[id];
        if (!v) return '-'.padStart(30);
        if (!Number.isFinite(v.median)) return 'failed'.padStart(30);
        const rate = s.unit === 'B/s' ? (v.median / 1e6).toFixed(0) : Math.round(v.median).toString();
        return `${rate.padStart(9)} ${pct(v.vsNode).padStart(8)} ${pct(v.vsC).padStart(6)}`.padStart(30);
      });
      lines.push(results.servers[id].padEnd(W) + cells.join(''));
    }
    for (const [, s] of scs) {
      const v = s.servers.sockit;
      if (s.bar && v) lines.push(`bar: ${s.label}: sockit ≥ ${pct(s.bar)} of bare Node → ${pct(v.vsNode)} ${v.vsNode >= s.bar ? 'reached' : 'NOT reached'}`);
      const cap = s.servers['sockit-capture'];
      if (cap && v) lines.push(`bar: ${s.label}: --capture to a file ≥ ${pct(CAPTURE_BAR)} of --quiet → ${pct(cap.vsQuiet)} ${cap.vsQuiet >= CAPTURE_BAR ? 'reached' : 'NOT reached'}`);
    }
  }
  if (results.idle) {
    const idle = results.idle;
    lines.push('');
    lines.push(`${idle.connections} idle connections, each answered once (median of ${config.idleRounds} round(s))`);
    lines.push(`${'server'.padEnd(38)}${'answered'.padStart(10)}${'time s'.padStart(9)}${'RSS MB'.padStart(9)}${'×node'.padStart(8)}${'idle MB'.padStart(9)}`);
    for (const [id, v] of Object.entries(idle.servers)) {
      lines.push(`${results.servers[id].padEnd(38)}${String(v.answered).padStart(10)}${v.answerS.toFixed(1).padStart(9)}${v.rssMB.toFixed(1).padStart(9)}${v.vsNode.toFixed(2).padStart(8)}${v.baseRssMB.toFixed(1).padStart(9)}`);
    }
    const s = idle.servers.sockit;
    if (s) lines.push(`bar: ${idle.connections} idle connections: all answered and RSS ≤ 1.25× bare Node → ${s.answered}/${idle.connections}, ${s.vsNode.toFixed(2)}× ${s.answered === idle.connections && s.vsNode <= 1.25 ? 'reached' : 'NOT reached'}`);
  }
  if (notes.length) {
    lines.push('');
    for (const n of notes) lines.push(`note: ${n}`);
  }
  return lines.join('\n');
}

/** A block of scenarios measured against their own reference server (WebSocket: the bare ws echo). */
function formatRefBlock(lines, results, scs, ref, W) {
  const relay = ref === 'relay-node';
  const what = relay
    ? `TCP relays to a C echo server on ${HOST}, load from the C client through the relay (relay on CPU 0, client and echo server on CPU 1)`
    : `WebSocket echo on ${HOST}, load from the C client (handshake, then masked text frames)`;
  lines.push(`${what}: median of ${config.rounds} round(s) of ${config.seconds} s after ${config.warmup} s warm-up; ratios paired per round`);
  lines.push('server'.padEnd(W) + scs.map(([, s]) => shortLabel(s).padStart(24)).join(''));
  lines.push(''.padEnd(W) + scs.map(([, s]) => `${s.unit === 'B/s' ? 'MB/s' : 'msg/s'}   ${relay ? '×relay' : '×ws'}`.padStart(24)).join(''));
  for (const id of Object.keys(results.servers)) {
    if (!scs.some(([, s]) => s.servers[id])) continue;
    const cells = scs.map(([, s]) => {
      const v = s.servers[id];
      if (!v) return '-'.padStart(24);
      if (!Number.isFinite(v.median)) return 'failed'.padStart(24);
      const rate = s.unit === 'B/s' ? (v.median / 1e6).toFixed(0) : Math.round(v.median).toString();
      return `${rate.padStart(9)} ${pct(v.vsRef).padStart(8)}`.padStart(24);
    });
    lines.push(results.servers[id].padEnd(W) + cells.join(''));
  }
  for (const [, s] of scs) {
    const v = s.servers[relay ? 'sockit-proxy' : 'sockit-ws'];
    if (s.bar && v) lines.push(`bar: ${s.label}: sockit ≥ ${pct(s.bar)} of the bare ${relay ? 'Node relay' : 'ws server'} → ${pct(v.vsRef)} ${v.vsRef >= s.bar ? 'reached' : 'NOT reached'}`);
  }
  void ref;
}

function shortLabel(s) {
  return s.label.replace('WebSocket ', 'WS ').replace('relayed ', '').replace('request/response', 'req/resp').replace(', 1 connection', ' ×1').replace(', 100 connections', ' ×100').replace(' writes', '').replace(' (sockit load)', '');
}

function pct(x) {
  return Number.isFinite(x) ? `${Math.round(x * 100)}%` : '-';
}

function mb(kb) {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : '?';
}

function fmtRate(rate, unit) {
  return unit === 'B/s' ? `${(rate / 1e6).toFixed(0)} MB/s` : `${Math.round(rate)} msg/s`;
}

function median(xs) {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function note(text) {
  notes.push(text);
  log(`note: ${text}`);
}

function log(text) {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${text}\n`);
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

function parseArgs(argv) {
  const out = {};
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) out[m[1]] = m[2] ?? true;
  }
  return out;
}

function num(v, dflt) {
  return v === undefined ? dflt : Number(v);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
