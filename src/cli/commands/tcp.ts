// `sockit tcp listen` and `sockit tcp connect`: the CLI faces of the TCP server and client sessions.
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { TcpServer, type TcpServerOptions } from '../../net/tcp-server.js';
import { TcpClient } from '../../net/tcp-client.js';
import { encodeText, createDecoder } from '../../wire/codec.js';
import { describeFrame, encodeFrame } from '../../wire/framing.js';
import { parseInteger, parseTarget } from '../../wire/endpoint.js';
import { encodeHexText, unescapeText } from '../../wire/template.js';
import { formatTlsPeer } from '../../net/tls-info.js';
import type { SessionEvent } from '../../net/session.js';
import { SockitError, UsageError } from '../../errors.js';
import {
  addCaptureOption, addLogOption, startLog, addConnectionServerOptions, addFrameOptions, addRuleOptions, readRuleOptions, RULE_FLAGS, type RuleOptions, addListenHostOption, addOutputOptions, addSendOptions, addTextOptions, collect, CONNECTION_SERVER_FLAGS, dataRenderer, delay, loadServerTls,
  Output, RawOptions, readConnectionServerOptions, readDataOptions, readListenCommon, readServerTlsOptions, runListener, startCapture, waitForSilence,
  type CommandResult, type DataOptions, type ListenCommon, type Runner, type ServerTlsOptions,
} from '../command.js';
import { withExamples } from '../help.js';
import { declared, subcommand } from '../declare.js';
import { interruptedExitCode, onStopSignal, type StopSignal } from '../signals.js';
import { checkInputFile, checkOutputFile, FILE_OPTION, OUT_OPTION, type InputFile } from '../files.js';
import { clientStatus, ReceivedWriter } from '../received.js';
import { addServerExtraOptions, readServerExtras, startPeriodicSend, type ServerExtras } from '../server-extras.js';
import { ProgressBar } from '../progress.js';
import { formatBytes } from '../output.js';

/** Registers `tcp listen` and `tcp connect`. */
export function registerTcp(program: Command, run: Runner): void {
  const tcp = program.command('tcp').description('TCP server (listen) and client (connect)');
  withExamples(tcp, ['sockit tcp listen 8000 --echo', 'sockit tcp connect 127.0.0.1 8000']);

  const listen = subcommand(tcp, 'listen', 'TCP server: many clients at once; shows what arrives, answers as told; stdin lines go to every client ("@<id> text" to one)', ['<port>', 'port to listen on (0: any free port); host:port listens on that address only']);
  addListenHostOption(listen).option('-q, --quiet', 'show connections and errors, not each message');
  addCaptureOption(addConnectionServerOptions(addOutputOptions(addFrameOptions(addTextOptions(listen)))));
  addServerExtraOptions(listen)
    .option(...OUT_OPTION, "save every client's bytes to this file as they arrive, instead of showing them (-: stdout, like nc -l > file)")
    .option(...FILE_OPTION, 'send this file to each client as it connects (progress on stderr), then half-close; every client gets the whole file');
  addLogOption(listen);
  declared(listen, [
    'sockit tcp listen 8000 --echo',
    "sockit tcp listen 8000 --every 1000 --send 'tick {counter}\\n'",
    'sockit tcp listen 8000 --exec cat',
    'sockit tcp listen 8000 --out upload.bin',
    "sockit tcp listen 9999 --welcome 'Welcome!' --reply 'Hello, {data}!' --quit exit",
    "sockit tcp listen 127.0.0.1:8000 --frame line --reply '{n}: {data}\\n'",
  ], (port: string, raw: RawOptions) => run(() => tcpListen(readListenOptions(port, raw)), CONNECTION_SERVER_FLAGS));

  const connect = subcommand(tcp, 'connect', 'TCP client: stdin to the server, the server to stdout (like nc)', ['<host>', 'server host name or address (or host:port, [::1]:port)'], ['[port]', 'server port'])
    .option('-s, --send <text>', 'send this (\\n \\r \\t \\xHH escapes) and print the replies; repeatable', collect);
  addSendOptions(connect, { wait: 'with --send/--file: exit after this much silence', repeat: 'send the --send texts this many times', interval: 'pause between repeats' }, '1000')
    .option(...FILE_OPTION, 'send a file (progress on stderr), then half-close')
    .option(...OUT_OPTION, 'save what arrives to this file instead of printing it (-: stdout, byte for byte)')
    .option('--reconnect [tries]', 'connect again when the connection ends or fails, waiting longer after each failure (until Ctrl-C, or this many tries in a row)')
    .option('-C, --crlf', 'send the line ends typed on stdin as \\r\\n (like nc -C)')
    .option('--connect-timeout <ms>', 'give up connecting after this long', '10000')
    .option('--idle-timeout <s>', 'close after this many seconds of silence')
    .option('--tls', 'connect with TLS')
    .option('--insecure', 'with --tls: accept any certificate (self-signed servers)')
    .option('--ca <file>', 'with --tls (implied): trust the certificates in this PEM file, such as a private CA');
  addRuleOptions(connect);
  addLogOption(addCaptureOption(addOutputOptions(addFrameOptions(addTextOptions(connect)))));
  declared(connect, [
    'sockit tcp connect 127.0.0.1 8000',
    "sockit tcp connect 127.0.0.1:8000 --send 'PING\\r\\n' --wait 500",
    'sockit tcp connect 127.0.0.1 8000 < request.bin > reply.bin',
    'sockit tcp connect 127.0.0.1 8000 --reconnect',
  ], (host: string, port: string | undefined, raw: RawOptions) => run(() => tcpConnect(readConnectOptions(host, port, raw)), RULE_FLAGS));
}

/** `tcp listen`'s options, typed. */
interface ListenOptions extends ListenCommon {
  server: TcpServerOptions;
  tls: ServerTlsOptions;
  extras: ServerExtras;
  /** `--out`: where every client's bytes are saved (`-`: stdout). */
  outPath?: string;
  /** `--file`: sent to each client. */
  file?: InputFile;
}

function readListenOptions(portArg: string, raw: RawOptions): ListenOptions {
  const common = readListenCommon(portArg, raw);
  const { data } = common;
  const server: TcpServerOptions = {
    ...common.session, frame: data.frame, maxFrameBytes: data.maxFrameBytes,
    ...readConnectionServerOptions(raw),
  };
  const answers = Boolean(server.reply !== undefined || server.echo || server.chat || server.rules?.length || server.rulesFile);
  const extras = readServerExtras(raw, answers);
  const path = raw.text('file');
  if (path !== undefined && extras.exec !== undefined) throw new UsageError('--file and --exec both answer every client; choose one');
  return {
    ...common, server: { ...server, exec: extras.exec }, tls: readServerTlsOptions(raw), extras,
    file: path === undefined ? undefined : checkInputFile(path, '--file'),
    // last: checking creates (or empties) the file, which no other refusal should do
    outPath: checkOutputFile(raw.text('out'), '--out'),
  };
}

async function tcpListen(o: ListenOptions): Promise<CommandResult> {
  const tls = await loadServerTls(o.tls, o.server.host);
  const server = new TcpServer({ ...o.server, tls: tls ? { key: tls.key, cert: tls.cert } : undefined });
  // --out -: the bytes have stdout, so what is said goes to stderr
  const output = new Output(o.data, { stdoutTaken: o.outPath === '-' });
  const render = dataRenderer(output, o.data);
  // quiet, or saving to a file: the server then neither decodes messages nor builds their events (unless a log reads them)
  const silent = o.quiet || o.outPath !== undefined;
  // the file's chunks are told by its progress line, not shown one by one
  const shown = (e: SessionEvent) => (e.event !== 'data' || !silent) && (e.event !== 'send' || (!silent && !o.file));
  server.messageEvents = !silent;
  const log = startLog(server, o.logPath, o.data);
  const saved = o.outPath === undefined ? undefined : server.saveReceived(o.outPath === '-' ? process.stdout : o.outPath, { overwrite: true });
  if (o.extras.periodic) startPeriodicSend(server, o.extras.periodic, o.data.encoding);
  if (o.file) sendToEachClient(server, o.file);
  const code = await runListener({
    session: server, output, render: silent || o.file ? (e) => shown(e) && render(e) : render,
    start: (s) => s.listen(),
    encodeLine: (text) => encodeLine(text, o.data),
    send: (bytes, target) => server.send(bytes, target),
    nobody: (target) => (target === 'all' ? 'no client is connected; nothing sent' : `no client #${target}; nothing sent`),
    capture: startCapture(server, o.capture),
    clients: () => server.clients(), noun: 'client',
    kick: (id) => server.disconnect(id, 'closed by /kick'), log,
  });
  await saved?.finish();
  return code;
}

/** `tcp listen --file`: each client, as it connects, gets the whole file from its start, with its own progress line, then a half-close. */
function sendToEachClient(server: TcpServer, file: InputFile): void {
  server.on('event', (e) => {
    if (e.event !== 'connect') return;
    // a bar only once bytes move: a refused client (--allow, --max-conns) gets none and says nothing
    let bar: ProgressBar | undefined;
    const progress = (n: number) => (bar ??= new ProgressBar(`#${e.id} sending ${file.path}`, file.size)).add(n);
    server.stream(e.id, createReadStream(file.path), { end: true, onWritten: progress }).then(
      (complete) => {
        if (complete) (bar ??= new ProgressBar(`#${e.id} sending ${file.path}`, file.size)).finish();
        else bar?.interrupt('the client left');
      },
      (err: Error) => {
        bar?.interrupt(`could not read ${file.path}: ${err.message}`);
        server.disconnect(e.id, `could not read ${file.path}`);
      },
    );
  });
}

/** A typed line as one message: hex with --send-hex, else text, framed. */
function encodeLine(text: string, data: DataOptions): Buffer {
  return data.sendHex ? encodeFrame(data.frame, encodeHexText(text, data.encoding, 'typed hex')) : encodeFrame(data.frame, encodeText(text, data.encoding), true);
}

/** `tcp connect`'s options, typed. */
interface ConnectOptions {
  host: string;
  rules: RuleOptions;
  port: number;
  data: DataOptions;
  waitMs: number;
  repeat: number;
  intervalMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs?: number;
  /** The --send texts, as framed bytes. */
  sends: Buffer[];
  file?: InputFile;
  /** `--out`, checked before connecting (`-`: stdout). */
  outPath?: string;
  /** `--reconnect`: true (until stopped) or the tries in a row. */
  reconnect?: true | number;
  /** Line ends typed on stdin go out as CRLF. */
  crlf: boolean;
  logPath?: string;
  tls: boolean;
  insecure: boolean;
  /** Certificates to trust (`--ca`), read from their file. */
  ca?: Buffer;
  capture?: string;
}

function readConnectOptions(hostArg: string, portArg: string | undefined, raw: RawOptions): ConnectOptions {
  const { host, port } = parseTarget(hostArg, portArg);
  const data = readDataOptions(raw);
  const o: ConnectOptions = {
    host, port, data, rules: readRuleOptions(raw),
    waitMs: raw.whole('wait', '--wait')!,
    repeat: raw.whole('repeat', '--repeat', 1)!,
    intervalMs: raw.whole('interval', '--interval')!,
    connectTimeoutMs: raw.whole('connectTimeout', '--connect-timeout', 1)!,
    idleTimeoutMs: raw.seconds('idleTimeout', '--idle-timeout'),
    sends: (raw.list('send') ?? []).map((s) =>
      data.sendHex ? encodeFrame(data.frame, encodeHexText(s, data.encoding, '--send')) : encodeFrame(data.frame, unescapeText(s, data.encoding)),
    ),
    tls: raw.flag('tls'),
    insecure: raw.flag('insecure'),
    capture: raw.text('capture'),
    crlf: raw.flag('crlf'),
    logPath: raw.text('log'),
  };
  const path = raw.text('file');
  if (path !== undefined) {
    if (o.sends.length) throw new UsageError('--file and --send cannot be used together');
    o.file = checkInputFile(path, '--file');
  }
  const caPath = raw.text('ca');
  if (caPath !== undefined) {
    try {
      o.ca = readFileSync(caPath);
    } catch {
      throw new UsageError(`--ca: cannot read '${caPath}'`);
    }
  }
  const reconnect: unknown = raw.value('reconnect');
  if (reconnect !== undefined) {
    if (o.sends.length || o.file) throw new UsageError('--reconnect keeps a connection to type into; leave out --send and --file');
    o.reconnect = reconnect === true ? true : parseInteger(String(reconnect), '--reconnect', 1);
  }
  // last: checking creates (or empties) the file, which no other refusal should do
  o.outPath = checkOutputFile(raw.text('out'), '--out');
  return o;
}

async function tcpConnect(o: ConnectOptions): Promise<CommandResult> {
  const { data } = o;
  const terminal = Boolean(process.stdout.isTTY) && !o.outPath;
  const output = new Output(data);
  const { out, err, ce: c } = output;
  // on a terminal each read gets its time and an arrow; into a file or pipe only the bytes go
  const received = new ReceivedWriter(out, { hex: data.hex, encoding: data.encoding, messages: data.frame.kind !== 'raw', terminal, showBytes: data.showBytes, hints: err, stamp: output.c });
  const client = new TcpClient({
    host: o.host, port: o.port, encoding: data.encoding, frame: data.frame, maxFrameBytes: data.maxFrameBytes,
    connectTimeoutMs: o.connectTimeoutMs, idleTimeoutMs: o.idleTimeoutMs, decode: data.json || (received.needsText && !o.outPath), decodeLimit: data.json ? undefined : data.showBytes,
    tls: o.tls || o.ca ? { rejectUnauthorized: !o.insecure, ca: o.ca } : undefined,
    // like nc -N: a server that has finished sending still gets the rest of stdin or the file (reconnecting: its end is the cue)
    allowHalfOpen: o.sends.length === 0 && !o.reconnect,
    reconnect: o.reconnect === undefined ? undefined : o.reconnect === true ? true : { maxAttempts: o.reconnect },
    ...o.rules,
  });
  const saved = o.outPath === undefined ? undefined : client.saveReceived(o.outPath === '-' ? process.stdout : o.outPath, { overwrite: true });
  const capture = startCapture(client, o.capture);
  const log = startLog(client, o.logPath, data);
  let lastActivity = Date.now();

  if (data.json) {
    client.on('event', dataRenderer(output, data, { showIds: false }));
  } else {
    client.on('event', (e) => {
      switch (e.event) {
        case 'connect':
          err.line(c.sys(`connected to ${e.peer} from ${e.local}${data.frame.kind === 'raw' ? '' : ` (${describeFrame(data.frame)})`}`));
          if (e.tls) for (const l of formatTlsPeer(e.tls)) err.line(c.dim(`  ${l}`));
          break;
        case 'data':
          if (!saved) received.write(e.payload, e.text);
          break;
        case 'send':
          // what --send sent; lines typed on a terminal are on the screen already
          if (o.sends.length) received.sent(e.payload);
          break;
        case 'close':
        case 'error':
        case 'retry':
          clientStatus(e, out, err, c);
          break;
        default:
          break;
      }
    });
  }

  let interrupted: StopSignal | undefined;
  // registered first: Ctrl-C also stops a client still waiting to reconnect
  const stop = onStopSignal((signal) => {
    interrupted = signal;
    void client.close(true);
  });
  try {
    await client.connect();
  } catch (e) {
    stop();
    throw e;
  }
  // any mode: what arrives resets the --wait silence
  client.on('event', (e) => {
    if (e.event === 'data') lastActivity = Date.now();
  });
  const silence = () => waitForSilence(o.waitMs, () => lastActivity, () => client.stats.active === 0);
  // a transfer cut short by Ctrl-C exits as interrupted (130); an interactive session ended by it does not
  let complete = true;
  let gaveUp = false;
  client.on('event', (e) => {
    if (e.event === 'error' && e.message.startsWith('gave up reconnecting')) gaveUp = true;
  });

  if (o.sends.length) {
    let sent = 0;
    for (let i = 0; i < o.repeat && client.stats.active; i++) {
      if (i > 0) await delay(o.intervalMs);
      for (const bytes of o.sends) await client.send(bytes);
      sent++;
      lastActivity = Date.now();
    }
    complete = sent === o.repeat;
    await Promise.race([silence(), client.closed]);
    await client.close();
  } else if (o.file) {
    complete = await sendFile(client, o.file, () => interrupted !== undefined);
    lastActivity = Date.now();
    await Promise.race([silence(), client.closed]);
    await client.close();
  } else {
    pumpStdin(client, data, o.crlf);
    await client.closed;
  }
  stop();
  err.flush();
  await saved?.finish();
  await capture?.finish();
  await log?.close();
  if (interrupted && !complete) return interruptedExitCode(interrupted);
  // reconnecting ran out of tries: as a connect failure
  return gaveUp ? 4 : 0;
}

/**
 * Streams a file to the server with a progress bar, then half-closes. A byte counts as sent once
 * the socket has handed it to the system, so an interrupted bar stops where the transfer did.
 * Resolves false when the transfer was cut short.
 */
async function sendFile(client: TcpClient, file: InputFile, interrupted: () => boolean): Promise<boolean> {
  const bar = new ProgressBar(`sending ${file.path}`, file.size);
  const stream = createReadStream(file.path);
  let complete: boolean;
  try {
    complete = await client.pump(stoppable(stream, interrupted), (n) => bar.add(n));
  } catch (e) {
    throw new SockitError('SOCKIT_ERR_FILE', `could not read ${file.path}: ${(e as Error).message}`, { cause: e });
  } finally {
    stream.destroy();
  }
  if (!complete || interrupted()) {
    bar.interrupt(interrupted() ? 'interrupted' : 'the connection closed');
    return false;
  }
  bar.finish();
  client.end();
  return true;
}

/** The chunks of `source` until `stop` says so. */
async function* stoppable(source: AsyncIterable<Buffer>, stop: () => boolean): AsyncIterable<Buffer> {
  for await (const chunk of source) {
    if (stop()) return;
    yield chunk;
  }
}

const CRLF = Buffer.from('\r\n');

/** What was typed, to the open connection; between reconnections it is told, not silently lost. */
function sendTyped(client: TcpClient, bytes: Buffer): Promise<void> {
  if (client.connected) return client.send(bytes);
  process.stderr.write(`not connected; ${formatBytes(bytes.length)} typed were not sent\n`);
  return Promise.resolve();
}

/** stdin to the socket: raw bytes for UTF-8 (byte exact), transcoded otherwise, lines for hex and framed modes; its end half-closes. */
function pumpStdin(client: TcpClient, data: DataOptions, crlf: boolean): void {
  const stdin = process.stdin;
  const byLine = data.sendHex || data.frame.kind !== 'raw';
  if (byLine) {
    const rl = createInterface({ input: stdin, terminal: false });
    rl.on('line', (line) => {
      try {
        const bytes = crlf && data.frame.kind === 'line' && !data.sendHex ? Buffer.concat([encodeText(line, data.encoding), CRLF]) : encodeLine(line, data);
        sendTyped(client, bytes);
      } catch (e) {
        process.stderr.write(`error: ${(e as Error).message}\n`);
      }
    });
    rl.on('close', () => client.end());
    return;
  }
  const transcode = data.encoding !== 'utf8' && data.encoding !== 'utf-8';
  const decoder = transcode ? createDecoder('utf8') : undefined;
  let afterCr = false;
  stdin.on('data', (chunk: Buffer) => {
    let bytes = decoder ? encodeText(decoder.write(chunk), data.encoding) : chunk;
    if (crlf) {
      // a bare LF becomes CRLF; a CRLF typed already (or split across reads) stays as it is
      const text = bytes.toString('latin1');
      const fixed = text.replace(/\r?\n/g, (m, at: number) => (m === '\n' && !(at === 0 && afterCr) ? '\r\n' : m));
      afterCr = text.endsWith('\r');
      bytes = Buffer.from(fixed, 'latin1');
    }
    // backpressure: stop reading stdin until the socket drains
    stdin.pause();
    void sendTyped(client, bytes).then(() => stdin.resume());
  });
  stdin.on('end', () => client.end());
  stdin.on('error', () => client.end());
  void client.closed.then(() => stdin.destroy());
}
