// `sockit tcp listen` and `sockit tcp connect`: the CLI faces of the TCP server and client sessions.
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { TcpServer } from '../../net/tcp-server.js';
import { TcpClient } from '../../net/tcp-client.js';
import { encodeText, createDecoder } from '../../wire/codec.js';
import { encodeFrame } from '../../wire/framing.js';
import { parseHex } from '../../wire/hex.js';
import { parseHost, parseInteger, parsePort } from '../../wire/endpoint.js';
import { unescapeText } from '../../wire/template.js';
import { loadTlsMaterial } from '../../net/tls-cert.js';
import { SockitError, UsageError } from '../../errors.js';
import { addDataOptions, addServerOptions, collect, readTargetedLines, msOption, readDataOptions, secondsOption, stdoutRenderer, type DataOptions } from '../common.js';
import { onStopSignal } from '../signals.js';
import { ProgressBar } from '../progress.js';
import { formatHexDump } from '../../wire/hex.js';
import { LineWriter, makePalette, colorWanted, formatBytes } from '../output.js';
import type { CommandResult } from '../main.js';

/** Registers `tcp listen` and `tcp connect`. */
export function registerTcp(program: Command, run: (fn: () => Promise<CommandResult>) => Promise<void>): void {
  const tcp = program.command('tcp').description('TCP server (listen) and client (connect)');

  const listen = tcp
    .command('listen')
    .description('TCP server: many clients at once; shows what arrives, answers as told; stdin lines go to every client ("@<id> text" to one)')
    .argument('<port>', 'port to listen on (0: any free port)')
    .option('-H, --host <host>', 'address to listen on (default: all interfaces, IPv4 and IPv6)')
    .option('-q, --quiet', 'show connections and errors, not each message');
  addServerOptions(addDataOptions(listen));
  listen.action((port: string, opts: Record<string, unknown>) => run(() => tcpListen(port, opts)));

  const connect = tcp
    .command('connect')
    .description('TCP client: stdin to the server, the server to stdout (like nc)')
    .argument('<host>', 'server host name or address')
    .argument('<port>', 'server port')
    .option('-s, --send <text>', 'send this (\\n \\r \\t \\xHH escapes) and print the replies; repeatable', collect)
    .option('--wait <ms>', 'with --send/--file: exit after this much silence', '1000')
    .option('--repeat <n>', 'send the --send texts this many times', '1')
    .option('--interval <ms>', 'pause between repeats', '1000')
    .option('--file <path>', 'send a file (progress on stderr), then half-close')
    .option('--out <path>', 'save what arrives to this file instead of printing it')
    .option('--connect-timeout <ms>', 'give up connecting after this long', '10000')
    .option('--idle-timeout <s>', 'close after this many seconds of silence')
    .option('--tls', 'connect with TLS')
    .option('--insecure', 'with --tls: accept any certificate (self-signed servers)')
    .option('--ca <file>', 'with --tls (implied): trust the certificates in this PEM file, such as a private CA');
  addDataOptions(connect);
  connect.action((host: string, port: string, opts: Record<string, unknown>) => run(() => tcpConnect(host, port, opts)));
}

async function tcpListen(portArg: string, opts: Record<string, unknown>): Promise<CommandResult> {
  const port = parsePort(portArg);
  const host = opts.host === undefined ? undefined : parseHost(String(opts.host), '--host');
  const data = readDataOptions(opts);
  const maxConnections = opts.maxConns === undefined ? undefined : parseInteger(String(opts.maxConns), '--max-conns', 1);
  const idleTimeoutMs = secondsOption(opts.idleTimeout, '--idle-timeout');
  const tls = opts.tls || opts.cert || opts.key ? await loadTlsMaterial({ certPath: opts.cert as string, keyPath: opts.key as string, names: host ? [host] : [] }) : undefined;

  const server = new TcpServer({
    port, host,
    encoding: data.encoding, frame: data.frame, maxFrameBytes: data.maxFrameBytes,
    welcome: opts.welcome as string | undefined, reply: opts.reply as string | undefined,
    echo: Boolean(opts.echo), closeAfterReply: Boolean(opts.close), quit: opts.quit as string | undefined, chat: Boolean(opts.chat),
    maxConnections, idleTimeoutMs, allow: opts.allow as string[] | undefined, deny: opts.deny as string[] | undefined,
    decode: data.json || !data.hex,
    tls: tls ? { key: tls.key, cert: tls.cert } : undefined,
  });
  const { out, render } = stdoutRenderer(data);
  const quiet = Boolean(opts.quiet);
  // quiet: the server then neither decodes messages nor builds their events
  server.messageEvents = !quiet;
  server.on('event', render);
  await server.listen();
  out.flush();

  const encodeLine = (text: string) =>
    data.sendHex ? encodeFrame(data.frame, Buffer.from(parseHex(text, 'typed hex'))) : encodeFrame(data.frame, encodeText(text, data.encoding), true);
  const stopInput = readTargetedLines(encodeLine, (target, bytes) => {
    const count = server.send(bytes, target);
    if (count === 0) process.stderr.write(target === 'all' ? 'no client is connected; nothing sent\n' : `no client #${target}; nothing sent\n`);
  });
  const unregister = onStopSignal(() => void server.close());
  await server.closed;
  unregister();
  stopInput();
  out.flush();
  return 0;
}

async function tcpConnect(hostArg: string, portArg: string, opts: Record<string, unknown>): Promise<CommandResult> {
  const host = parseHost(hostArg);
  const port = parsePort(portArg, 'port', { allowZero: false });
  const data = readDataOptions(opts);
  const waitMs = msOption(opts.wait, '--wait')!;
  const repeat = parseInteger(String(opts.repeat), '--repeat', 1);
  const intervalMs = msOption(opts.interval, '--interval')!;
  const connectTimeoutMs = msOption(opts.connectTimeout, '--connect-timeout', 1)!;
  const idleTimeoutMs = secondsOption(opts.idleTimeout, '--idle-timeout');
  const sends = ((opts.send as string[] | undefined) ?? []).map((s) =>
    data.sendHex ? encodeFrame(data.frame, Buffer.from(parseHex(s, '--send'))) : encodeFrame(data.frame, unescapeText(s, data.encoding)),
  );
  const filePath = opts.file as string | undefined;
  let fileSize = 0;
  if (filePath) {
    try {
      fileSize = statSync(filePath).size;
    } catch {
      throw new UsageError(`--file: cannot read '${filePath}'`);
    }
  }
  if (filePath && sends.length) throw new UsageError('--file and --send cannot be used together');
  let ca: Buffer | undefined;
  if (opts.ca !== undefined) {
    try {
      ca = readFileSync(String(opts.ca));
    } catch {
      throw new UsageError(`--ca: cannot read '${opts.ca}'`);
    }
  }

  const client = new TcpClient({
    host, port, encoding: data.encoding, frame: data.frame, maxFrameBytes: data.maxFrameBytes,
    connectTimeoutMs, idleTimeoutMs, decode: !data.hex || data.json,
    tls: opts.tls || ca ? { rejectUnauthorized: !opts.insecure, ca } : undefined,
  });
  const err = new LineWriter(process.stderr);
  const c = makePalette(colorWanted(process.stderr, opts.color as boolean | undefined));
  const outFile = opts.out ? createWriteStream(String(opts.out)) : undefined;
  let lastActivity = Date.now();

  if (data.json) {
    const { render } = stdoutRenderer(data, { showIds: false });
    client.on('event', render);
  } else {
    const out = new LineWriter(process.stdout);
    client.on('event', (e) => {
      switch (e.event) {
        case 'connect':
          err.line(c.sys(`connected to ${e.peer} from ${e.local}`));
          break;
        case 'data':
          if (outFile) outFile.write(e.payload);
          else if (data.hex) out.line(formatHexDump(e.payload));
          else out.write(data.frame.kind === 'raw' ? e.text ?? '' : (e.text ?? '') + '\n');
          break;
        case 'close':
          out.flush();
          err.line(c.sys(`connection closed (${e.reason}); ${formatBytes(e.bytesIn)} received, ${formatBytes(e.bytesOut)} sent`));
          break;
        case 'error':
          err.line(c.err(`error: ${e.message} [${e.code}]`));
          break;
        default:
          break;
      }
    });
  }

  await client.connect();
  const stop = onStopSignal(() => void client.close(true));
  const silence = () =>
    new Promise<void>((resolve) => {
      const tick = () => {
        if (client.stats.active === 0) return resolve();
        const idle = Date.now() - lastActivity;
        if (idle >= waitMs) return resolve();
        setTimeout(tick, Math.min(50, waitMs - idle)).unref();
      };
      tick();
    });
  // any mode: what arrives resets the --wait silence
  client.on('event', (e) => {
    if (e.event === 'data') lastActivity = Date.now();
  });

  if (sends.length) {
    for (let i = 0; i < repeat && client.stats.active; i++) {
      if (i > 0) await delay(intervalMs);
      for (const bytes of sends) await client.send(bytes);
      lastActivity = Date.now();
    }
    await Promise.race([silence(), client.closed]);
    await client.close();
  } else if (filePath) {
    const bar = new ProgressBar(`sending ${filePath}`, fileSize);
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(filePath);
      stream.on('data', (chunk) => {
        client.countSent(chunk.length);
        bar.add(chunk.length);
      });
      stream.on('error', (e) => reject(new SockitError('SOCKIT_ERR_FILE', `could not read ${filePath}: ${e.message}`, { cause: e })));
      stream.on('end', resolve);
      stream.pipe(client.raw, { end: false });
    });
    bar.finish();
    client.end();
    lastActivity = Date.now();
    await Promise.race([silence(), client.closed]);
    await client.close();
  } else {
    pumpStdin(client, data);
    await client.closed;
  }
  stop();
  err.flush();
  if (outFile) await new Promise((r) => outFile.end(r));
  return 0;
}

/** stdin to the socket: raw bytes for UTF-8 (byte exact), transcoded otherwise, lines for hex and framed modes. */
function pumpStdin(client: TcpClient, data: DataOptions): void {
  const stdin = process.stdin;
  const byLine = data.sendHex || data.frame.kind !== 'raw';
  if (byLine) {
    const rl = createInterface({ input: stdin, terminal: false });
    rl.on('line', (line) => {
      try {
        const bytes = data.sendHex ? encodeFrame(data.frame, Buffer.from(parseHex(line, 'typed hex'))) : encodeFrame(data.frame, encodeText(line, data.encoding), true);
        void client.send(bytes);
      } catch (e) {
        process.stderr.write(`error: ${(e as Error).message}\n`);
      }
    });
    rl.on('close', () => client.end());
    return;
  }
  const transcode = data.encoding !== 'utf8' && data.encoding !== 'utf-8';
  const decoder = transcode ? createDecoder('utf8') : undefined;
  stdin.on('data', (chunk: Buffer) => {
    const bytes = decoder ? encodeText(decoder.write(chunk), data.encoding) : chunk;
    // backpressure: stop reading stdin until the socket drains
    stdin.pause();
    void client.send(bytes).then(() => stdin.resume());
  });
  stdin.on('end', () => client.end());
  stdin.on('error', () => client.end());
  void client.closed.then(() => stdin.destroy());
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
