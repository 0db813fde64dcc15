// Option groups shared by commands, declared once and parsed once into typed values.
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { resolveEncoding } from '../wire/codec.js';
import { parseFrame, DEFAULT_MAX_FRAME_BYTES, type FrameSpec } from '../wire/framing.js';
import { parseInteger, parseSize } from '../wire/endpoint.js';
import { UsageError } from '../errors.js';
import { colorWanted, createEventRenderer, LineWriter } from './output.js';
import type { SessionEvent } from '../net/session.js';

/** Collects a repeatable option into an array. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--encoding`, `--hex`, `--send-hex`, `--frame`, `--max-frame`, `--json`, `--no-color`. */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('-e, --encoding <name>', 'text encoding: utf8, gbk, gb18030, big5, shift_jis, latin1, ... (any iconv-lite name)', 'utf8')
    .option('-x, --hex', 'show data as a hex dump')
    .option('--send-hex', 'read what you type or send as hex (48 65 6c, 48656c, 0x48,0x65)')
    .option('-f, --frame <kind>', 'what one message is: raw (one read), line, len16, len32, or a delimiter', 'raw')
    .option('--max-frame <size>', 'largest message accepted (length prefix or delimiter)', '16MiB')
    .option('--json', 'one JSON event per line on stdout, for scripts')
    .option('--no-color', 'no colours, even on a terminal');
}

/** Options every server-side session understands. */
export function addServerOptions(cmd: Command): Command {
  return cmd
    .option('--welcome <text>', 'sent to each new client ({peer} and \\n \\r \\t \\xHH escapes)')
    .option('--reply <template>', 'answer each message: {data} the message, {peer} the client, {n} its number')
    .option('--echo', 'answer each message with its exact bytes')
    .option('--close', 'close the connection after the first reply')
    .option('--quit <word>', "close a client's connection when its message is exactly this word")
    .option('--chat', "relay each client's messages to every other client")
    .option('--max-conns <n>', 'refuse clients beyond this many at once')
    .option('--idle-timeout <s>', 'close a connection silent for this many seconds')
    .option('--allow <cidr>', 'only these addresses may connect (repeatable)', collect)
    .option('--deny <cidr>', 'these addresses may not connect (repeatable)', collect)
    .option('--tls', 'accept TLS (self-signed certificate unless --cert/--key)')
    .option('--cert <file>', 'TLS certificate (PEM)')
    .option('--key <file>', 'TLS private key (PEM)');
}

/** The parsed data options. */
export interface DataOptions {
  encoding: string;
  hex: boolean;
  sendHex: boolean;
  frame: FrameSpec;
  maxFrameBytes: number;
  json: boolean;
  color: boolean;
}

/** Reads the data options, validating each and naming it when it refuses. */
export function readDataOptions(raw: Record<string, unknown>): DataOptions {
  return {
    encoding: resolveEncoding(String(raw.encoding ?? 'utf8')),
    hex: Boolean(raw.hex),
    sendHex: Boolean(raw.sendHex),
    frame: parseFrame(String(raw.frame ?? 'raw')),
    maxFrameBytes: raw.maxFrame === undefined ? DEFAULT_MAX_FRAME_BYTES : parseSize(String(raw.maxFrame), '--max-frame', 1, 2 ** 32 - 1),
    json: Boolean(raw.json),
    color: colorWanted(process.stdout, raw.color as boolean | undefined),
  };
}

/** Seconds (fractions allowed) to milliseconds. */
export function secondsOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a number of seconds above 0, got '${value}'`);
  return Math.round(n * 1000);
}

/** Milliseconds as a whole number. */
export function msOption(value: unknown, name: string, min = 0): number | undefined {
  return value === undefined ? undefined : parseInteger(String(value), name, min);
}

/** A batched stdout and the renderer the options ask for. */
export function stdoutRenderer(data: DataOptions, extra: { showSends?: boolean; showIds?: boolean } = {}): { out: LineWriter; render: (e: SessionEvent) => void } {
  const out = new LineWriter(process.stdout);
  return { out, render: createEventRenderer(out, { json: data.json, hex: data.hex, color: data.color, encoding: data.encoding, ...extra }) };
}

/**
 * Reads stdin by lines for servers: `@<id> text` goes to one peer, other lines to all.
 * `encode` turns a line into bytes; its errors are printed and the line skipped.
 * Returns a function that stops reading.
 */
export function readTargetedLines(encode: (text: string) => Buffer, send: (target: number | 'all', bytes: Buffer) => void): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    const m = /^@(\d+)\s(.*)$/s.exec(line);
    const target: number | 'all' = m ? Number(m[1]) : 'all';
    try {
      send(target, encode(m ? m[2]! : line));
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  });
  // stdin closing (a pipe, /dev/null) must not stop a server
  rl.on('error', () => {});
  return () => {
    rl.close();
    process.stdin.destroy();
  };
}
