// What every command shares: its result type, options declared once and read by type, and where it writes (the listen loop is in listener.ts, waits in wait.ts).
import { readFileSync } from 'node:fs';
import { Command, type OptionValues } from 'commander';
import { resolveEncoding } from '../wire/codec.js';
import { describeFrame, parseFrame, DEFAULT_MAX_FRAME_BYTES, type FrameSpec } from '../wire/framing.js';
import { hasPort, parseHost, parseInteger, parsePort, parseSize, parseTarget } from '../wire/endpoint.js';
import { UsageError } from '../errors.js';
import { loadTlsMaterial, type TlsMaterial } from '../net/tls-cert.js';
import { CHAT_PREFIX } from '../net/behaviour.js';
import { colorWanted, createEventRenderer, makePalette, LineWriter, type Palette, type RenderOptions } from './output.js';
import { PAYLOAD_FORMS, type PayloadForm, type SessionEvent, type TextOptions } from '../net/session.js';
import { paceForTerminal } from './terminal-pace.js';
import { FILE_SHOW_BYTES, sessionText, TERMINAL_SHOW_BYTES } from './message-view.js';

/** What a command's action resolves to: its exit code. */
export type CommandResult = number;

/**
 * Library option names (fields, such as `sizeBytes`) and the flags a command spells them with
 * (`--size`): an error about a field is shown with the flag.
 */
export type FieldFlags = Readonly<Record<string, string>>;

/** Runs a command's body for the program, so its exit code (or error, fields named as flags) reaches main. */
export type Runner = (body: () => Promise<CommandResult>, flags?: FieldFlags) => Promise<void>;

/** A library error about a field, told with the flag that sets it; other errors as they are. */
export function nameFlags(err: unknown, flags: FieldFlags): unknown {
  if (!(err instanceof UsageError) || err.field === undefined) return err;
  const flag = flags[err.field];
  return flag === undefined ? err : err.renamed(flag);
}

/** sockit's version, from its package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Collects a repeatable option into an array. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Commander's option values, read by type: each command reads them once into its own typed options. */
export class RawOptions {
  constructor(private readonly values: OptionValues) {}

  /** A value given as text (or its default), if any. */
  text(key: string): string | undefined {
    const v: unknown = this.values[key];
    return typeof v === 'string' ? v : undefined;
  }

  /** A value as commander gives it (an option with an optional value is `true` without one). */
  value(key: string): unknown {
    return this.values[key];
  }

  /** A switch: true when given (a `--no-x` switch: true unless given). */
  flag(key: string): boolean {
    return this.values[key] === true;
  }

  /** A repeatable option's values, if any were given. */
  list(key: string): string[] | undefined {
    const v: unknown = this.values[key];
    return Array.isArray(v) ? v.map(String) : undefined;
  }

  /** `-H, --host`, when given: a host name or address. */
  host(): string | undefined {
    const text = this.text('host');
    return text === undefined ? undefined : parseHost(text, '--host');
  }

  /** Seconds (fractions allowed) as milliseconds. */
  seconds(key: string, flag: string): number | undefined {
    const text = this.text(key);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a number of seconds above 0, got '${text}'`);
    return Math.round(n * 1000);
  }

  /** A whole number (milliseconds, a count) of at least `min`. */
  whole(key: string, flag: string, min = 0, max?: number): number | undefined {
    const text = this.text(key);
    return text === undefined ? undefined : parseInteger(text, flag, min, max);
  }
}

/** `--json` and, where there is colour to turn off, `--no-color`. */
export function addOutputOptions(cmd: Command, jsonHelp = 'one JSON event per line on stdout, for scripts', { color = true } = {}): Command {
  cmd.option('--json', jsonHelp);
  return color ? cmd.option('--no-color', 'no colours, even on a terminal') : cmd;
}

/** `-H, --host` for a server that listens on every interface unless told. */
export function addListenHostOption(cmd: Command): Command {
  return cmd.option('-H, --host <host>', 'address to listen on (default: all interfaces, IPv4 and IPv6)');
}

/** `--rule`, `--rules-file`: answers chosen by what arrived, first match wins. */
export function addRuleOptions(cmd: Command): Command {
  return cmd
    .option('--rule <rule>', "'<match> => <action>', e.g. 'prefix:AT => OK\\r\\n' or 'hex:01 03 ?? ?? => {hex:01 03 02 00 2a}{crc16modbus}' (repeatable; first match wins)", collect)
    .option('--rules-file <file>', 'rules from a JSON or YAML file, reloaded when it changes');
}

/** The parsed `--rule` and `--rules-file`. */
export interface RuleOptions {
  rules?: string[];
  rulesFile?: string;
}

/** Reads `--rule` and `--rules-file`. */
export function readRuleOptions(raw: RawOptions): RuleOptions {
  return { rules: raw.list('rule'), rulesFile: raw.text('rulesFile') };
}

/** How the rule options are named when the library refuses one. */
export const RULE_FLAGS: FieldFlags = { rules: '--rule' };

/** `--rule`, `--rules-file`, `--reply`, `--echo`: how a server answers each `message` (or datagram) from a `peer` (a client, a sender). */
export function addAnswerOptions(cmd: Command, message: string, peer: string): Command {
  return addRuleOptions(cmd)
    .option('--reply <template>', `answer each ${message} not matched by a rule: {data} the message (a typed line without its newline), {raw} its bytes, {peer} the ${peer}, {n} its number, {counter}, {now}, \\n \\r \\t \\xHH escapes, {hex:..}, checksums such as {crc16modbus}`)
    .option('--echo', `answer each ${message} not matched by a rule with its exact bytes`);
}

/** `--allow`, `--deny`: who a server hears, said as this server applies them. */
export function addAccessOptions(cmd: Command, help: { allow: string; deny: string }): Command {
  return cmd.option('--allow <cidr>', `${help.allow} (repeatable)`, collect).option('--deny <cidr>', `${help.deny} (repeatable)`, collect);
}

export { addCaptureOption, startCapture, type CliCapture } from './capture-option.js';
export { addLogOption, startLog, type LogFile } from './log-option.js';

/** What every `listen` command reads alike. */
export interface ListenCommon {
  /** The session options every listener shares: where, how it answers, whom it hears, in what encoding. */
  session: RuleOptions & { port: number; host?: string; reply?: string; echo: boolean; allow?: string[]; deny?: string[]; encoding?: string } & TextOptions;
  data: DataOptions;
  quiet: boolean;
  /** `--capture`: the file to capture into. */
  capture?: string;
  /** `--log`: the file to log into. */
  logPath?: string;
}

/** Reads the port argument, `--host`, `--reply`, `--echo`, `--allow`, `--deny`, the data options and `--quiet`. */
export function readListenCommon(portArg: string, raw: RawOptions): ListenCommon {
  let port: number;
  let host = raw.host();
  // `127.0.0.1:8000` as ncat and socat write it: the address to listen on and the port
  if (hasPort(portArg)) {
    if (host !== undefined) throw new UsageError(`the address is given twice: in '${portArg}' and with --host`);
    ({ host, port } = parseTarget(portArg, undefined, { allowZero: true }));
  } else port = parsePort(portArg);
  const data = readDataOptions(raw);
  const session = {
    port, host, reply: raw.text('reply'), echo: raw.flag('echo'), allow: raw.list('allow'), deny: raw.list('deny'), ...readRuleOptions(raw),
    ...sessionText(data),
  };
  return { session, data, quiet: raw.flag('quiet'), capture: raw.text('capture'), logPath: raw.text('log') };
}

/** `--encoding`, `--hex`, `--send-hex`: how bytes are shown and typed. */
export function addTextOptions(cmd: Command): Command {
  cmd
    .option('-e, --encoding <name>', 'text encoding: utf8, gbk, gb18030, big5, shift_jis, latin1, ... (any iconv-lite name)', 'utf8')
    .option('-x, --hex', 'show data as a hex dump')
    .option('--send-hex', 'read what you type or send as hex (48 65 6c, 48656c, 0x48,0x65)')
    .option(...SHOW_OPTION);
  return addPayloadOption(cmd);
}

/** `--payload`: how `--json` writes the bytes of each message. */
export function addPayloadOption(cmd: Command): Command {
  return cmd.option('--payload <form>', 'with --json: bytes as hex, base64 (much faster on long messages) or none', 'hex');
}

/** `--show`: how much of each message people see. */
export const SHOW_OPTION = ['--show <bytes>', `show at most this many bytes of each message, counting the rest ("all": everything; default ${TERMINAL_SHOW_BYTES} on a terminal, ${FILE_SHOW_BYTES / 1024} KiB in a file or pipe)`] as const;

/** Reads `--show`: a size, `all`, or by default a short prefix on a terminal and a long one elsewhere. */
export function readShowBytes(raw: RawOptions): number {
  const text = raw.text('show');
  if (text === undefined) return process.stdout.isTTY ? TERMINAL_SHOW_BYTES : FILE_SHOW_BYTES;
  return text === 'all' ? Infinity : parseSize(text, '--show', 1);
}

/** `--frame`, `--max-frame`: what one message is on a stream. */
export function addFrameOptions(cmd: Command): Command {
  return cmd
    .option('-f, --frame <kind>', "what one message is: raw (one read), line, len16, len32, or a delimiter: an escape such as '\\r\\n', or delim:<text>", 'raw')
    .option('--max-frame <size>', 'largest message accepted (length prefix or delimiter)', '16MiB');
}

/** `--cert`, `--key`: a TLS server's own certificate instead of a self-signed one. */
export function addCertOptions(cmd: Command): Command {
  return cmd.option('--cert <file>', 'TLS certificate (PEM)').option('--key <file>', 'TLS private key (PEM)');
}

/** `--wait`, `--repeat`, `--interval`: how a client sends its texts and waits for answers. */
export function addSendOptions(cmd: Command, help: { wait: string; repeat: string; interval: string }, intervalDefault?: string): Command {
  return cmd
    .option('--wait <ms>', help.wait, '1000')
    .option('--repeat <n>', help.repeat, '1')
    .option('--interval <ms>', help.interval, intervalDefault);
}

/** Everything a connection server (`tcp listen`, `ws listen`) does with its clients: greet, answer, limit, filter, TLS. */
export function addConnectionServerOptions(cmd: Command): Command {
  cmd.option('--welcome <text>', 'sent to each new client ({peer} and \\n \\r \\t \\xHH escapes)');
  addAnswerOptions(cmd, 'message', 'client')
    .option('--close', 'close the connection after the first reply')
    .option('--quit <word>', "close a client's connection when its message is exactly this word")
    .option('--chat', "relay each client's messages to every other client, each named as ncat names it: <user1> hello")
    .option('--chat-prefix <text>', "with --chat: put before each relayed message ({id} the sender's number, {peer} its address; '' for none)", CHAT_PREFIX)
    .option('--max-conns <n>', 'refuse clients beyond this many at once')
    .option('--idle-timeout <s>', 'close a connection silent for this many seconds');
  addAccessOptions(cmd, { allow: 'only these addresses may connect', deny: 'these addresses may not connect' })
    .option('--tls', 'accept TLS (self-signed certificate unless --cert/--key)');
  return addCertOptions(cmd);
}

/** The parsed options of `addConnectionServerOptions` beyond the ones every listener shares. */
export interface ConnectionServerOptions {
  welcome?: string;
  closeAfterReply: boolean;
  quit?: string;
  chat: boolean;
  /** With `chat`: how a relayed message names its sender. */
  chatPrefix?: string;
  maxConnections?: number;
  idleTimeoutMs?: number;
}

/** Reads `--welcome`, `--close`, `--quit`, `--chat`, `--max-conns`, `--idle-timeout`. */
export function readConnectionServerOptions(raw: RawOptions): ConnectionServerOptions {
  return {
    welcome: raw.text('welcome'), closeAfterReply: raw.flag('close'), quit: raw.text('quit'), chat: raw.flag('chat'), chatPrefix: raw.flag('chat') ? raw.text('chatPrefix') : undefined,
    maxConnections: raw.whole('maxConns', '--max-conns', 1), idleTimeoutMs: raw.seconds('idleTimeout', '--idle-timeout'),
  };
}

/** A connection server's options as its command spells them. */
export const CONNECTION_SERVER_FLAGS: FieldFlags = { ...RULE_FLAGS, reply: '--reply', welcome: '--welcome', allow: '--allow', deny: '--deny', quit: '--quit' };

/** A server's `--tls`, `--cert`, `--key`. */
export interface ServerTlsOptions {
  tls: boolean;
  certPath?: string;
  keyPath?: string;
}

/** Reads `--tls`, `--cert`, `--key`. */
export function readServerTlsOptions(raw: RawOptions): ServerTlsOptions {
  return { tls: raw.flag('tls'), certPath: raw.text('cert'), keyPath: raw.text('key') };
}

/** A server's TLS material: the given certificate, or a self-signed one for `host`; none without TLS. */
export async function loadServerTls(o: ServerTlsOptions, host: string | undefined): Promise<TlsMaterial | undefined> {
  if (!o.tls && !o.certPath && !o.keyPath) return undefined;
  return loadTlsMaterial({ certPath: o.certPath, keyPath: o.keyPath, names: host ? [host] : [] });
}

/** The parsed `--json` and `--no-color`. */
export interface OutputOptions {
  json: boolean;
  /** False when `--no-color` was given; a terminal, NO_COLOR and FORCE_COLOR decide the rest. */
  colorAllowed: boolean;
}

/** Reads `--json` and `--no-color`. */
export function readOutputOptions(raw: RawOptions): OutputOptions {
  return { json: raw.flag('json'), colorAllowed: raw.flag('color') };
}

/** The parsed data options: output, text and (on streams) framing. */
export interface DataOptions extends OutputOptions {
  encoding: string;
  /** How `--json` writes payload bytes. */
  payload: PayloadForm;
  hex: boolean;
  sendHex: boolean;
  frame: FrameSpec;
  maxFrameBytes: number;
  /** Show at most this many bytes of each message (`--show`). */
  showBytes: number;
}

/** Reads the data options, validating each and naming it when it refuses. */
export function readDataOptions(raw: RawOptions): DataOptions {
  const maxFrame = raw.text('maxFrame');
  return {
    ...readOutputOptions(raw),
    encoding: resolveEncoding(raw.text('encoding') ?? 'utf8'),
    payload: readPayloadForm(raw.text('payload')),
    hex: raw.flag('hex'),
    sendHex: raw.flag('sendHex'),
    frame: parseFrame(raw.text('frame') ?? 'raw'),
    maxFrameBytes: maxFrame === undefined ? DEFAULT_MAX_FRAME_BYTES : parseSize(maxFrame, '--max-frame', 1, 2 ** 32 - 1),
    showBytes: readShowBytes(raw),
  };
}

function readPayloadForm(text: string | undefined): PayloadForm {
  if (text === undefined) return 'hex';
  const form = PAYLOAD_FORMS.find((f) => f === text);
  if (!form) throw new UsageError(`--payload must be ${PAYLOAD_FORMS.join(', ')}, got '${text}'`);
  return form;
}

/** Where a command writes: stdout and stderr, batched, each with the colours that suit it. */
export class Output {
  /** Batched stdout (stderr when stdout carries received bytes). */
  readonly out: LineWriter;
  /** Batched stderr. */
  readonly err = new LineWriter(process.stderr);
  /** Colours for stdout. */
  readonly c: Palette;
  /** Colours for stderr. */
  readonly ce: Palette;
  private readonly stream: NodeJS.WriteStream;

  /** `stdoutTaken`: stdout carries the received bytes (`--out -`), so events and lines go to stderr. */
  constructor(readonly options: OutputOptions, { stdoutTaken = false } = {}) {
    this.stream = stdoutTaken ? process.stderr : process.stdout;
    this.out = new LineWriter(this.stream);
    this.c = makePalette(colorWanted(this.stream, options.colorAllowed));
    this.ce = makePalette(colorWanted(process.stderr, options.colorAllowed));
  }

  /** True with `--json`. */
  get json(): boolean {
    return this.options.json;
  }

  /** One NDJSON line on stdout: `event`, the time, then the fields. */
  event(event: string, fields: object): void {
    this.out.line(JSON.stringify({ event, ts: new Date().toISOString(), ...fields }));
  }

  /** A renderer of session events on stdout: NDJSON with `--json`, readable lines otherwise. */
  renderer(options: Omit<RenderOptions, 'json' | 'color'>): (e: SessionEvent) => void {
    const render = createEventRenderer(this.out, { ...options, json: this.json, color: colorWanted(this.stream, this.options.colorAllowed) });
    // a person reads a terminal: past what one can read, lines fold into one a second
    return !this.json && this.stream.isTTY ? paceForTerminal(render, this.out, this.c) : render;
  }

  /** Writes out what is batched. */
  flush(): void {
    this.out.flush();
    this.err.flush();
  }
}

/** The renderer the data options ask for. */
export function dataRenderer(output: Output, data: DataOptions, extra: { showIds?: boolean } = {}): (e: SessionEvent) => void {
  const frame = data.frame.kind === 'raw' ? undefined : describeFrame(data.frame);
  return output.renderer({ hex: data.hex, encoding: data.encoding, payload: data.payload, frame, showBytes: data.showBytes, impliedText: true, ...extra });
}

export { delay, waitForSilence, type Pause } from './wait.js';
export { runListener, type ListeningSession, type ListenPlan } from './listener.js';
