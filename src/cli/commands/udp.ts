// `sockit udp listen` and `sockit udp send`: the CLI faces of the UDP session.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { UdpSocket, checkDatagramSize, MAX_DATAGRAM_IPV6 } from '../../net/udp-socket.js';
import { encodeText } from '../../wire/codec.js';
import { formatHexDump, parseHex } from '../../wire/hex.js';
import { parseHost, parseInteger, parsePort } from '../../wire/endpoint.js';
import { unescapeText } from '../../wire/template.js';
import { SockitError, UsageError } from '../../errors.js';
import { collect, msOption, readTargetedLines, readDataOptions, stdoutRenderer, type DataOptions } from '../common.js';
import { onStopSignal } from '../signals.js';
import { ProgressBar } from '../progress.js';
import { LineWriter, makePalette, colorWanted, formatBytes } from '../output.js';
import type { CommandResult } from '../main.js';

/** Data options without framing: a datagram is always one message. */
function addDatagramOptions(cmd: Command): Command {
  return cmd
    .option('-e, --encoding <name>', 'text encoding: utf8, gbk, gb18030, big5, shift_jis, latin1, ... (any iconv-lite name)', 'utf8')
    .option('-x, --hex', 'show data as a hex dump')
    .option('--send-hex', 'read what you type or send as hex (48 65 6c, 48656c, 0x48,0x65)')
    .option('--json', 'one JSON event per line on stdout, for scripts')
    .option('--no-color', 'no colours, even on a terminal');
}

function addMulticastOptions(cmd: Command): Command {
  return cmd
    .option('--join <group>', 'join this multicast group (repeatable)', collect)
    .option('--iface <address>', 'local interface address for multicast (joining and sending)');
}

/** Registers `udp listen` and `udp send`. */
export function registerUdp(program: Command, run: (fn: () => Promise<CommandResult>) => Promise<void>): void {
  const udp = program.command('udp').description('UDP server (listen) and client (send)');

  const listen = udp
    .command('listen')
    .description('UDP server: shows every datagram, answers its sender as told; stdin lines go to every peer heard from ("@<id> text" to one)')
    .argument('<port>', 'port to listen on (0: any free port)')
    .option('-H, --host <host>', 'address to listen on (default: all interfaces, IPv4 and IPv6)')
    .option('--reply <template>', 'answer each datagram: {data} the message, {peer} the sender, {n} its number')
    .option('--echo', 'answer each datagram with its exact bytes')
    .option('--allow <cidr>', 'only datagrams from these addresses are shown and answered (repeatable)', collect)
    .option('--deny <cidr>', 'datagrams from these addresses are ignored (repeatable)', collect)
    .option('-q, --quiet', 'show errors only, not each datagram');
  addMulticastOptions(addDatagramOptions(listen));
  listen.action((port: string, opts: Record<string, unknown>) => run(() => udpListen(port, opts)));

  const send = udp
    .command('send')
    .description('UDP client: send the text (or stdin lines, or a file) and print the replies; interactive without text or piped stdin')
    .argument('<host>', 'host name or address to send to')
    .argument('<port>', 'port to send to')
    .argument('[text]', 'what to send (\\n \\r \\t \\xHH escapes; hex with --send-hex)')
    .option('--wait <ms>', 'exit after this much silence once everything is sent', '1000')
    .option('--repeat <n>', 'send the text this many times', '1')
    .option('--interval <ms>', 'pause between datagrams of --repeat (default 1000) or --file (default 0)')
    .option('--file <path>', 'send a file, split into datagrams of --size bytes')
    .option('--size <bytes>', 'with --file: bytes per datagram', '1024')
    .option('-p, --local-port <port>', 'send from this local port')
    .option('--broadcast', 'allow sending to a broadcast address (SO_BROADCAST)')
    .option('--ttl <hops>', 'multicast hops (0: this host only)');
  addMulticastOptions(addDatagramOptions(send));
  send.action((host: string, port: string, text: string | undefined, opts: Record<string, unknown>) => run(() => udpSend(host, port, text, opts)));
}

async function udpListen(portArg: string, opts: Record<string, unknown>): Promise<CommandResult> {
  const port = parsePort(portArg);
  const host = opts.host === undefined ? undefined : parseHost(String(opts.host), '--host');
  const data = readDataOptions(opts);
  const socket = new UdpSocket({
    port, host, encoding: data.encoding,
    reply: opts.reply as string | undefined, echo: Boolean(opts.echo),
    allow: opts.allow as string[] | undefined, deny: opts.deny as string[] | undefined,
    join: opts.join as string[] | undefined, multicastInterface: opts.iface as string | undefined,
    decode: data.json || !data.hex,
  });
  const { out, render } = stdoutRenderer(data);
  socket.on('event', opts.quiet ? (e) => e.event !== 'data' && e.event !== 'send' && render(e) : render);
  await socket.open();
  out.flush();

  const stopInput = readTargetedLines((text) => toDatagram(text, data, 'typed hex', false), (target, bytes) => {
    const count = socket.sendToPeer(bytes, target);
    if (count === 0) process.stderr.write(target === 'all' ? 'no peer has sent anything yet; nothing sent\n' : `no peer #${target}; nothing sent\n`);
  });
  const unregister = onStopSignal(() => void socket.close());
  await socket.closed;
  unregister();
  stopInput();
  out.flush();
  return 0;
}

/** Encodes one typed line (or argument) as a datagram: hex with --send-hex, else text with escapes. */
function toDatagram(text: string, data: DataOptions, name: string, escapes: boolean): Buffer {
  if (data.sendHex) return Buffer.from(parseHex(text, name));
  return escapes ? unescapeText(text, data.encoding, name) : encodeText(text, data.encoding);
}

async function udpSend(hostArg: string, portArg: string, text: string | undefined, opts: Record<string, unknown>): Promise<CommandResult> {
  const host = parseHost(hostArg);
  const port = parsePort(portArg, 'port', { allowZero: false });
  const data = readDataOptions(opts);
  const waitMs = msOption(opts.wait, '--wait')!;
  const repeat = parseInteger(String(opts.repeat), '--repeat', 1);
  const filePath = opts.file as string | undefined;
  const intervalMs = msOption(opts.interval, '--interval') ?? (filePath ? 0 : 1000);
  const size = parseInteger(String(opts.size), '--size', 1, MAX_DATAGRAM_IPV6);
  const localPort = opts.localPort === undefined ? undefined : parsePort(String(opts.localPort), '--local-port');
  const ttl = opts.ttl === undefined ? undefined : parseInteger(String(opts.ttl), '--ttl', 0, 255);
  if (filePath && text !== undefined) throw new UsageError('give either [text] or --file, not both');
  if (filePath && repeat > 1) throw new UsageError('--repeat applies to [text], not to --file');
  const payload = text === undefined ? undefined : toDatagram(text, data, data.sendHex ? '[text] hex' : '[text]', true);
  let fd: number | undefined;
  let fileSize = 0;
  if (filePath) {
    try {
      fd = openSync(filePath, 'r');
      fileSize = fstatSync(fd).size;
    } catch {
      throw new UsageError(`--file: cannot read '${filePath}'`);
    }
  }

  const socket = new UdpSocket({
    remoteHost: host, remotePort: port, port: localPort,
    encoding: data.encoding, decode: data.json || !data.hex,
    broadcast: Boolean(opts.broadcast), join: opts.join as string[] | undefined,
    multicastInterface: opts.iface as string | undefined, multicastTtl: ttl,
  });
  const err = new LineWriter(process.stderr);
  const out = new LineWriter(process.stdout);
  const c = makePalette(colorWanted(process.stderr, opts.color as boolean | undefined));
  let lastActivity = Date.now();
  let refusal: SockitError | undefined;
  let stopRequested = false;
  const stopWaiters: (() => void)[] = [];
  const stopAll = () => {
    stopRequested = true;
    for (const w of stopWaiters.splice(0)) w();
  };

  const render = data.json ? stdoutRenderer(data, { showIds: false }).render : undefined;
  socket.on('event', (e) => {
    if (e.event === 'data') lastActivity = Date.now();
    if (e.event === 'error' && e.code === 'SOCKIT_ERR_REFUSED') {
      refusal ??= new SockitError('SOCKIT_ERR_REFUSED', e.message, { hint: e.hint, exitCode: 4 });
      stopAll();
      // people read it once, as the command's error; scripts also get the event
      if (render) render(e);
      return;
    }
    if (render) return render(e);
    switch (e.event) {
      case 'data': {
        // replies from anyone but the one peer (broadcast, multicast) say who sent them
        const from = socket.isConnected ? '' : `${e.peer}: `;
        if (data.hex) out.line(`${from ? from + '\n' : ''}${formatHexDump(e.payload)}`);
        else out.write(from + (e.text ?? '') + (e.text?.endsWith('\n') ? '' : '\n'));
        break;
      }
      case 'error':
        err.line(c.err(`error: ${e.message} [${e.code}]`));
        break;
      default:
        break;
    }
  });

  try {
    await socket.open();
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw e;
  }
  const target = socket.remotePeer;
  const unregister = onStopSignal(stopAll);
  const sendOne = async (bytes: Buffer) => {
    try {
      await socket.send(bytes);
    } catch (e) {
      if ((e as SockitError).code === 'SOCKIT_ERR_REFUSED') {
        refusal ??= e as SockitError;
        stopAll();
        return;
      }
      throw e;
    }
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopRequested || ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        const i = stopWaiters.indexOf(done);
        if (i >= 0) stopWaiters.splice(i, 1);
        resolve();
      }
      stopWaiters.push(done);
    });

  try {
    if (payload) {
      for (let i = 0; i < repeat && !stopRequested; i++) {
        if (i > 0) await pause(intervalMs);
        if (stopRequested) break;
        await sendOne(payload);
        lastActivity = Date.now();
      }
    } else if (fd !== undefined) {
      await sendFile(socket, fd, fileSize, size, intervalMs, filePath!, sendOne, pause, () => stopRequested);
      lastActivity = Date.now();
    } else {
      if (process.stdin.isTTY) err.line(c.sys(`type a line to send it as one datagram to ${target}; Ctrl-D ends`));
      await sendStdinLines(data, sendOne, () => stopRequested, stopWaiters, () => (lastActivity = Date.now()));
    }
    // replies may still be on their way: wait for a silence of --wait
    while (!stopRequested) {
      const idle = Date.now() - lastActivity;
      if (idle >= waitMs) break;
      await pause(Math.min(50, waitMs - idle));
    }
  } finally {
    unregister();
    if (fd !== undefined) closeSync(fd);
    await socket.close();
    out.flush();
    const s = socket.stats;
    if (!data.json) err.line(c.dim(`${s.messagesOut} datagram${s.messagesOut === 1 ? '' : 's'} sent (${formatBytes(s.bytesOut)}) to ${target}, ${s.messagesIn} received (${formatBytes(s.bytesIn)})`));
    err.flush();
  }
  if (refusal) throw refusal;
  return 0;
}

async function sendFile(
  socket: UdpSocket, fd: number, fileSize: number, size: number, intervalMs: number, filePath: string,
  sendOne: (b: Buffer) => Promise<void>, pause: (ms: number) => Promise<void>, stopped: () => boolean,
): Promise<void> {
  try {
    checkDatagramSize(size, socket.remote!.address);
  } catch (e) {
    throw new UsageError(`--size: ${(e as Error).message}`);
  }
  const bar = new ProgressBar(`sending ${filePath}`, fileSize);
  // one buffer for the whole file: each datagram is handed to the kernel before the next read
  const buffer = Buffer.allocUnsafe(size);
  let offset = 0;
  while (offset < fileSize && !stopped()) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, size, offset);
    } catch (e) {
      throw new SockitError('SOCKIT_ERR_FILE', `could not read ${filePath}: ${(e as Error).message}`, { cause: e });
    }
    if (n === 0) break;
    await sendOne(buffer.subarray(0, n));
    offset += n;
    bar.add(n);
    if (intervalMs > 0) await pause(intervalMs);
  }
  bar.finish();
}

async function sendStdinLines(
  data: DataOptions, sendOne: (b: Buffer) => Promise<void>, stopped: () => boolean, stopWaiters: (() => void)[], touched: () => void,
): Promise<void> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const stop = () => rl.close();
  stopWaiters.push(stop);
  try {
    for await (const line of rl) {
      if (stopped()) break;
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
    const i = stopWaiters.indexOf(stop);
    if (i >= 0) stopWaiters.splice(i, 1);
    rl.close();
    process.stdin.destroy();
  }
}
