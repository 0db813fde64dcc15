// `sockit ws listen` and `sockit ws connect`: the CLI faces of the WebSocket server and client sessions.
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { WsClient, WsClientOptions } from '../../ws/ws-client.js';
import type { WsServerOptions } from '../../ws/ws-server.js';
import { describeCloseCode } from '../../ws/close-codes.js';
import { encodeText } from '../../wire/codec.js';
import { parseSize } from '../../wire/endpoint.js';
import { parseHeaderLine } from '../../wire/ws-url.js';
import { encodeHexText, unescapeText } from '../../wire/template.js';
import { SockitError, UsageError } from '../../errors.js';
import {
  addCaptureOption, addLogOption, startLog, addConnectionServerOptions, addListenHostOption, addPayloadOption, addRuleOptions, readRuleOptions, RULE_FLAGS, SHOW_OPTION, addOutputOptions, addSendOptions, collect, CONNECTION_SERVER_FLAGS, dataRenderer, delay, loadServerTls,
  Output, RawOptions, readConnectionServerOptions, readDataOptions, readListenCommon, readServerTlsOptions, runListener, startCapture, waitForSilence,
  type CommandResult, type DataOptions, type ListenCommon, type Runner, type ServerTlsOptions,
} from '../command.js';
import { withExamples } from '../help.js';
import { declared, subcommand } from '../declare.js';
import { onStopSignal } from '../signals.js';
import { clientStatus, ReceivedWriter } from '../received.js';
import { escapeControl, formatBytes } from '../output.js';
import type { SessionEvent } from '../../net/session.js';
import { sessionText } from '../message-view.js';

/** How text is shown and typed; a WebSocket message is always one message, so there is no --frame. */
function addMessageOptions(cmd: Command): Command {
  cmd
    .option('-e, --encoding <name>', 'text encoding: utf8, gbk, gb18030, big5, shift_jis, latin1, ... (any iconv-lite name)', 'utf8')
    .option('-x, --hex', 'show messages as a hex dump')
    .option('--send-hex', 'read what you type or send as hex, sent as binary frames (48 65 6c, 48656c, 0x48,0x65)')
    .option('--binary', 'send binary frames (default: text frames, binary where the bytes are not UTF-8)')
    .option('--max-payload <size>', 'largest message accepted; larger ones are refused with close code 1009', '16MiB')
    .option(...SHOW_OPTION);
  return addOutputOptions(addPayloadOption(cmd));
}

/** Registers `ws listen` and `ws connect`. */
export function registerWs(program: Command, run: Runner): void {
  const ws = program.command('ws').description('WebSocket server (listen) and client (connect)');
  withExamples(ws, ['sockit ws listen 8080 --echo', 'sockit ws connect ws://127.0.0.1:8080/']);

  const listen = subcommand(ws, 'listen', 'WebSocket server: many clients at once; shows the handshake, every frame and the close code; answers as told; stdin lines go to every client ("@<id> text" to one)', ['<port>', 'port to listen on (0: any free port); host:port listens on that address only']);
  addListenHostOption(listen)
    .option('--path <path>', 'accept WebSocket upgrades on this path only (others get 404)')
    .option('--subprotocol <name>', 'a subprotocol this server speaks, preferred first (repeatable)', collect)
    .option('--origin <origin>', 'only browsers from this origin may connect, as https://example.com (repeatable)', collect)
    .option('-q, --quiet', 'show connections and errors, not each message');
  addLogOption(addCaptureOption(addConnectionServerOptions(addMessageOptions(listen))));
  declared(listen, [
    'sockit ws listen 8080',
    'sockit ws listen 8080 --echo --path /chat',
    'sockit ws listen 8443 --tls --chat',
  ], (port: string, raw: RawOptions) => run(() => wsListen(readListenOptions(port, raw)), CONNECTION_SERVER_FLAGS));

  const connect = subcommand(ws, 'connect', 'WebSocket client: each stdin line is a message, each message arrives on stdout (like wscat and websocat)', ['<url>', 'ws://host:port/path or wss://...'])
    .option('-H, --header <header>', "an extra request header, 'Name: value' (repeatable)", collect)
    .option('--subprotocol <name>', 'offer this subprotocol (repeatable, preferred first)', collect)
    .option('--origin <origin>', 'send this Origin header, as a browser would')
    .option('--auth <user:password>', 'HTTP Basic authentication')
    .option('-s, --send <text>', 'send this message (\\n \\r \\t \\xHH escapes) and print the replies; repeatable', collect);
  addSendOptions(connect, { wait: 'with --send: close after this much silence', repeat: 'send the --send messages this many times', interval: 'pause between repeats' }, '1000')
    .option('--fragment <size>', 'send each message in fragments of this many bytes')
    .option('--ping <ms>', 'send a ping this often and show each round trip')
    .option('--reconnect', 'connect again when the connection ends or fails, waiting longer after each failure')
    .option('--proxy <url>', 'go through this HTTP proxy with CONNECT: http://[user:pass@]host:port')
    .option('--ca <file>', 'wss: trust this CA certificate (PEM)')
    .option('--insecure', 'wss: accept any certificate (self-signed servers)')
    .option('--connect-timeout <ms>', 'give up when connecting and the handshake take longer', '10000')
    .option('--idle-timeout <s>', 'close after this many seconds of silence');
  addLogOption(addCaptureOption(addRuleOptions(addMessageOptions(connect))));
  declared(connect, [
    'sockit ws connect ws://127.0.0.1:8080/chat',
    'sockit ws connect ws://127.0.0.1:8080/ -s hello --wait 500',
    'sockit ws connect ws://127.0.0.1:8080/ --ping 1000 --reconnect',
  ], (url: string, raw: RawOptions) => run(() => wsConnect(readConnectOptions(url, raw)), RULE_FLAGS));
}

function maxPayload(raw: RawOptions): number {
  return parseSize(raw.text('maxPayload') ?? '16MiB', '--max-payload', 1, 2 ** 32 - 1);
}

/** `ws listen`'s options, typed. */
interface ListenOptions extends ListenCommon {
  server: WsServerOptions;
  tls: ServerTlsOptions;
}

function readListenOptions(portArg: string, raw: RawOptions): ListenOptions {
  const common = readListenCommon(portArg, raw);
  const path = raw.text('path');
  if (path !== undefined && !path.startsWith('/')) throw new UsageError(`--path must begin with /, got '${path}'`);
  const server: WsServerOptions = {
    ...common.session, ...readConnectionServerOptions(raw), path,
    subprotocols: raw.list('subprotocol'), origins: raw.list('origin'),
    maxPayloadBytes: maxPayload(raw), binary: raw.flag('binary'),
  };
  return { ...common, server, tls: readServerTlsOptions(raw) };
}

async function wsListen(o: ListenOptions): Promise<CommandResult> {
  const tls = await loadServerTls(o.tls, o.server.host);
  // loaded when used: the ws package and https stay out of every other command's start-up
  const { WsServer } = await import('../../ws/ws-server.js');
  const server = new WsServer({ ...o.server, tls: tls ? { key: tls.key, cert: tls.cert } : undefined });
  // quiet: the server then neither decodes messages nor builds their events
  server.messageEvents = !o.quiet;
  const output = new Output(o.data);
  return runListener({
    session: server, output, render: dataRenderer(output, o.data),
    start: (s) => s.listen(),
    encodeLine: (text) => typedMessage(text, o.data),
    send: (bytes, target) => server.send(bytes, target, o.data.sendHex ? true : undefined),
    nobody: (target) => (target === 'all' ? 'no client is connected; nothing sent' : `no client #${target}; nothing sent`),
    capture: startCapture(server, o.capture), log: startLog(server, o.logPath, o.data),
    clients: () => server.clients(), noun: 'client',
    kick: (id) => server.disconnect(id, 'closed by /kick'),
  });
}

/** A typed line as a message: hex with --send-hex, else text in the encoding. */
function typedMessage(text: string, data: DataOptions): Buffer {
  return data.sendHex ? encodeHexText(text, data.encoding, 'typed hex') : encodeText(text, data.encoding);
}

function readFileOption(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SockitError('SOCKIT_ERR_FILE', `${flag}: cannot read '${path}': ${(err as Error).message}`, { cause: err, exitCode: 2 });
  }
}

/** `ws connect`'s options, typed. */
interface ConnectOptions {
  client: WsClientOptions;
  data: DataOptions;
  waitMs: number;
  repeat: number;
  intervalMs: number;
  fragment?: number;
  /** The --send messages as bytes. */
  sends: Buffer[];
  /** Binary frames for every message (`--binary`, `--send-hex`); otherwise judged per message. */
  binary?: true;
  capture?: string;
  logPath?: string;
}

function readConnectOptions(url: string, raw: RawOptions): ConnectOptions {
  const data = readDataOptions(raw);
  const headers: Record<string, string> = {};
  for (const line of raw.list('header') ?? []) {
    const [k, v] = parseHeaderLine(line, '--header');
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  const ca = raw.text('ca');
  const fragment = raw.text('fragment');
  return {
    data,
    waitMs: raw.whole('wait', '--wait')!,
    repeat: raw.whole('repeat', '--repeat', 1)!,
    intervalMs: raw.whole('interval', '--interval')!,
    fragment: fragment === undefined ? undefined : parseSize(fragment, '--fragment', 1, 2 ** 32 - 1),
    sends: (raw.list('send') ?? []).map((s) => (data.sendHex ? encodeHexText(s, data.encoding, '--send') : Buffer.from(unescapeText(s, data.encoding)))),
    binary: data.sendHex || raw.flag('binary') ? true : undefined,
    client: {
      ...readRuleOptions(raw),
      url, headers, subprotocols: raw.list('subprotocol'), origin: raw.text('origin'),
      auth: raw.text('auth'), proxy: raw.text('proxy'), pingIntervalMs: raw.whole('ping', '--ping', 1),
      reconnect: raw.flag('reconnect'), connectTimeoutMs: raw.whole('connectTimeout', '--connect-timeout', 1),
      idleTimeoutMs: raw.seconds('idleTimeout', '--idle-timeout'), maxPayloadBytes: maxPayload(raw),
      ...sessionText(data), binary: raw.flag('binary'),
      tls: { ca: ca === undefined ? undefined : readFileOption(ca, '--ca'), rejectUnauthorized: !raw.flag('insecure') },
    },
    capture: raw.text('capture'), logPath: raw.text('log'),
  };
}

async function wsConnect(o: ConnectOptions): Promise<CommandResult> {
  const { data } = o;
  const { WsClient } = await import('../../ws/ws-client.js');
  const client = new WsClient(o.client);
  const capture = startCapture(client, o.capture);
  const log = startLog(client, o.logPath, o.data);
  const output = new Output(data);
  let lastActivity = Date.now();
  let gaveUp = false;
  client.on('event', (e) => {
    if (e.event === 'data') lastActivity = Date.now();
    if (e.event === 'error' && /^gave up/.test(e.message)) gaveUp = true;
  });
  client.on('event', data.json ? dataRenderer(output, data, { showIds: false }) : clientRenderer(data, output));

  /** One message, in fragments with --fragment. Resolves false when it could not be sent. */
  const sendMessage = async (bytes: Buffer): Promise<boolean> => {
    if (o.fragment === undefined || bytes.length <= o.fragment) return client.send(bytes, { binary: o.binary });
    // the first fragment's type is the message's: judged on the whole message, not on a piece cut mid-character
    const asBinary = o.binary ?? !isUtf8(bytes);
    for (let at = 0; at < bytes.length; at += o.fragment) {
      const last = at + o.fragment >= bytes.length;
      if (!(await client.send(bytes.subarray(at, at + o.fragment), { binary: asBinary, fin: last }))) return false;
    }
    return true;
  };

  // Ctrl-C also stops a client still waiting to reconnect
  const stop = onStopSignal(() => void client.close(1000, '', true));
  await client.connect();
  if (o.sends.length) {
    for (let i = 0; i < o.repeat && !client.ended; i++) {
      if (i > 0) await delay(o.intervalMs);
      for (const bytes of o.sends) await sendMessage(bytes);
      lastActivity = Date.now();
    }
    await Promise.race([waitForSilence(o.waitMs, () => lastActivity, () => client.ended), client.closed]);
    await client.close();
  } else {
    const stopStdin = pumpStdin(client, data, sendMessage);
    await client.closed;
    stopStdin();
  }
  stop();
  output.flush();
  await capture?.finish();
  await log?.close();
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
function clientRenderer(data: DataOptions, output: Output): (e: SessionEvent) => void {
  const { out, err, ce: c } = output;
  const received = new ReceivedWriter(out, { hex: data.hex, encoding: data.encoding, messages: true, terminal: Boolean(process.stdout.isTTY), showBytes: data.showBytes, hints: err });
  return (e) => {
    switch (e.event) {
      case 'connect': {
        const h = e.handshake;
        const extra = h ? [h.subprotocol ? `subprotocol ${escapeControl(h.subprotocol)}` : ''].filter(Boolean).join(', ') : '';
        err.line(c.sys(`connected to ${e.peer} from ${e.local}${extra ? ` (${extra})` : ''}`));
        break;
      }
      case 'data':
        received.write(e.payload, e.text);
        break;
      case 'control':
        if (e.direction === 'in' && e.opcode === 'pong' && e.rttMs !== undefined) err.line(c.dim(`pong: round trip ${e.rttMs} ms`));
        break;
      case 'close':
      case 'error':
      case 'retry':
        clientStatus(e, out, err, c, ({ closeFrame: f }) =>
          f ? `; ${f.by === 'us' ? 'sent' : 'received'} ${describeCloseCode(f.code)}${f.reason ? ` "${escapeControl(f.reason)}"` : ''}` : '',
        );
        break;
      default:
        break;
    }
  };
}
