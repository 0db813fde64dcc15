// `sockit port check|free|scan|ping`: who holds a port, free ports for scripts, a TCP connect scan and tcping.
import { Command } from 'commander';
import { checkPort, findFreePorts, parsePortRange, type PortCheck, type PortCheckOptions } from '../../ports/check.js';
import { checkScanPace, parsePortList, scanPorts, type ProbeResult } from '../../ports/scan.js';
import { checkPingTiming, pingTcp, type PingProbe } from '../../ports/tcping.js';
import { formatEndpoint, parseHost, parsePort, parseTarget } from '../../wire/endpoint.js';
import { resolveHost } from '../../net/resolve.js';
import { ConnectError, SockitError } from '../../errors.js';
import { addOutputOptions, Output, RawOptions, readOutputOptions, type CommandResult, type FieldFlags, type OutputOptions, type Runner } from '../command.js';
import { withExamples } from '../help.js';
import { declared, subcommand } from '../declare.js';
import { onStopSignal } from '../signals.js';
import { ProgressBar } from '../progress.js';
import type { LineWriter, Palette } from '../output.js';

/** The port tools' options as the `port` commands spell them. */
const PORT_FLAGS: FieldFlags = { range: '--range', count: '--count', concurrency: '--concurrency', timeoutMs: '--timeout', intervalMs: '--interval' };

/** Registers `port check`, `port free`, `port scan` and `port ping`. */
export function registerPort(program: Command, run: Runner): void {
  const port = program.command('port').description('port utilities: who holds a port, free ports, connect scan, tcping');
  withExamples(port, ['sockit port check 8000', 'sockit port free --count 3', 'sockit port ping 127.0.0.1 8000 -c 5']);

  const check = subcommand(port, 'check', 'is a local port free? If not, which process holds it, and the states of the connections on it (exit 0 free, 1 in use)', ['<port>', 'port number'])
    .option('-H, --host <host>', 'address to test binding on (default: all interfaces)')
    .option('--udp', 'check the UDP port instead of TCP');
  addOutputOptions(check, 'one JSON object on stdout, for scripts');
  declared(check, [
    'sockit port check 8000',
    'sockit port check 5353 --udp',
  ], (p: string, raw: RawOptions) => run(() => portCheck(readCheckOptions(p, raw))));

  const free = subcommand(port, 'free', 'print free ports, one a line, for scripts')
    .option('--range <from-to>', 'where to look', '20000-30000')
    .option('-n, --count <n>', 'how many', '1')
    .option('-H, --host <host>', 'address they must be free on (default: all interfaces)')
    .option('--udp', 'free for UDP instead of TCP');
  addOutputOptions(free, 'one JSON object on stdout', { color: false });
  declared(free, [
    'sockit port free',
    'sockit port free --count 3 --range 20000-30000',
  ], (raw: RawOptions) => run(() => portFree(readFreeOptions(raw)), PORT_FLAGS));

  const scan = subcommand(port, 'scan', 'TCP connect scan: open, closed or filtered for each port (progress on stderr)', ['<host>', 'host name or address to scan'], ['<ports>', 'ports and ranges, as 22,80,8000-8100'])
    .option('--concurrency <n>', 'connects in flight at once', '100')
    .option('--timeout <ms>', 'a port that does not answer in this long is filtered', '1000')
    .option('--all', 'list closed ports too (they are listed anyway when 25 ports or fewer are scanned)');
  addOutputOptions(scan, 'one JSON object per port, then a summary, on stdout');
  declared(scan, [
    'sockit port scan 127.0.0.1 22,80,8000-8100',
    'sockit port scan 127.0.0.1 1-1024 --timeout 500',
  ], (host: string, ports: string, raw: RawOptions) => run(() => portScan(readScanOptions(host, ports, raw)), PORT_FLAGS));

  const ping = subcommand(port, 'ping', 'tcping: connect latency like ping (count, interval, min/avg/max/mdev, loss); Ctrl-C prints the statistics', ['<host>', 'host name or address'], ['[port]', 'TCP port (or give host:port)'])
    .option('-c, --count <n>', 'stop after this many probes (default: until Ctrl-C)')
    .option('-i, --interval <ms>', 'from one probe to the next', '1000')
    .option('--timeout <ms>', 'a probe not connected in this long is lost', '2000');
  addOutputOptions(ping, 'one JSON object per probe, then the statistics, on stdout');
  declared(ping, [
    'sockit port ping 127.0.0.1 8000 -c 5',
    'sockit port ping 127.0.0.1:8000 -i 200',
  ], (host: string, p: string | undefined, raw: RawOptions) => run(() => portPing(readPingOptions(host, p, raw)), PORT_FLAGS));
}

/** `port check`'s options, typed. */
interface CheckOptions {
  port: number;
  check: PortCheckOptions;
  output: OutputOptions;
}

function readCheckOptions(portArg: string, raw: RawOptions): CheckOptions {
  const port = parsePort(portArg, 'port', { allowZero: false });
  return { port, check: { host: raw.host(), protocol: raw.flag('udp') ? 'udp' : 'tcp' }, output: readOutputOptions(raw) };
}

/** `port free`'s options, typed; the count is checked against the range by {@link findFreePorts}. */
interface FreeOptions {
  range: { from: number; to: number };
  count: string | undefined;
  check: PortCheckOptions & { protocol: 'tcp' | 'udp' };
  output: OutputOptions;
}

function readFreeOptions(raw: RawOptions): FreeOptions {
  const range = parsePortRange(raw.text('range') ?? '');
  const count = raw.text('count');
  return { range, count, check: { host: raw.host(), protocol: raw.flag('udp') ? 'udp' : 'tcp' }, output: readOutputOptions(raw) };
}

/** `port scan`'s options, typed. */
interface ScanCommandOptions {
  host: string;
  ports: number[];
  concurrency: number;
  timeoutMs: number;
  all: boolean;
  output: OutputOptions;
}

function readScanOptions(hostArg: string, portsArg: string, raw: RawOptions): ScanCommandOptions {
  const host = parseHost(hostArg);
  const ports = parsePortList(portsArg);
  const { concurrency, timeoutMs } = checkScanPace({ concurrency: raw.text('concurrency'), timeoutMs: raw.text('timeout') });
  return { host, ports, concurrency, timeoutMs, all: raw.flag('all'), output: readOutputOptions(raw) };
}

/** `port ping`'s options, typed. */
interface PingCommandOptions {
  host: string;
  port: number;
  count?: number;
  intervalMs: number;
  timeoutMs: number;
  output: OutputOptions;
}

function readPingOptions(hostArg: string, portArg: string | undefined, raw: RawOptions): PingCommandOptions {
  const { host, port } = parseTarget(hostArg, portArg);
  const { count, intervalMs, timeoutMs } = checkPingTiming({ count: raw.text('count'), intervalMs: raw.text('interval'), timeoutMs: raw.text('timeout') });
  return { host, port, count, intervalMs, timeoutMs, output: readOutputOptions(raw) };
}

function describeConnections(connections: Record<string, number>): string {
  const order = ['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'LAST_ACK', 'CLOSING', 'UNCONN'];
  const states = Object.keys(connections).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return states.map((s) => `${connections[s]} ${s}`).join(', ');
}

async function portCheck(o: CheckOptions): Promise<CommandResult> {
  const result = await checkPort(o.port, o.check);
  const output = new Output(o.output);
  if (output.json) output.event('port-check', result);
  else renderCheck(output.out, result, output.c);
  output.out.flush();
  return result.state === 'in-use' ? 1 : 0;
}

function renderCheck(out: LineWriter, r: PortCheck, c: Palette): void {
  const name = `port ${r.port}/${r.protocol}`;
  if (r.state === 'free') out.line(c.in(`${name} is free`));
  else if (r.state === 'in-use') out.line(c.err(`${name} is in use`));
  else out.line(c.sys(`${name} is free, but binding it needs root or the CAP_NET_BIND_SERVICE capability`));
  for (const h of r.holders) {
    const who = h.pid !== undefined ? `${h.command} (pid ${h.pid})${h.cmdline && h.cmdline !== h.command ? c.dim(`  ${h.cmdline}`) : ''}` : c.dim('a process this user cannot see (run as root to find out)');
    out.line(`  ${formatEndpoint(h.address, h.port).padEnd(22)} ${h.state.padEnd(11)} ${who}`);
  }
  if (r.state === 'in-use' && r.holders.length === 0) out.line(c.dim('  held by a socket the kernel tables do not show to this user'));
  const conns = describeConnections(r.connections);
  out.line(`  ${r.protocol === 'tcp' ? 'connections' : 'sockets'}: ${conns || 'none'}`);
}

async function portFree(o: FreeOptions): Promise<CommandResult> {
  const ports = await findFreePorts(o.range, o.count, o.check);
  const output = new Output(o.output);
  if (output.json) output.event('free-ports', { protocol: o.check.protocol, ports });
  else for (const p of ports) output.out.line(String(p));
  output.out.flush();
  return 0;
}

const STATE_WORDS: Record<string, string> = { open: 'open', closed: 'closed', filtered: 'filtered', error: 'error' };

async function portScan(o: ScanCommandOptions): Promise<CommandResult> {
  const { host, ports, concurrency, timeoutMs } = o;
  let address: string;
  try {
    address = (await resolveHost(host, ports[0]!)).address;
  } catch (err) {
    if ((err as SockitError).code !== 'SOCKIT_ERR_HOST_NOT_FOUND') throw err;
    throw new ConnectError('SOCKIT_ERR_HOST_NOT_FOUND', `host ${host} was not found; nothing was scanned`, {
      cause: (err as SockitError).cause,
      hint: 'check the spelling of the host name, or use an IP address',
    });
  }
  const output = new Output(o.output);
  const { out, c } = output;
  const showAll = o.all || ports.length <= 25;
  const bar = new ProgressBar(`scanning ${host}`, ports.length, process.stderr, { amount: (n) => String(Math.round(n)) });
  const abort = new AbortController();
  const unregister = onStopSignal(() => abort.abort());
  const started = Date.now();
  if (!output.json) out.line(c.sys(`scanning ${host}${address !== host ? ` (${address})` : ''}: ${ports.length} port${ports.length === 1 ? '' : 's'}, ${concurrency} at a time, ${timeoutMs} ms timeout`));
  out.flush();
  let results: ProbeResult[];
  try {
    results = await scanPorts({ address, ports, concurrency, timeoutMs, signal: abort.signal, onResult: () => bar.add(1) });
  } finally {
    unregister();
  }
  if (bar.live) bar.finish();
  const counts = { open: 0, closed: 0, filtered: 0, error: 0 };
  for (const r of results) counts[r.state]++;
  const elapsedMs = Date.now() - started;
  if (output.json) {
    for (const r of results) output.event('scan', { host, address, ...r, ms: Math.round(r.ms * 1000) / 1000 });
    output.event('scan-summary', { host, address, scanned: results.length, ...counts, elapsedMs, interrupted: abort.signal.aborted });
  } else {
    const shown = results.filter((r) => showAll || r.state !== 'closed');
    if (shown.length) {
      out.line(c.bold(`${'PORT'.padEnd(10)}${'STATE'.padEnd(10)}${'SERVICE'.padEnd(14)}TIME`));
      for (const r of shown) {
        const paint = r.state === 'open' ? c.in : r.state === 'closed' ? c.dim : c.sys;
        const state = r.state === 'error' ? `error (${r.code})` : STATE_WORDS[r.state]!;
        const time = r.state === 'open' || r.state === 'closed' ? `${r.ms.toFixed(2)} ms` : '';
        out.line(`${`${r.port}/tcp`.padEnd(10)}${paint(state.padEnd(10))}${(r.service ?? '').padEnd(14)}${time}`.trimEnd());
      }
    }
    if (!showAll && counts.closed) out.line(c.dim(`not shown: ${counts.closed} closed port${counts.closed === 1 ? '' : 's'} (--all lists them)`));
    const parts = [`${counts.open} open`, `${counts.closed} closed`, `${counts.filtered} filtered`];
    if (counts.error) parts.push(`${counts.error} failed locally`);
    out.line(c.sys(`${results.length} port${results.length === 1 ? '' : 's'} scanned in ${(elapsedMs / 1000).toFixed(2)} s: ${parts.join(', ')}${abort.signal.aborted ? ' (interrupted)' : ''}`));
  }
  out.flush();
  return 0;
}

function probeWords(p: PingProbe, timeoutMs: number): string {
  switch (p.state) {
    case 'open':
      return `connected, time=${p.ms.toFixed(3)} ms`;
    case 'closed':
      return p.code === 'ECONNRESET' ? 'reset' : 'refused (nothing listening)';
    case 'filtered':
      return p.code === 'ETIMEDOUT' ? `no answer within ${timeoutMs} ms` : `unreachable (${p.code})`;
    default:
      return `failed (${p.code})`;
  }
}

async function portPing(o: PingCommandOptions): Promise<CommandResult> {
  const { host, port, count, intervalMs, timeoutMs } = o;
  const { address } = await resolveHost(host, port);
  const where = formatEndpoint(address, port);
  const output = new Output(o.output);
  const { out, c } = output;
  if (!output.json) out.line(c.sys(`TCPING ${host}${address !== host ? ` (${address})` : ''} port ${port}`));
  const ping = pingTcp({ address, port, count, intervalMs, timeoutMs }, (p) => {
    if (output.json) output.event('probe', { host, address, port, ...p, ms: Math.round(p.ms * 1000) / 1000 });
    else out.line(`${p.state === 'open' ? c.in(where) : c.err(where)}: seq=${p.seq} ${probeWords(p, timeoutMs)}`);
  });
  const unregister = onStopSignal(() => ping.stop());
  const s = await ping.done;
  unregister();
  const f = (n: number) => n.toFixed(3);
  if (output.json) {
    output.event('ping-summary', { host, address, port, ...s });
  } else {
    out.line('');
    out.line(`--- ${formatEndpoint(host, port)} tcping statistics ---`);
    out.line(`${s.probes} probe${s.probes === 1 ? '' : 's'}, ${s.connected} connected, ${Number(s.lossPercent.toFixed(1))}% loss, time ${s.elapsedMs} ms`);
    if (s.connected) out.line(`rtt min/avg/max/mdev = ${f(s.minMs)}/${f(s.avgMs)}/${f(s.maxMs)}/${f(s.mdevMs)} ms`);
  }
  out.flush();
  // like ping: success when anything answered
  return s.connected > 0 || s.probes === 0 ? 0 : 4;
}
