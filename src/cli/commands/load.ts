// `sockit load`: the TCP load generator's CLI face: live progress on stderr, a final table or JSON on stdout.
import { isIP } from 'node:net';
import { Command } from 'commander';
import { checkLoadOptions, runLoad, type CheckedLoadOptions, type LoadReport, type LoadProgress, type LoadRun } from '../../load/load.js';
import type { LocustWorkerEvent } from '../../load/locust-worker.js';
import { formatEndpoint, parseEndpoint, parseHost, parseTarget } from '../../wire/endpoint.js';
import { resolveHost } from '../../net/resolve.js';
import { unescapeText } from '../../wire/template.js';
import { UsageError } from '../../errors.js';
import { addOutputOptions, Output, RawOptions, readOutputOptions, type CommandResult, type FieldFlags, type OutputOptions, type Runner } from '../command.js';
import { declared, subcommand } from '../declare.js';
import { onStopSignal } from '../signals.js';
import { ProgressBar } from '../progress.js';

/** The load generator's options as `load` spells them. */
const LOAD_FLAGS: FieldFlags = {
  connections: '--connections', sizeBytes: '--size', payload: '--data', ratePerConnection: '--rate', durationMs: '--duration',
  mode: '--mode', expectBytes: '--expect', connectTimeoutMs: '--connect-timeout', answerTimeoutMs: '--answer-timeout',
};

/** Registers `load`. */
export function registerLoad(program: Command, run: Runner): void {
  const cmd = subcommand(program, 'load', 'TCP load generator: connections, message size, rate, duration; messages/s, MB/s and latency percentiles', ['<host>', 'server host name or address'], ['[port]', 'server port (or give host:port)'])
    .option('-c, --connections <n>', 'connections to open', '10')
    .option('--size <bytes>', 'bytes per message (letters ending in a newline)', '64')
    .option('--data <text>', 'send this message instead (\\n \\r \\t \\xHH escapes); its length sets the size')
    .option('-r, --rate <n>', 'messages per second per connection (0: as fast as the server allows)', '0')
    .option('-d, --duration <s>', 'how long to run, in seconds; it always stops by itself', '10')
    .option('--mode <mode>', 'request: wait for the answer to each message (latency); stream: keep writing', 'request')
    .option('--expect <bytes>', 'request mode: bytes that make one answer (default: the message size, as an echo)')
    .option('--connect-timeout <ms>', 'a connection not established in this long fails', '5000')
    .option('--answer-timeout <ms>', 'request mode: a request unanswered this long fails and its connection closes (--locust: and reopens)');
  addOutputOptions(cmd, 'the report as one JSON object on stdout')
    .option('--locust <master>', 'be a worker of this Locust master (host[:port], port 5557 by default): it sets users and duration')
    .option('--reconnect', 'with --locust: when the master goes away, stop and wait for it to come back');
  declared(cmd, [
    'sockit load 127.0.0.1 9000 -c 100 -d 10',
    'sockit load 127.0.0.1:9000 -c 1 --mode stream --size 64k',
    "sockit load 127.0.0.1 9999 --data 'Bob\\n' --expect 11",
  ], (host: string, port: string | undefined, raw: RawOptions) =>
    run(() => {
      const o = readLoadOptions(host, port, raw, cmd);
      return o.locust ? locustWorker(o, o.locust) : load(o);
    }, LOAD_FLAGS),
  );
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ms = (n: number) => `${n < 10 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(1)} ms`;

/** `load`'s options, typed: the run's, checked by the load generator, with the host as given. */
interface LoadCommandOptions {
  load: CheckedLoadOptions;
  output: OutputOptions;
  /** `--locust`: the master to work for, and whether to wait for it when it goes away. */
  locust?: { host: string; port: number; reconnect: boolean };
}

function readLoadOptions(hostArg: string, portArg: string | undefined, raw: RawOptions, cmd: Command): LoadCommandOptions {
  const master = raw.text('locust');
  if (master !== undefined) {
    for (const [name, flag] of [['connections', '--connections'], ['duration', '--duration']] as const) {
      if (cmd.getOptionValueSource(name) === 'cli') throw new UsageError(`${flag} is the Locust master's to decide (its user count and run time); leave it out with --locust`);
    }
  }
  const { host, port } = parseTarget(hostArg, portArg);
  const data = raw.text('data');
  const load = checkLoadOptions(
    {
      host, port,
      connections: raw.text('connections'),
      durationMs: master === undefined ? raw.seconds('duration', '--duration') : undefined,
      payload: data === undefined ? undefined : unescapeText(data, 'utf8', '--data'),
      sizeBytes: raw.text('size'),
      ratePerConnection: raw.text('rate'),
      mode: raw.text('mode'),
      expectBytes: raw.text('expect'),
      connectTimeoutMs: raw.text('connectTimeout'),
      answerTimeoutMs: raw.text('answerTimeout'),
    },
    master !== undefined,
  );
  return { load, output: readOutputOptions(raw), locust: master === undefined ? undefined : { ...parseMaster(master), reconnect: raw.flag('reconnect') } };
}

/** `--locust host[:port]`: a host alone (an IPv6 address too) means Locust's own port. */
function parseMaster(master: string): { host: string; port: number } {
  const alone = !master.includes(':') || isIP(master) === 6 || (master.startsWith('[') && master.endsWith(']'));
  return alone ? { host: parseHost(master, '--locust'), port: 5557 } : parseEndpoint(master, '--locust');
}

async function load(o: LoadCommandOptions): Promise<CommandResult> {
  const { host, port, connections, durationMs, mode } = o.load;
  const { address } = await resolveHost(host, port);
  const run = runLoad({ ...o.load, host: address });
  const unregister = onStopSignal(() => run.stop());
  const stopProgress = showProgress(run, durationMs, connections, mode);
  const report = await run.done;
  stopProgress();
  unregister();

  printReport(report, host, port, o.output);
  if (report.error) throw report.error;
  return 0;
}

function printReport(report: LoadReport, host: string, port: number, options: OutputOptions): void {
  const output = new Output(options);
  if (output.json) {
    const { error, ...rest } = report;
    output.event('load', { host, ...rest, ...(error ? { error: { code: error.code, message: error.message } } : {}) });
  } else {
    renderReport(output, report, formatEndpoint(host, port));
  }
  output.out.flush();
}

/** `--locust`: join a Locust master and run its users until it says quit; what happens goes to stderr, the last run's report to stdout. */
async function locustWorker(o: LoadCommandOptions, master: { host: string; port: number; reconnect: boolean }): Promise<CommandResult> {
  // the master decides how many users and for how long
  const { host, port, connections: _connections, durationMs: _durationMs, ...message } = o.load;
  const [{ address }, { address: masterAddress }] = await Promise.all([resolveHost(host, port), resolveHost(master.host, master.port)]);
  // loaded only for --locust, so every other command starts as fast as before
  const { joinLocust } = await import('../../load/locust-worker.js');
  const worker = await joinLocust({ masterHost: masterAddress, masterPort: master.port, load: { ...message, host: address, port }, reconnect: master.reconnect });
  const say = (text: string) => process.stderr.write(`locust: ${text}\n`);
  worker.on('event', (e: LocustWorkerEvent) => {
    if (e.event === 'joining') say(`joining the master at ${formatEndpoint(master.host, master.port)} as ${e.workerId}`);
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
  if (result.report) printReport(result.report, host, port, o.output);
  if (result.error) throw result.error;
  return 0;
}

/** Live figures on stderr: a bar on a terminal, a line a second otherwise. */
function showProgress(run: LoadRun, durationMs: number, connections: number, mode: 'request' | 'stream'): () => void {
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
    const messages = mode === 'stream' ? p.messagesSent - last.messagesSent : p.messagesReceived - last.messagesReceived;
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

function renderReport(output: Output, r: LoadReport, target: string): void {
  const { out, c } = output;
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
