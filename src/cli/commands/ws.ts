// `sockit ws listen` and `sockit ws connect`: the CLI faces of the WebSocket server and client sessions.
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { WsClient } from '../../ws/ws-client.js';
import { describeCloseCode } from '../../ws/close-codes.js';
import { encodeText } from '../../wire/codec.js';
import { formatHexDump, parseHex } from '../../wire/hex.js';
import { parseHost, parseInteger, parsePort, parseSize } from '../../wire/endpoint.js';
import { parseHeaderLine } from '../../wire/ws-url.js';
import { unescapeText } from '../../wire/template.js';
import { loadTlsMaterial } from '../../net/tls-cert.js';
import { SockitError, UsageError } from '../../errors.js';
import { addServerOptions, collect, msOption, readDataOptions, readTargetedLines, secondsOption, stdoutRenderer, type DataOptions } from '../common.js';
import { onStopSignal } from '../signals.js';
import { LineWriter, makePalette, colorWanted, escapeControl, formatBytes } from '../output.js';
import type { SessionEvent } from '../../net/session.js';
import type { CommandResult } from '../main.js';

/** How text is shown and typed; a WebSocket message is always one message, so there is no --frame. */
function addMessageOptions(cmd: Command): Command {
  return cmd
    .option('-e, --encoding <name>', 'text encoding: utf8, gbk, gb18030, big5, shift_jis, latin1, ... (any iconv-lite name)', 'utf8')
    .option('-x, --hex', 'show messages as a hex dump')
    .option('--send-hex', 'read what you type or send as hex, sent as binary frames (48 65 6c, 48656c, 0x48,0x65)')
    .option('--binary', 'send binary frames (default: text frames, binary where the bytes are not UTF-8)')
    .option('--max-payload <size>', 'largest message accepted; larger ones are refused with close code 1009', '16MiB')
    .option('--json', 'one JSON event per line on stdout, for scripts')
    .option('--no-color', 'no colours, even on a terminal');
}

/** Registers `ws listen` and `ws connect`. */
export function registerWs(program: Command, run: (fn: () => Promise<CommandResult>) => Promise<void>): void {
  const ws = program.command('ws').description('WebSocket server (listen) and client (connect)');

  const listen = ws
    .command('listen')
    .description('WebSocket server: many clients at once; shows the handshake, every frame and the close code; answers as told; stdin lines go to every client ("@<id> text" to one)')
    .argument('<port>', 'port to listen on (0: any free port)')
    .option('-H, --host <host>', 'address to listen on (default: all interfaces, IPv4 and IPv6)')
    .option('--path <path>', 'accept WebSocket upgrades on this path only (others get 404)')
    .option('--subprotocol <name>', 'a subprotocol this server speaks, preferred first (repeatable)', collect)
    .option('--origin <origin>', 'only browsers from this origin may connect, as https://example.com (repeatable)', collect)
    .option('-q, --quiet', 'show connections and errors, not each message');
  addServerOptions(addMessageOptions(listen));
  listen.action((port: string, opts: Record<string, unknown>) => run(() => wsListen(port, opts)));

  const connect = ws
    .command('connect')
    .description('WebSocket client: each stdin line is a message, each message arrives on stdout (like wscat and websocat)')
    .argument('<url>', 'ws://host:port/path or wss://...')
    .option('-H, --header <header>', "an extra request header, 'Name: value' (repeatable)", collect)
    .option('--subprotocol <name>', 'offer this subprotocol (repeatable, preferred first)', collect)
    .option('--origin <origin>', 'send this Origin header, as a browser would')
    .option('--auth <user:password>', 'HTTP Basic authentication')
    .option('-s, --send <text>', 'send this message (\\n \\r \\t \\xHH escapes) and print the replies; repeatable', collect)
    .option('--wait <ms>', 'with --send: close after this much silence', '1000')
    .option('--repeat <n>', 'send the --send messages this many times', '1')
    .option('--interval <ms>', 'pause between repeats', '1000')
    .option('--fragment <size>', 'send each message in fragments of this many bytes')
    .option('--ping <ms>', 'send a ping this often and show each round trip')
    .option('--reconnect', 'connect again when the connection ends or fails, waiting longer after each failure')
    .option('--proxy <url>', 'go through this HTTP proxy with CONNECT: http://[user:pass@]host:port')
    .option('--ca <file>', 'wss: trust this CA certificate (PEM)')
    .option('--insecure', 'wss: accept any certificate (self-signed servers)')
    .option('--connect-timeout <ms>', 'give up when connecting and the handshake take longer', '10000')
    .option('--idle-timeout <s>', 'close after this many seconds of silence');
  addMessageOptions(connect);
  connect.action((url: string, opts: Record<string, unknown>) => run(() => wsConnect(url, opts)));
}

function maxPayload(opts: Record<string, unknown>): number {
  return parseSize(String(opts.maxPayload ?? '16MiB'), '--max-payload', 1, 2 ** 32 - 1);
}

async function wsListen(portArg: string, opts: Record<string, unknown>): Promise<CommandResult> {
  const port = parsePort(portArg);
  const host = opts.host === undefined ? undefined : parseHost(String(opts.host), '--host');
  const data = readDataOptions(opts);
  const path = opts.path as string | undefined;
  if (path !== undefined && !path.startsWith('/')) throw new UsageError(`--path must begin with /, got '${path}'`);
  const maxConnections = opts.maxConns === undefined ? undefined : parseInteger(String(opts.maxConns), '--max-conns', 1);
  const idleTimeoutMs = secondsOption(opts.idleTimeout, '--idle-timeout');
  const tls = opts.tls || opts.cert || opts.key ? await loadTlsMaterial({ certPath: opts.cert as string, keyPath: opts.key as string, names: host ? [host] : [] }) : undefined;

  // loaded when used: the ws package and https stay out of every other command's start-up
  const { WsServer } = await import('../../ws/ws-server.js');
  const server = new WsServer({
    port, host, path,
    subprotocols: opts.subprotocol as string[] | undefined, origins: opts.origin as string[] | undefined,
    maxPayloadBytes: maxPayload(opts), encoding: data.encoding, binary: Boolean(opts.binary),
    welcome: opts.welcome as string | undefined, reply: opts.reply as string | undefined,
    echo: Boolean(opts.echo), closeAfterReply: Boolean(opts.close), quit: opts.quit as string | undefined, chat: Boolean(opts.chat),
    maxConnections, idleTimeoutMs, allow: opts.allow as string[] | undefined, deny: opts.deny as string[] | undefined,
    decode: data.json || !data.hex,
    tls: tls ? { key: tls.key, cert: tls.cert } : undefined,
  });
  const { out, render } = stdoutRenderer(data);
  // quiet: the server then neither decodes messages nor builds their events
  server.messageEvents = !opts.quiet;
  server.on('event', render);
  await server.listen();
  out.flush();

  const stopInput = readTargetedLines((text) => typedMessage(text, data), (target, bytes) => {
    const count = server.send(bytes, target, data.sendHex ? true : undefined);
    if (count === 0) process.stderr.write(target === 'all' ? 'no client is connected; nothing sent\n' : `no client #${target}; nothing sent\n`);
  });
  const unregister = onStopSignal(() => void server.close());
  await server.closed;
  unregister();
  stopInput();
  out.flush();
  return 0;
}

/** A typed line as a message: hex with --send-hex, else text in the encoding. */
function typedMessage(text: string, data: DataOptions): Buffer {
  return data.sendHex ? Buffer.from(parseHex(text, 'typed hex')) : encodeText(text, data.encoding);
}

function readFileOption(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SockitError('SOCKIT_ERR_FILE', `${flag}: cannot read '${path}': ${(err as Error).message}`, { cause: err, exitCode: 2 });
  }
}

async function wsConnect(url: string, opts: Record<string, unknown>): Promise<CommandResult> {
  const data = readDataOptions(opts);
  const waitMs = msOption(opts.wait, '--wait')!;
  const repeat = parseInteger(String(opts.repeat), '--repeat', 1);
  const intervalMs = msOption(opts.interval, '--interval')!;
  const fragment = opts.fragment === undefined ? undefined : parseSize(String(opts.fragment), '--fragment', 1, 2 ** 32 - 1);
  const pingIntervalMs = msOption(opts.ping, '--ping', 1);
  const headers: Record<string, string> = {};
  for (const line of (opts.header as string[] | undefined) ?? []) {
    const [k, v] = parseHeaderLine(line, '--header');
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  const sends = ((opts.send as string[] | undefined) ?? []).map((s) => (data.sendHex ? Buffer.from(parseHex(s, '--send')) : Buffer.from(unescapeText(s, data.encoding))));
  const binary = data.sendHex || opts.binary ? true : undefined;
  const { WsClient } = await import('../../ws/ws-client.js');
  const client = new WsClient({
    url, headers, subprotocols: opts.subprotocol as string[] | undefined, origin: opts.origin as string | undefined,
    auth: opts.auth as string | undefined, proxy: opts.proxy as string | undefined, pingIntervalMs,
    reconnect: Boolean(opts.reconnect), connectTimeoutMs: msOption(opts.connectTimeout, '--connect-timeout', 1),
    idleTimeoutMs: secondsOption(opts.idleTimeout, '--idle-timeout'), maxPayloadBytes: maxPayload(opts),
    encoding: data.encoding, decode: !data.hex || data.json, binary: Boolean(opts.binary),
    tls: { ca: opts.ca ? readFileOption(String(opts.ca), '--ca') : undefined, rejectUnauthorized: !opts.insecure },
  });
  const err = new LineWriter(process.stderr);
  let lastActivity = Date.now();
  let gaveUp = false;
  client.on('event', (e) => {
    if (e.event === 'data') lastActivity = Date.now();
    if (e.event === 'error' && /^gave up/.test(e.message)) gaveUp = true;
  });
  if (data.json) client.on('event', stdoutRenderer(data, { showIds: false }).render);
  else client.on('event', clientRenderer(data, err, opts.color as boolean | undefined));

  /** One message, in fragments with --fragment. Resolves false when it could not be sent. */
  const sendMessage = async (bytes: Buffer): Promise<boolean> => {
    if (fragment === undefined || bytes.length <= fragment) return client.send(bytes, { binary });
    // the first fragment's type is the message's: judged on the whole message, not on a piece cut mid-character
    const asBinary = binary ?? !isUtf8(bytes);
    for (let at = 0; at < bytes.length; at += fragment) {
      const last = at + fragment >= bytes.length;
      if (!(await client.send(bytes.subarray(at, at + fragment), { binary: asBinary, fin: last }))) return false;
    }
    return true;
  };

  // Ctrl-C also stops a client still waiting to reconnect
  const stop = onStopSignal(() => void client.close(1000, '', true));
  await client.connect();
  if (sends.length) {
    for (let i = 0; i < repeat && !client.ended; i++) {
      if (i > 0) await delay(intervalMs);
      for (const bytes of sends) await sendMessage(bytes);
      lastActivity = Date.now();
    }
    await Promise.race([silence(waitMs, () => lastActivity, () => client.ended), client.closed]);
    await client.close();
  } else {
    const stopStdin = pumpStdin(client, data, sendMessage);
    await client.closed;
    stopStdin();
  }
  stop();
  err.flush();
  return gaveUp ? 4 : 0;
}

/** Each stdin line is one message; the end of stdin closes the connection (1000) once the lines are sent. */
function pumpStdin(client: WsClient, data: DataOptions, sendMessage: (bytes: Buffer) => Promise<boolean>): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    let bytes: Buffer;
    try {
      bytes = typedMessage(line, data);
    } catch (e) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      return;
    }
    queue = queue.then(async () => {
      if (!(await sendMessage(bytes)) && !client.ended) process.stderr.write('not connected; nothing sent\n');
    });
  });
  rl.on('close', () => void queue.then(() => client.close()));
  rl.on('error', () => {});
  return () => {
    rl.close();
    process.stdin.destroy();
  };
}

/** A client's events for people: messages on stdout, the rest (handshake, pings, close code) on stderr. */
function clientRenderer(data: DataOptions, err: LineWriter, colorFlag: boolean | undefined): (e: SessionEvent) => void {
  const out = new LineWriter(process.stdout);
  const c = makePalette(colorWanted(process.stderr, colorFlag));
  return (e) => {
    switch (e.event) {
      case 'connect': {
        const h = e.handshake;
        const extra = h ? [h.subprotocol ? `subprotocol ${escapeControl(h.subprotocol)}` : ''].filter(Boolean).join(', ') : '';
        err.line(c.sys(`connected to ${e.peer} from ${e.local}${extra ? ` (${extra})` : ''}`));
        break;
      }
      case 'data':
        if (data.hex || (e.opcode === 'binary' && (e.text === undefined || /[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]/.test(e.text)))) out.line(formatHexDump(e.payload));
        else out.line(e.text ?? '');
        break;
      case 'control':
        if (e.direction === 'in' && e.opcode === 'pong' && e.rttMs !== undefined) err.line(c.dim(`pong: round trip ${e.rttMs} ms`));
        break;
      case 'close': {
        out.flush();
        const f = e.closeFrame;
        const code = f ? `; ${f.by === 'us' ? 'sent' : 'received'} ${describeCloseCode(f.code)}${f.reason ? ` "${escapeControl(f.reason)}"` : ''}` : '';
        err.line(c.sys(`connection closed (${e.reason}${code}); ${formatBytes(e.bytesIn)} received, ${formatBytes(e.bytesOut)} sent`));
        break;
      }
      case 'retry':
        err.line(c.sys(`reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}): ${e.reason}`));
        break;
      case 'error':
        err.line(c.err(`error: ${e.message} [${e.code}]`));
        break;
      default:
        break;
    }
  };
}

/** Resolves once nothing arrived for `waitMs`, or the session ended. */
function silence(waitMs: number, last: () => number, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => {
      if (done()) return resolve();
      const idle = Date.now() - last();
      if (idle >= waitMs) return resolve();
      setTimeout(tick, Math.min(50, waitMs - idle)).unref();
    };
    tick();
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
