// `sockit proxy`: the CLI face of the TCP and UDP relays, with faults set by flags and changed by lines typed on stdin.
import type { WsProxy } from '../../ws/ws-proxy.js';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { TcpProxy, type ProxyOptions } from '../../net/proxy.js';
import { UdpProxy, type UdpProxyOptions } from '../../net/udp-proxy.js';
import type { RelaySession } from '../../net/relay-session.js';
import { parseEndpoint, parsePort, parseSize } from '../../wire/endpoint.js';
import type { WsProxyOptions } from '../../ws/ws-proxy.js';
import { parseFrame, type FrameSpec } from '../../wire/framing.js';
import { clearingPatch, describeFaults, parseFaultLine } from '../../wire/faults.js';
import { UsageError } from '../../errors.js';
import {
  addAccessOptions, addCaptureOption, addCertOptions, addFrameOptions, addListenHostOption, addOutputOptions, addPayloadOption, dataRenderer, loadServerTls,
  Output, RawOptions, readDataOptions, readServerTlsOptions, startCapture, type CommandResult, type DataOptions, type FieldFlags, type Runner,
} from '../command.js';
import { declared, subcommand } from '../declare.js';
import { addFaultOptions, readFaultOptions } from '../fault-options.js';
import { onStopSignal } from '../signals.js';
import { sessionText } from '../message-view.js';

/** The relays' options as `proxy` spells them. */
const PROXY_FLAGS: FieldFlags = { allow: '--allow', deny: '--deny', upFrame: '--up-frame', downFrame: '--down-frame' };

/** Registers `proxy`. */
export function registerProxy(program: Command, run: Runner): void {
  const proxy = subcommand(program, 'proxy', 'logging TCP relay with fault injection: each client is relayed to the target, both directions shown; type faults on stdin ("latency 300", "reset 4", "clear"); --udp for datagrams, --ws for WebSocket frames', ['<listen-port>', 'port to listen on (0: any free port)'], ['<host:port>', 'the target each client is relayed to']);
  addListenHostOption(proxy)
    .option('-q, --quiet', 'show connections and errors, not each message')
    .option('--udp', 'relay UDP datagrams: one upstream socket per client address (--idle-timeout: 60 s; --max-conns: 1024 clients)')
    .option('--ws', 'relay WebSocket connections and show their frames (text, binary, ping, pong, close codes), not bytes')
    .option('--max-payload <size>', 'with --ws: a larger message ends its connection with close code 1009', '16MiB')
    .option('-e, --encoding <name>', 'text encoding: utf8, gbk, gb18030, big5, shift_jis, latin1, ... (any iconv-lite name)', 'utf8')
    .option('-x, --hex', 'show data as a hex dump');
  addFrameOptions(proxy)
    .option('--up-frame <kind>', 'framing of what clients send, when it differs')
    .option('--down-frame <kind>', 'framing of what the target sends, when it differs');
  addOutputOptions(addPayloadOption(proxy))
    .option('--max-conns <n>', 'refuse clients beyond this many at once')
    .option('--idle-timeout <s>', 'close a connection silent for this many seconds');
  addAccessOptions(proxy, { allow: 'only these addresses may connect', deny: 'these addresses may not connect' })
    .option('--connect-timeout <ms>', 'give up on a target that does not accept within this long', '10000')
    .option('--reset-on-fail', 'reset (RST) a client whose target cannot be reached, instead of closing it')
    .option('--tls', 'accept TLS from clients (self-signed certificate unless --cert/--key)');
  addCertOptions(proxy)
    .option('--tls-target', 'speak TLS to the target (its certificate is verified)')
    .option('--ca <file>', 'with --tls-target: trust these CA certificates (PEM)')
    .option('--insecure', 'with --tls-target: accept any certificate')
    .option('--servername <name>', 'with --tls-target: the name sent (SNI) and checked in the certificate');
  addFaultOptions(proxy);
  addCaptureOption(proxy, "each relayed connection as its client saw it (what it sent, and what it was sent after the faults)");
  declared(proxy, [
    'sockit proxy 8080 127.0.0.1:8000',
    'sockit proxy 8080 127.0.0.1:8000 --frame line --encoding gbk',
    'sockit proxy 8080 127.0.0.1:8000 --latency 200±20 --down-bandwidth 64k',
    'sockit proxy 8080 127.0.0.1:8000 --capture relay.ndjson   # then: sockit export relay.ndjson --pcap relay.pcap',
  ], (port: string, target: string, raw: RawOptions) => run(() => runProxy(port, target, raw), PROXY_FLAGS));
}

function frameOption(value: string | undefined, name: string): FrameSpec | undefined {
  return value === undefined ? undefined : parseFrame(value, name);
}

/** The target argument: host:port with a port from 1. */
function readTarget(targetArg: string, example: number): { host: string; port: number } {
  if (!/:[^:\]]*$/.test(targetArg.trim())) throw new UsageError(`target must be host:port (such as 127.0.0.1:${example} or [::1]:${example}), got '${targetArg}'`);
  const target = parseEndpoint(targetArg, 'target');
  if (target.port === 0) throw new UsageError('target port must be from 1 to 65535');
  return target;
}

/** The TCP relay's options from the command line. */
async function readProxyOptions(portArg: string, targetArg: string, raw: RawOptions, data: DataOptions): Promise<ProxyOptions> {
  const port = parsePort(portArg, 'listen-port');
  const target = readTarget(targetArg, 8000);
  const host = raw.host();
  const faults = readFaultOptions(raw, false);
  if (faults.unsupported.length) throw new UsageError(`${faults.unsupported.join(', ')}: UDP faults; add --udp for a datagram relay`);
  if (raw.text('maxPayload') !== '16MiB') throw new UsageError('--max-payload goes with --ws');
  const certs = await loadServerTls(readServerTlsOptions(raw), host);
  const tlsTarget = raw.flag('tlsTarget');
  const caPath = raw.text('ca');
  if (!tlsTarget && (caPath || raw.flag('insecure') || raw.text('servername'))) throw new UsageError('--ca, --insecure and --servername go with --tls-target');
  const ca = caPath ? readCa(caPath) : undefined;
  return {
    port, host, targetHost: target.host, targetPort: target.port,
    encoding: data.encoding, frame: data.frame, upFrame: frameOption(raw.text('upFrame'), '--up-frame'), downFrame: frameOption(raw.text('downFrame'), '--down-frame'),
    maxFrameBytes: data.maxFrameBytes, ...sessionText(data),
    maxConnections: raw.whole('maxConns', '--max-conns', 1),
    idleTimeoutMs: raw.seconds('idleTimeout', '--idle-timeout'),
    connectTimeoutMs: raw.whole('connectTimeout', '--connect-timeout', 1),
    resetOnFail: raw.flag('resetOnFail'),
    allow: raw.list('allow'), deny: raw.list('deny'),
    faults: faults.patch, seed: faults.seed,
    tls: certs ? { key: certs.key, cert: certs.cert } : undefined,
    targetTls: tlsTarget ? { rejectUnauthorized: !raw.flag('insecure'), servername: raw.text('servername'), ca } : undefined,
  };
}

/** The UDP relay's options from the command line; stream-only options are refused by name. */
function readUdpProxyOptions(portArg: string, targetArg: string, raw: RawOptions, data: DataOptions): UdpProxyOptions {
  const port = parsePort(portArg, 'listen-port');
  const target = readTarget(targetArg, 5000);
  const streamOnly = ['upFrame', 'downFrame', 'cert', 'key', 'ca', 'servername'].filter((k) => raw.text(k) !== undefined);
  if (raw.text('maxPayload') !== '16MiB') streamOnly.push('maxPayload');
  streamOnly.push(...['resetOnFail', 'tls', 'tlsTarget', 'insecure'].filter((k) => raw.flag(k)));
  if (raw.text('frame') !== 'raw') streamOnly.unshift('frame');
  if (streamOnly.length) {
    const flags = streamOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new UsageError(`${flags.join(', ')}: not for a UDP relay (a datagram is one message, and there is no connection to secure or reset)`);
  }
  const faults = readFaultOptions(raw, true);
  if (faults.unsupported.length) throw new UsageError(`${faults.unsupported.join(', ')}: faults of a stream; a UDP relay knows latency, bandwidth, loss, duplicate and reorder`);
  return {
    port, host: raw.host(),
    targetHost: target.host, targetPort: target.port, ...sessionText(data),
    idleTimeoutMs: raw.seconds('idleTimeout', '--idle-timeout'),
    maxClients: raw.whole('maxConns', '--max-conns', 1),
    allow: raw.list('allow'), deny: raw.list('deny'),
    faults: faults.patch, seed: faults.seed,
  };
}

/** The WebSocket relay's options; what only a byte stream or a datagram relay knows is refused by name. */
async function readWsProxyOptions(portArg: string, targetArg: string, raw: RawOptions, data: DataOptions): Promise<WsProxyOptions> {
  const port = parsePort(portArg, 'listen-port');
  const target = readTarget(targetArg, 8080);
  const host = raw.host();
  const streamOnly = ['upFrame', 'downFrame'].filter((k) => raw.text(k) !== undefined);
  streamOnly.push(...['udp', 'resetOnFail', 'hex'].filter((k) => raw.flag(k)));
  if (raw.text('frame') !== 'raw') streamOnly.unshift('frame');
  if (streamOnly.length) {
    const flags = streamOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new UsageError(`${flags.join(', ')}: not for --ws (a WebSocket message is one message, shown as text or, when binary, in hex)`);
  }
  const faults = readFaultOptions(raw, false);
  if (Object.keys(faults.patch).length || faults.seed !== undefined) throw new UsageError('faults are for TCP and UDP relays; --ws relays WebSocket messages as they come');
  const certs = await loadServerTls(readServerTlsOptions(raw), host);
  const tlsTarget = raw.flag('tlsTarget');
  const caPath = raw.text('ca');
  if (!tlsTarget && (caPath || raw.flag('insecure') || raw.text('servername'))) throw new UsageError('--ca, --insecure and --servername go with --tls-target');
  return {
    port, host, targetHost: target.host, targetPort: target.port, encoding: data.encoding, decode: true,
    maxPayloadBytes: parseSize(raw.text('maxPayload') ?? '16MiB', '--max-payload', 1, 2 ** 32 - 1),
    maxConnections: raw.whole('maxConns', '--max-conns', 1),
    idleTimeoutMs: raw.seconds('idleTimeout', '--idle-timeout'),
    connectTimeoutMs: raw.whole('connectTimeout', '--connect-timeout', 1),
    allow: raw.list('allow'), deny: raw.list('deny'),
    tls: certs ? { key: certs.key, cert: certs.cert } : undefined,
    targetTls: tlsTarget ? { rejectUnauthorized: !raw.flag('insecure'), servername: raw.text('servername'), ca: caPath ? readCa(caPath) : undefined } : undefined,
  };
}

function readCa(caPath: string): string {
  try {
    return readFileSync(caPath, 'utf8');
  } catch (err) {
    throw new UsageError(`--ca: cannot read '${caPath}' (${(err as Error).message})`);
  }
}

/** `proxy --ws`: a WebSocket relay until Ctrl-C. */
async function runWsProxy(portArg: string, targetArg: string, raw: RawOptions, data: DataOptions): Promise<CommandResult> {
  const options = await readWsProxyOptions(portArg, targetArg, raw, data);
  // loaded when used: the ws package stays out of the other relays' start-up
  const { WsProxy } = await import('../../ws/ws-proxy.js');
  const proxy = new WsProxy(options);
  return relayUntilStopped(proxy, raw, data, (target) => `relaying WebSocket connections to ${target}`);
}

/** A relay as the proxy command runs it: WebSocket, TCP or UDP. */
type AnyRelay = RelaySession | WsProxy;

/**
 * Runs a relay until Ctrl-C: its events shown (no message decoded with --quiet), captured with
 * --capture, the listening line and then where it relays; `onStdin` reads typed lines meanwhile.
 */
async function relayUntilStopped(proxy: AnyRelay, raw: RawOptions, data: DataOptions, relaying: (target: string) => string, onStdin?: (output: Output) => () => void): Promise<CommandResult> {
  const output = new Output(data);
  // quiet: no message is decoded or turned into an event
  proxy.messageEvents = !raw.flag('quiet');
  proxy.on('event', dataRenderer(output, data));
  const capture = startCapture(proxy, raw.text('capture'));
  await proxy.listen();
  // the listening line first, then where the relay goes
  output.out.flush();
  if (!data.json) process.stderr.write(`${relaying(proxy.target)}\n`);
  const stopInput = onStdin?.(output);
  const unregister = onStopSignal(() => void proxy.close());
  await proxy.closed;
  unregister();
  stopInput?.();
  output.out.flush();
  await capture?.finish();
  return 0;
}

/** Lines typed on stdin change the faults: `latency 300`, `up reset-after 4`, `clear`, `show`. */
function readFaultLines(proxy: RelaySession, say: (text: string) => void): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    try {
      const command = parseFaultLine(line);
      if (command.kind === 'show') say(`faults: ${describeFaults(proxy.faultSettings)}`);
      else proxy.setFaults(command.kind === 'clear' ? clearingPatch(proxy.faultSettings) : command.patch);
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  });
  // stdin closing (a pipe, /dev/null) must not stop the relay
  rl.on('error', () => {});
  return () => {
    rl.close();
    process.stdin.destroy();
  };
}

async function runProxy(portArg: string, targetArg: string, raw: RawOptions): Promise<CommandResult> {
  const udp = raw.flag('udp');
  const data = readDataOptions(raw);
  if (raw.flag('ws')) return runWsProxy(portArg, targetArg, raw, data);
  const proxy: RelaySession = udp
    ? new UdpProxy(readUdpProxyOptions(portArg, targetArg, raw, data))
    : new TcpProxy(await readProxyOptions(portArg, targetArg, raw, data));
  return relayUntilStopped(
    proxy, raw, data, (target) => `relaying ${udp ? 'datagrams ' : ''}to ${target}${raw.flag('tlsTarget') ? ' (TLS)' : ''}`,
    (output) => readFaultLines(proxy, (text) => output.out.line(text)),
  );
}
