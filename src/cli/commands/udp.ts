// `sockit udp listen` and `sockit udp send`: the CLI faces of the UDP session.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { UdpSocket, checkDatagramSize, MAX_DATAGRAM_IPV6, type UdpSocketOptions } from '../../net/udp-socket.js';
import { encodeText } from '../../wire/codec.js';
import { parsePort, parseTarget } from '../../wire/endpoint.js';
import { encodeHexText, unescapeText } from '../../wire/template.js';
import { SockitError, UsageError } from '../../errors.js';
import {
  addAccessOptions, addAnswerOptions, addCaptureOption, addLogOption, startLog, addListenHostOption, addOutputOptions, addSendOptions, addTextOptions, collect, dataRenderer, Output,
  RawOptions, readDataOptions, RULE_FLAGS, readListenCommon, runListener, startCapture, waitForSilence,
  type CommandResult, type DataOptions, type FieldFlags, type ListenCommon, type Pause, type Runner,
} from '../command.js';
import { withExamples } from '../help.js';
import { declared, subcommand } from '../declare.js';
import { interruptedExitCode, onStopSignal, type StopSignal } from '../signals.js';
import { clientStatus, ReceivedWriter } from '../received.js';
import { checkInputFile } from '../files.js';
import { ProgressBar } from '../progress.js';
import { formatBytes } from '../output.js';
import { sessionText } from '../message-view.js';

/** The UDP socket's options as `udp listen` and `udp send` spell them. */
const UDP_FLAGS: FieldFlags = {
  ...RULE_FLAGS,
  reply: '--reply', allow: '--allow', deny: '--deny', join: '--join', multicastInterface: '--iface', multicastTtl: '--ttl',
};

/** Text options and output options, without framing: a datagram is always one message; then multicast. */
function addDatagramOptions(cmd: Command): Command {
  return addOutputOptions(addTextOptions(cmd))
    .option('--join <group>', 'join this multicast group (repeatable)', collect)
    .option('--iface <address>', 'local interface address for multicast (joining and sending)');
}

/** Registers `udp listen` and `udp send`. */
export function registerUdp(program: Command, run: Runner): void {
  const udp = program.command('udp').description('UDP server (listen) and client (send)');
  withExamples(udp, ["sockit udp listen 9999 --reply 'Hello, {data}!'", 'sockit udp send 127.0.0.1 9999 Bob']);

  const listen = subcommand(udp, 'listen', 'UDP server: shows every datagram, answers its sender as told; stdin lines go to every peer heard from ("@<id> text" to one)', ['<port>', 'port to listen on (0: any free port); host:port listens on that address only']);
  addAnswerOptions(addListenHostOption(listen), 'datagram', 'sender');
  addAccessOptions(listen, { allow: 'only datagrams from these addresses are shown and answered', deny: 'datagrams from these addresses are ignored' });
  addLogOption(addCaptureOption(addDatagramOptions(listen.option('-q, --quiet', 'show errors only, not each datagram'))));
  declared(listen, [
    "sockit udp listen 9999 --reply 'Hello, {data}!'",
    'sockit udp listen 9999 --echo --hex',
    'sockit udp listen 5000 --join 239.255.0.1',
  ], (port: string, raw: RawOptions) => run(() => udpListen(readListenOptions(port, raw)), UDP_FLAGS));

  const send = subcommand(udp, 'send', 'UDP client: send the text (or stdin lines, or a file) and print the replies; interactive without text or piped stdin', ['<host>', 'host name or address to send to (or host:port, [::1]:port)'], ['[port]', 'port to send to'], ['[text]', 'what to send (\\n \\r \\t \\xHH escapes; hex with --send-hex)']);
  addSendOptions(send, {
    wait: 'exit after this much silence once everything is sent',
    repeat: 'send the text this many times',
    interval: 'pause between datagrams of --repeat (default 1000) or --file (default 0)',
  })
    .option('--file <path>', 'send a file, split into datagrams of --size bytes')
    .option('--size <bytes>', 'with --file: bytes per datagram', '1024')
    .option('-p, --local-port <port>', 'send from this local port')
    .option('--broadcast', 'allow sending to a broadcast address (SO_BROADCAST)')
    .option('--ttl <hops>', 'multicast hops (0: this host only)');
  addLogOption(addCaptureOption(addDatagramOptions(send)));
  declared(send, [
    'sockit udp send 127.0.0.1 9999 Bob',
    'sockit udp send 127.0.0.1:9999 PING --repeat 5 --interval 200',
    "printf 'ann\\nben\\n' | sockit udp send 127.0.0.1 9999",
  ], (host: string, port: string | undefined, text: string | undefined, raw: RawOptions) =>
    run(() => udpSend(readSendOptions(host, port, text, raw)), UDP_FLAGS),
  );
}

/** `udp listen`'s options, typed. */
interface ListenOptions extends ListenCommon {
  socket: UdpSocketOptions;
}

function readListenOptions(portArg: string, raw: RawOptions): ListenOptions {
  const common = readListenCommon(portArg, raw);
  return { ...common, socket: { ...common.session, join: raw.list('join'), multicastInterface: raw.text('iface') } };
}

async function udpListen(o: ListenOptions): Promise<CommandResult> {
  const socket = new UdpSocket(o.socket);
  const output = new Output(o.data);
  const render = dataRenderer(output, o.data);
  return runListener({
    session: socket, output,
    render: o.quiet ? (e) => e.event !== 'data' && e.event !== 'send' && render(e) : render,
    start: (s) => s.open(),
    encodeLine: (text) => toDatagram(text, o.data, 'typed hex', false),
    send: (bytes, target) => socket.sendToPeer(bytes, target),
    nobody: (target) => (target === 'all' ? 'no peer has sent anything yet; nothing sent' : `no peer #${target}; nothing sent`),
    capture: startCapture(socket, o.capture), log: startLog(socket, o.logPath, o.data),
    clients: () => socket.peers(), noun: 'peer',
  });
}

/** Encodes one typed line (or argument) as a datagram: hex with --send-hex, else text with escapes. */
function toDatagram(text: string, data: DataOptions, name: string, escapes: boolean): Buffer {
  if (data.sendHex) return encodeHexText(text, data.encoding, name);
  return escapes ? unescapeText(text, data.encoding, name) : encodeText(text, data.encoding);
}

/** `udp send`'s options, typed. */
interface SendOptions {
  socket: UdpSocketOptions;
  data: DataOptions;
  waitMs: number;
  repeat: number;
  intervalMs: number;
  /** The [text] argument as a datagram. */
  payload?: Buffer;
  file?: { path: string; sizeBytes: number };
  capture?: string;
  logPath?: string;
}

function readSendOptions(hostArg: string, portArg: string | undefined, textArg: string | undefined, raw: RawOptions): SendOptions {
  const { host, port, portUsed } = parseTarget(hostArg, portArg, { textMayFollow: true });
  // with host:port, the next argument is the text
  if (!portUsed && textArg !== undefined) throw new UsageError(`too many arguments: with '${hostArg}' the port is given, so '${textArg}' would be a second text`);
  const text = portUsed ? textArg : portArg;
  const data = readDataOptions(raw);
  const waitMs = raw.whole('wait', '--wait')!;
  const repeat = raw.whole('repeat', '--repeat', 1)!;
  const path = raw.text('file');
  const intervalMs = raw.whole('interval', '--interval') ?? (path ? 0 : 1000);
  const sizeBytes = raw.whole('size', '--size', 1, MAX_DATAGRAM_IPV6)!;
  const localPortText = raw.text('localPort');
  const localPort = localPortText === undefined ? undefined : parsePort(localPortText, '--local-port');
  // the range is the UDP socket's to check
  const ttl = raw.whole('ttl', '--ttl');
  if (path && text !== undefined) throw new UsageError('give either [text] or --file, not both');
  if (path && repeat > 1) throw new UsageError('--repeat applies to [text], not to --file');
  if (path) checkInputFile(path, '--file');
  const payload = text === undefined ? undefined : toDatagram(text, data, data.sendHex ? '[text] hex' : '[text]', true);
  const socket: UdpSocketOptions = {
    remoteHost: host, remotePort: port, port: localPort,
    ...sessionText(data),
    broadcast: raw.flag('broadcast'), join: raw.list('join'),
    multicastInterface: raw.text('iface'), multicastTtl: ttl,
  };
  return { socket, data, waitMs, repeat, intervalMs, payload, file: path ? { path, sizeBytes } : undefined, capture: raw.text('capture'), logPath: raw.text('log') };
}

/** Pauses that Ctrl-C (or a refusal) cuts short, and the flag they set. */
class Stopper {
  stopped = false;
  private readonly waiters: (() => void)[] = [];

  /** Stops: every pause ends now, later ones return at once. */
  stop(): void {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Calls `fn` on stop, until the returned function is called. */
  onStop(fn: () => void): () => void {
    this.waiters.push(fn);
    return () => {
      const i = this.waiters.indexOf(fn);
      if (i >= 0) this.waiters.splice(i, 1);
    };
  }

  readonly pause: Pause = (ms) =>
    new Promise<void>((resolve) => {
      if (this.stopped || ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      const forget = this.onStop(done);
      function done() {
        clearTimeout(timer);
        forget();
        resolve();
      }
    });
}

async function udpSend(o: SendOptions): Promise<CommandResult> {
  const { data } = o;
  let fd: number | undefined;
  let fileSize = 0;
  if (o.file) {
    try {
      fd = openSync(o.file.path, 'r');
      fileSize = fstatSync(fd).size;
    } catch {
      throw new UsageError(`--file: cannot read '${o.file.path}'`);
    }
  }

  const socket = new UdpSocket(o.socket);
  const output = new Output(data);
  const { out, err, ce: c } = output;
  let lastActivity = Date.now();
  let refusal: SockitError | undefined;
  const stopper = new Stopper();

  const render = data.json ? dataRenderer(output, data, { showIds: false }) : undefined;
  const received = new ReceivedWriter(out, { hex: data.hex, encoding: data.encoding, messages: true, terminal: Boolean(process.stdout.isTTY), showBytes: data.showBytes, hints: err, stamp: output.c });
  // what we send is shown beside the replies, except lines typed on a terminal (already on it) and the datagrams of a file
  const showSent = o.payload !== undefined || (!o.file && !process.stdin.isTTY);
  socket.on('event', (e) => {
    if (e.event === 'data') lastActivity = Date.now();
    if (e.event === 'error' && e.code === 'SOCKIT_ERR_REFUSED') {
      refusal ??= new SockitError('SOCKIT_ERR_REFUSED', e.message, { hint: e.hint, exitCode: 4 });
      stopper.stop();
      // people read it once, as the command's error; scripts also get the event
      if (render) render(e);
      return;
    }
    if (render) return render(e);
    switch (e.event) {
      case 'data':
        // replies from anyone but the one peer (broadcast, multicast) say who sent them
        received.write(e.payload, e.text, socket.isConnected ? undefined : e.peer);
        break;
      case 'send':
        if (showSent) received.sent(e.payload);
        break;
      case 'error':
        clientStatus(e, out, err, c);
        break;
      default:
        break;
    }
  });

  const capture = startCapture(socket, o.capture);
  const log = startLog(socket, o.logPath, data);
  try {
    await socket.open();
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw e;
  }
  const target = socket.remotePeer;
  let interrupted: StopSignal | undefined;
  let complete = true;
  const unregister = onStopSignal((signal) => {
    interrupted = signal;
    stopper.stop();
  });
  const sendOne = async (bytes: Buffer) => {
    try {
      await socket.send(bytes);
    } catch (e) {
      if ((e as SockitError).code === 'SOCKIT_ERR_REFUSED') {
        refusal ??= e as SockitError;
        stopper.stop();
        return;
      }
      throw e;
    }
  };

  try {
    if (o.payload) {
      let sent = 0;
      for (let i = 0; i < o.repeat && !stopper.stopped; i++) {
        if (i > 0) await stopper.pause(o.intervalMs);
        if (stopper.stopped) break;
        await sendOne(o.payload);
        sent++;
        lastActivity = Date.now();
      }
      complete = sent === o.repeat;
    } else if (fd !== undefined && o.file) {
      complete = await sendFile(socket, fd, fileSize, o.file, o.intervalMs, sendOne, stopper);
      lastActivity = Date.now();
    } else {
      if (process.stdin.isTTY) err.line(c.sys(`type a line to send it as one datagram to ${target}; Ctrl-D ends`));
      await sendStdinLines(data, sendOne, stopper, () => (lastActivity = Date.now()));
    }
    // replies may still be on their way: wait for a silence of --wait
    await waitForSilence(o.waitMs, () => lastActivity, () => stopper.stopped, stopper.pause);
  } finally {
    unregister();
    if (fd !== undefined) closeSync(fd);
    await socket.close();
    out.flush();
    const s = socket.stats;
    if (!data.json) err.line(c.dim(`${s.messagesOut} datagram${s.messagesOut === 1 ? '' : 's'} sent (${formatBytes(s.bytesOut)}) to ${target}, ${s.messagesIn} received (${formatBytes(s.bytesIn)})`));
    err.flush();
    await capture?.finish();
    await log?.close();
  }
  if (refusal) throw refusal;
  // a transfer cut short by Ctrl-C exits as interrupted (130); the interactive mode ended by it does not
  return interrupted && !complete ? interruptedExitCode(interrupted) : 0;
}

async function sendFile(
  socket: UdpSocket, fd: number, fileSize: number, file: { path: string; sizeBytes: number }, intervalMs: number,
  sendOne: (b: Buffer) => Promise<void>, stopper: Stopper,
): Promise<boolean> {
  const size = file.sizeBytes;
  try {
    checkDatagramSize(size, socket.remote!.address);
  } catch (e) {
    throw new UsageError(`--size: ${(e as Error).message}`);
  }
  const bar = new ProgressBar(`sending ${file.path}`, fileSize);
  // one buffer for the whole file: each datagram is handed to the kernel before the next read
  const buffer = Buffer.allocUnsafe(size);
  let offset = 0;
  while (offset < fileSize && !stopper.stopped) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, size, offset);
    } catch (e) {
      throw new SockitError('SOCKIT_ERR_FILE', `could not read ${file.path}: ${(e as Error).message}`, { cause: e });
    }
    if (n === 0) break;
    await sendOne(buffer.subarray(0, n));
    offset += n;
    bar.add(n);
    if (intervalMs > 0) await stopper.pause(intervalMs);
  }
  if (offset < fileSize) {
    bar.interrupt(stopper.stopped ? 'interrupted' : 'stopped');
    return false;
  }
  bar.finish();
  return true;
}

async function sendStdinLines(data: DataOptions, sendOne: (b: Buffer) => Promise<void>, stopper: Stopper, touched: () => void): Promise<void> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const forget = stopper.onStop(() => rl.close());
  try {
    for await (const line of rl) {
      if (stopper.stopped) break;
      let bytes: Buffer;
      try {
        bytes = toDatagram(line, data, 'typed hex', false);
      } catch (e) {
        process.stderr.write(`error: ${(e as Error).message}\n`);
        continue;
      }
      try {
        await sendOne(bytes);
      } catch (e) {
        // one line too large for a datagram is reported; the others still go
        if ((e as SockitError).code !== 'SOCKIT_ERR_DATAGRAM_TOO_LARGE') throw e;
        process.stderr.write(`error: ${(e as Error).message}\n`);
      }
      touched();
    }
  } finally {
    forget();
    rl.close();
    process.stdin.destroy();
  }
}
