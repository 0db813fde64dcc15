// `sockit load`: the TCP load generator's CLI face: live progress on stderr, a final table or JSON on stdout.
import { isIP } from 'node:net';
import { Command } from 'commander';
import { runLoad, LOAD_LIMITS, type LoadReport, type LoadProgress, type LoadRun } from '../../load/load.js';
import type { LocustWorkerEvent } from '../../load/locust-worker.js';
import { parseEndpoint, parseHost, parseInteger, parsePort, parseSize } from '../../wire/endpoint.js';
import { resolveHost } from '../../net/resolve.js';
import { unescapeText } from '../../wire/template.js';
import { UsageError } from '../../errors.js';
import { formatEndpoint } from '../../wire/endpoint.js';
import { msOption, secondsOption } from '../common.js';
import { onStopSignal } from '../signals.js';
import { ProgressBar } from '../progress.js';
import { LineWriter, makePalette, colorWanted } from '../output.js';
import type { CommandResult } from '../main.js';

/** Registers `load`. */
export function registerLoad(program: Command, run: (fn: () => Promise<CommandResult>) => Promise<void>): void {
  program
    .command('load')
    .description('TCP load generator: connections, message size, rate, duration; messages/s, MB/s and latency percentiles')
    .argument('<host>', 'server host name or address')
    .argument('<port>', 'server port')
    .option('-c, --connections <n>', 'connections to open', '10')
    .option('--size <bytes>', 'bytes per message (letters ending in a newline)', '64')
    .option('--data <text>', 'send this message instead (\\n \\r \\t \\xHH escapes); its length sets the size')
    .option('-r, --rate <n>', 'messages per second per connection (0: as fast as the server allows)', '0')
    .option('-d, --duration <s>', 'how long to run, in seconds; it always stops by itself', '10')
    .option('--mode <mode>', 'request: wait for the answer to each message (latency); stream: keep writing', 'request')
    .option('--expect <bytes>', 'request mode: bytes that make one answer (default: the message size, as an echo)')
    .option('--connect-timeout <ms>', 'a connection not established in this long fails', '5000')
    .option('--answer-timeout <ms>', 'request mode: a request unanswered this long fails and its connection closes (--locust: and reopens)')
    .option('--json', 'the report as one JSON object on stdout')
    .option('--no-color', 'no colours, even on a terminal')
    .option('--locust <master>', 'be a worker of this Locust master (host[:port], port 5557 by default): it sets users and duration')
    .option('--reconnect', 'with --locust: when the master goes away, stop and wait for it to come back')
    .action((host: string, port: string, opts: Record<string, unknown>, cmd: Command) =>
      run(() => (opts.locust === undefined ? load(host, port, opts) : locustWorker(host, port, opts, cmd))));
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ms = (n: number) => `${n < 10 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(1)} ms`;

/** The options that say what each connection does, shared by a run of its own and a Locust worker. */
function messageOptions(opts: Record<string, unknown>) {
  const payload = opts.data === undefined ? undefined : unescapeText(String(opts.data), 'utf8', '--data');
  if (payload && payload.length === 0) throw new UsageError('--data must not be empty');
  const sizeBytes = payload ? payload.length : parseSize(String(opts.size), '--size', 1, LOAD_LIMITS.sizeBytes);
  const rate = Number(opts.rate);
  if (!/^\d+(\.\d+)?$/.test(String(opts.rate)) || rate > LOAD_LIMITS.ratePerConnection) {
    throw new UsageError(`--rate must be a number of messages per second from 0 (unlimited) to ${LOAD_LIMITS.ratePerConnection}, got '${opts.rate}'`);
  }
  const mode = String(opts.mode);
  if (mode !== 'request' && mode !== 'stream') throw new UsageError(`--mode must be request or stream, got '${mode}'`);
  const expectBytes = opts.expect === undefined ? undefined : parseSize(String(opts.expect), '--expect', 1, LOAD_LIMITS.sizeBytes);
  const connectTimeoutMs = msOption(opts.connectTimeout, '--connect-timeout', 1)!;
  const answerTimeoutMs = msOption(opts.answerTimeout, '--answer-timeout', 1);
  return { sizeBytes, payload, ratePerConnection: rate, mode: mode as 'request' | 'stream', expectBytes, connectTimeoutMs, answerTimeoutMs };
}

async function load(hostArg: string, portArg: string, opts: Record<string, unknown>): Promise<CommandResult> {
  const host = parseHost(hostArg);
  const port = parsePort(portArg, 'port', { allowZero: false });
  const connections = parseInteger(String(opts.connections), '--connections', 1, LOAD_LIMITS.connections);
  const durationMs = secondsOption(opts.duration, '--duration')!;
  if (durationMs > LOAD_LIMITS.durationMs) throw new UsageError(`--duration must be at most ${LOAD_LIMITS.durationMs / 1000} seconds, got '${opts.duration}'`);
  const message = messageOptions(opts);
  const { address } = await resolveHost(host, port);
  const run = runLoad({ host: address, port, connections, durationMs, ...message });
  const unregister = onStopSignal(() => run.stop());
  const stopProgress = showProgress(run, durationMs, connections, opts);
  const report = await run.done;
  stopProgress();
  unregister();

  printReport(report, host, port, opts);
  if (report.error) throw report.error;
  return 0;
}

function printReport(report: LoadReport, host: string, port: number, opts: Record<string, unknown>): void {
  const out = new LineWriter(process.stdout);
  if (opts.json) {
    const { error, ...rest } = report;
    out.line(JSON.stringify({ event: 'load', ts: new Date().toISOString(), host, ...rest, ...(error ? { error: { code: error.code, message: error.message } } : {}) }));
  } else {
    renderReport(out, report, formatEndpoint(host, port), opts);
  }
  out.flush();
}

/** `--locust`: join a Locust master and run its users until it says quit; what happens goes to stderr, the last run's report to stdout. */
async function locustWorker(hostArg: string, portArg: string, opts: Record<string, unknown>, cmd: Command): Promise<CommandResult> {
  for (const [name, flag] of [['connections', '--connections'], ['duration', '--duration']] as const) {
    if (cmd.getOptionValueSource(name) === 'cli') throw new UsageError(`${flag} is the Locust master's to decide (its user count and run time); leave it out with --locust`);
  }
  const host = parseHost(hostArg);
  const port = parsePort(portArg, 'port', { allowZero: false });
  const master = String(opts.locust);
  // host alone (an IPv6 address too) means Locust's own port
  const alone = !master.includes(':') || isIP(master) === 6 || (master.startsWith('[') && master.endsWith(']'));
  const { host: masterHost, port: masterPort } = alone ? { host: parseHost(master, '--locust'), port: 5557 } : parseEndpoint(master, '--locust');
  const message = messageOptions(opts);
  const [{ address }, { address: masterAddress }] = await Promise.all([resolveHost(host, port), resolveHost(masterHost, masterPort)]);
  // loaded only for --locust, so every other command starts as fast as before
  const { joinLocust } = await import('../../load/locust-worker.js');
  const worker = await joinLocust({ masterHost: masterAddress, masterPort, load: { host: address, port, ...message }, reconnect: Boolean(opts.reconnect) });
  const say = (text: string) => process.stderr.write(`locust: ${text}\n`);
  worker.on('event', (e: LocustWorkerEvent) => {
    if (e.event === 'joining') say(`joining the master at ${formatEndpoint(masterHost, masterPort)} as ${e.workerId}`);
    else if (e.event === 'joined') say(`joined the master as worker ${e.index}; each user is a connection to ${formatEndpoint(host, port)}`);
    else if (e.event === 'spawn') say(`${e.users} user${e.users === 1 ? '' : 's'}`);
    else if (e.event === 'report') say(`${e.active}/${e.users} conns  ${int(e.requestsPerSec)} req/s  ${e.failures} failures${e.latency?.count ? `  p50 ${ms(e.latency.p50)}  p99 ${ms(e.latency.p99)}` : ''}`);
    else if (e.event === 'stop') say(`stopped after ${(e.report.durationMs / 1000).toFixed(1)} s: ${int(e.report.messagesReceived || e.report.messagesSent)} messages, ${e.report.failed + e.report.dropped} failed connections`);
    else if (e.event === 'lost') say(`the master went away${e.waiting ? '; waiting for it to come back' : ''}`);
    else if (e.event === 'quit') say('the master said quit');
  });
  const unregister = onStopSignal(() => worker.stop());
  const result = await worker.done;
  unregister();
  if (result.report) printReport(result.report, host, port, opts);
  if (result.error) throw result.error;
  return 0;
}

/** Live figures on stderr: a bar on a terminal, a line a second otherwise. */
function showProgress(run: LoadRun, durationMs: number, connections: number, opts: Record<string, unknown>): () => void {
  let last: LoadProgress = run.progress();
  let lastRate = 0;
  let lastMb = 0;
  const status = (p: LoadProgress) => {
    const lat = run.latency();
    return `${p.active}/${connections} conns  ${int(lastRate)} msg/s  ${fixed(lastMb, 2)} MB/s${lat && lat.count ? `  p50 ${ms(lat.p50)}  p99 ${ms(lat.p99)}` : ''}`;
  };
  const sample = () => {
    const p = run.progress();
    const secs = Math.max(0.001, (p.elapsedMs - last.elapsedMs) / 1000);
    const messages = opts.mode === 'stream' ? p.messagesSent - last.messagesSent : p.messagesReceived - last.messagesReceived;
    lastRate = messages / secs;
    lastMb = (p.bytesOut - last.bytesOut) / 1e6 / secs;
    last = p;
    return p;
  };
  const bar = new ProgressBar('load', durationMs / 1000, process.stderr, { amount: (s) => `${s.toFixed(0)} s`, rate: false, status: () => status(last) });
  if (bar.live) {
    const timer = setInterval(() => {
      sample();
      bar.set(last.elapsedMs / 1000);
    }, 500);
    return () => {
      clearInterval(timer);
      bar.finish();
    };
  }
  const timer = setInterval(() => {
    const p = sample();
    process.stderr.write(`load: ${(p.elapsedMs / 1000).toFixed(0)} s  ${status(p)}\n`);
  }, 1000);
  return () => clearInterval(timer);
}

function renderReport(out: LineWriter, r: LoadReport, target: string, opts: Record<string, unknown>): void {
  const c = makePalette(colorWanted(process.stdout, opts.color as boolean | undefined));
  const shape = r.mode === 'request' ? `request/response, ${r.sizeBytes} B messages, ${r.expectBytes} B answers` : `streaming ${r.sizeBytes} B messages`;
  const rate = r.ratePerConnection ? `${fixed(r.ratePerConnection, 0)} msg/s per connection` : 'unlimited rate';
  out.line(c.bold(`load on ${target}: ${shape}, ${r.connections} connection${r.connections === 1 ? '' : 's'}, ${rate}, ${(r.durationMs / 1000).toFixed(1)} s`));
  const row = (label: string, text: string) => out.line(`  ${label.padEnd(12)}${text}`);
  const failed = r.failed ? c.err(`${r.failed} failed`) : '0 failed';
  const pending = r.pending ? `, ${c.err(`${r.pending} still connecting`)}` : '';
  row('connections', `${r.established} established, ${failed}${pending}${r.dropped ? `, ${c.err(`${r.dropped} closed by the server`)}` : ''}`);
  if (r.mode === 'request') row('messages', `${int(r.messagesSent)} sent, ${int(r.messagesReceived)} answered, ${c.bold(`${int(r.messagesPerSec)} msg/s`)}`);
  else row('messages', `${int(r.messagesSent)} sent, ${c.bold(`${int(r.messagesPerSec)} msg/s`)}`);
  row('throughput', `${fixed(r.mbPerSecOut, 2)} MB/s out, ${fixed(r.mbPerSecIn, 2)} MB/s in`);
  if (r.latency && r.latency.count) {
    const l = r.latency;
    row('latency', `p50 ${ms(l.p50)}   p90 ${ms(l.p90)}   p99 ${ms(l.p99)}   max ${ms(l.max)}   (mean ${ms(l.mean)})`);
  }
  const errors = Object.entries(r.errors);
  if (errors.length) row('errors', c.err(errors.map(([code, n]) => `${n} ${code}`).join(', ')));
}
