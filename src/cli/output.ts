// Rendering of session events for people (coloured lines) or scripts (NDJSON), with batched writes.
import { writeJsonLine, type DataEvent, type JsonSink, type PayloadForm, type SendEvent, type SessionEvent, type WsHandshake, type WsOpcode } from '../net/session.js';
import { describeCloseCode } from '../ws/close-codes.js';
import { describeFaults } from '../wire/faults.js';
import { formatTlsPeer } from '../net/tls-info.js';
import { ByteChunks } from '../wire/byte-chunks.js';
import { writeHexDumpRow, writeHexInto } from '../wire/hex.js';
import { clipMessage, dumpHasText, guessEncoding, hexDumpWithTextRows, moreNote, undecodable } from './message-view.js';

const writers = new Set<LineWriter>();

/** Flushes every LineWriter: called before the process exits so no line is lost. */
export function flushAllWriters(): void {
  for (const w of writers) w.flush();
}

/** Bytes a writer gathers before it writes them: large enough for few writes and for the hex of a 64 KiB message, small enough to reuse. */
const CHUNK = 256 * 1024;

/** Hex digits at least this long start in a chunk of their own rather than split, so an echo's `send` line can copy them. */
const WHOLE_HEX = 16 * 1024;

/** Text shorter than this goes into its log line whole (see `message` in createEventRenderer). */
const SHORT_LINE = 16 * 1024;

/** How long a busy writer gathers lines before writing them. */
const GATHER_MS = 10;

/** A stream writer that gathers lines as bytes in reused chunks and writes them once per tick (many small writes are slow). */
export class LineWriter extends ByteChunks implements JsonSink {
  private scheduled = false;
  private lastFlush = -Infinity;
  /** The bytes last written as hex in this chunk, and where their digits start: an echo's `send` repeats its message. */
  private hexOf: Uint8Array | undefined;
  private hexAt = 0;
  /** The chunk that holds them: read again only until it is the one being filled anew. */
  private hexIn: Buffer | undefined;

  constructor(private readonly stream: NodeJS.WritableStream) {
    // the chunk itself goes to the stream, which may hold it until written (a socket, a terminal)
    super(CHUNK, (bytes, written) => stream.write(bytes, written));
    writers.add(this);
  }

  write(text: string): void {
    this.putText(text);
    this.schedule();
  }

  line(text: string): void {
    this.write(text);
    this.newline();
  }

  newline(): void {
    this.room(1);
    this.chunk[this.used++] = 0x0a;
    this.schedule();
  }

  /** Bytes that are already text as UTF-8, copied into the line. */
  raw(bytes: Uint8Array): void {
    this.putBytes(bytes);
    this.schedule();
  }

  /** A whole number's digits (a non-negative integer; anything else as text). */
  number(n: number): void {
    this.putDigits(n);
    this.schedule();
  }

  /** An xxd-style dump of `bytes`, each row on a line of its own after `indent` (ASCII), written straight into the buffer. */
  hexDump(bytes: Uint8Array, indent: string): void {
    for (let from = 0; from < bytes.length; from += 16) {
      this.room(1 + indent.length + 67);
      this.chunk[this.used++] = 0x0a;
      this.used += this.chunk.latin1Write(indent, this.used);
      this.used = writeHexDumpRow(bytes, from, from, this.chunk, this.used);
    }
    this.schedule();
  }

  /** Bytes as hex digits, written in pieces straight into the buffer (or copied from the digits of the same bytes just before). */
  hex(bytes: Uint8Array): void {
    const digits = bytes.length * 2;
    if (bytes === this.hexOf && digits <= CHUNK) {
      if (digits > CHUNK - this.used) this.flush();
      // a flush may have made the chunk holding the digits the one to fill again
      if (bytes === this.hexOf) {
        const from = this.hexIn!;
        if (from === this.chunk) this.chunk.copyWithin(this.used, this.hexAt, this.hexAt + digits);
        else this.chunk.set(from.subarray(this.hexAt, this.hexAt + digits), this.used);
        this.used += digits;
        this.schedule();
        return;
      }
    }
    if (digits >= WHOLE_HEX && digits <= CHUNK && digits > CHUNK - this.used) this.flush();
    const at = this.used;
    const chunk = this.chunk;
    for (let i = 0; i < bytes.length; ) {
      this.room(2);
      const n = Math.min((CHUNK - this.used) >> 1, bytes.length - i);
      this.used = writeHexInto(bytes, this.chunk, this.used, i, i + n);
      i += n;
    }
    // only digits that all sit in one chunk can be copied again: no flush came between
    if (this.chunk === chunk) {
      this.hexOf = bytes;
      this.hexAt = at;
      this.hexIn = chunk;
    } else this.hexOf = undefined;
    this.schedule();
  }

  /** Writes bytes exactly as given, after the text gathered before them. */
  bytes(data: Buffer): void {
    this.flush();
    this.stream.write(data);
  }

  override flush(): void {
    this.scheduled = false;
    if (this.used === 0) return;
    this.lastFlush = performance.now();
    super.flush();
    // a chunk handed on keeps its bytes until it comes back to be filled
    if (this.chunk === this.hexIn) this.hexOf = undefined;
  }

  private schedule(): void {
    if (this.used >= CHUNK) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      // a quiet session's line goes out at once; a busy one's are gathered for a few milliseconds,
      // since each write costs more than the lines in it when a tick holds only a message or two
      const wait = this.lastFlush + GATHER_MS - performance.now();
      if (wait <= 0) setImmediate(this.flushNow);
      else setTimeout(this.flushNow, wait);
    }
  }

  private readonly flushNow = () => this.flush();
}

/** ANSI colours, or none. */
export interface Palette {
  dim(s: string): string;
  in(s: string): string;
  out(s: string): string;
  sys(s: string): string;
  err(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

/** Colour when writing to a terminal, unless NO_COLOR is set or `--no-color` was given. */
export function makePalette(enabled: boolean): Palette {
  if (!enabled) return { dim: plain, in: plain, out: plain, sys: plain, err: plain, bold: plain };
  return { dim: wrap(2, 22), in: wrap(32, 39), out: wrap(36, 39), sys: wrap(33, 39), err: wrap(31, 39), bold: wrap(1, 22) };
}

/** Whether colour suits a stream. */
export function colorWanted(stream: NodeJS.WritableStream & { isTTY?: boolean }, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR) return true;
  return Boolean(stream.isTTY);
}

export { escapeControl } from '../wire/escape.js';
import { escapeControl, isOwnText, isPlainAscii, OWN_TEXT_MAX } from '../wire/escape.js';
export { formatBytes } from '../wire/format-bytes.js';
import { formatBytes } from '../wire/format-bytes.js';

export { clock } from './line-parts.js';
import { arrowOf, clock, keepsAscii, LineParts, type Way } from './line-parts.js';

/** How events are shown. */
export interface RenderOptions {
  json: boolean;
  hex: boolean;
  color: boolean;
  /** The encoding that sent bytes are shown in. */
  encoding?: string;
  /** Show `send` events (what we wrote). */
  showSends?: boolean;
  /** Show connection numbers (servers have many; a client has one). */
  showIds?: boolean;
  /** How `--json` writes payload bytes. */
  payload?: PayloadForm;
  /** The framing in words, named on the listening line when it is not the default. */
  frame?: string;
  /** Show at most this many bytes of each message, and count the rest (`--show`). */
  showBytes?: number;
  /**
   * The session decodes `unless-utf8` (as `sessionText` asks): a received message without its
   * text is UTF-8 on its own, and `--json` writes that text from its bytes.
   */
  impliedText?: boolean;
}

/** Renders events to a writer: one NDJSON object a line, or readable lines. */
export function createEventRenderer(writer: LineWriter, options: RenderOptions): (e: SessionEvent) => void {
  if (options.json) {
    const payload = options.payload ?? 'hex';
    const implied = options.impliedText ?? false;
    return (e) => {
      writeJsonLine(e, payload, writer, implied);
      writer.newline();
    };
  }
  const c = makePalette(options.color);
  const showSends = options.showSends ?? true;
  const who = (id: number, peer: string) => (options.showIds === false ? peer : `#${id} ${peer}`);
  const encoding = options.encoding ?? 'utf8';
  const limit = options.showBytes ?? Infinity;
  const hinted = new Set<number>();
  // a UDP listener hears from peers; nothing connects to it
  let peersAre = 'connection';
  /**
   * A message's line: its head, then its text, or the rows of a hex dump under it. A short line is
   * one write; a long one is written in pieces, since joined they could make a string past 128 KiB
   * (with `--show` of 64 KiB or more; the arrow makes the text two bytes a character), slow to make.
   */
  const parts = new LineParts(c, options.showIds !== false);
  // sent bytes come without their text: printable ASCII stands for itself only in such encodings
  const sentAscii = keepsAscii(encoding);
  /** A message whose text is its own printable ASCII, the usual case, written from kept parts and the bytes themselves. */
  const plainMessage = (e: DataEvent | SendEvent, way: Way): boolean => {
    const p = e.payload;
    if (options.hex || p.length > limit || e.opcode !== undefined) return false;
    if (e.text !== undefined ? p.length > OWN_TEXT_MAX || !isOwnText(p, e.text) : !(sentAscii && isPlainAscii(p))) return false;
    writer.raw(parts.clock(e.ts));
    writer.raw(parts.head(e.id, e.peer, way));
    writer.raw(parts.size(e.bytes));
    writer.raw(p);
    writer.newline();
    return true;
  };
  const message = (e: DataEvent | SendEvent, arrow: string, fin?: boolean) => {
    const head = `${c.dim(clock(e.ts))} ${who(e.id, e.peer)} ${arrow} ${kind(e.opcode, fin)}${c.dim(`${e.bytes} B`)}`;
    // a session decodes no more than is shown: a long message arrives without its text
    const m = clipMessage(e.payload, e.text, limit, encoding, !options.hex);
    const more = m.more ? c.dim(moreNote(m.more)) : '';
    // bytes that are not text in this encoding: hex, with the text they do make beside it
    if (options.hex || m.text === undefined || (e.opcode === 'binary' && !readable(m.text)) || undecodable(m.text)) {
      writer.write(head);
      // beside the bytes, the text they make in the encoding when they make some; else ASCII, written as bytes
      if (dumpHasText(m.payload, encoding)) {
        for (const row of hexDumpWithTextRows(m.payload, encoding)) {
          writer.newline();
          writer.write('    ' + row);
        }
      } else writer.hexDump(m.payload, '    ');
      if (more) {
        writer.newline();
        writer.write('    ' + more);
      }
      writer.newline();
      return;
    }
    const text = escapeControl(m.text);
    if (text.length < SHORT_LINE) writer.line(`${head} ${text}${more ? ' ' + more : ''}`);
    else {
      writer.write(head + ' ');
      writer.write(text);
      writer.line(more ? ' ' + more : '');
    }
  };
  /** Once per connection: bytes that are not UTF-8 but read as GBK get a hint. */
  const hint = (id: number, payload: Buffer, text: string | undefined) => {
    if (hinted.has(id) || text === undefined || !undecodable(text)) return '';
    const guess = guessEncoding(payload, encoding);
    if (!guess) return '';
    hinted.add(id);
    return '\n' + c.dim(`  hint: these bytes are not ${encoding} but read as ${guess.toUpperCase()}: try --encoding ${guess}`);
  };
  // WebSocket frames carry their type: shown before the size, so text and binary look different
  const kind = (opcode: WsOpcode | undefined, fin?: boolean) => (opcode ? `${c.dim(fin === false ? `${opcode} fragment` : opcode)} ` : '');
  return (e) => {
    switch (e.event) {
      case 'listening': {
        const where = e.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(' and ');
        if (e.protocol === 'udp') peersAre = 'peer';
        writer.line(c.sys(`listening on ${where} port ${e.port} (${e.protocol}${options.frame ? `, ${options.frame}` : ''})`));
        break;
      }
      case 'connect':
        writer.line(`${c.dim(clock(e.ts))} ${who(e.id, e.peer)} ${c.sys('connected')}${e.handshake ? describeHandshake(e.handshake, c) : ''}`);
        break;
      case 'data': {
        // a relay's two directions: up (client to target) and down, each its own arrow and colour
        if (plainMessage(e, e.direction ?? 'in')) break;
        message(e, arrowOf(c, e.direction ?? 'in'));
        if (!e.direction) {
          const h = hint(e.id, e.payload, e.text);
          if (h) writer.line(h.slice(1));
        }
        break;
      }
      case 'target':
        writer.line(`${c.dim(clock(e.ts))} ${who(e.id, e.peer)} ${c.sys(`target ${e.target} connected in ${e.connectMs} ms`)}`);
        if (e.tls) for (const l of formatTlsPeer(e.tls)) writer.line(c.dim(`    ${l}`));
        break;
      case 'faults':
        writer.line(c.sys(`faults: ${describeFaults(e)}`));
        break;
      case 'send':
        if (showSends && !plainMessage(e, 'out')) message(e, arrowOf(c, 'out'), e.fin);
        break;
      case 'control': {
        // a relay's frames point the way they crossed, as its data lines do
        const arrow = arrowOf(c, e.way ?? (e.direction === 'in' ? 'in' : 'out'));
        const payload = e.bytes ? ` ${escapeControl(e.payload.toString('latin1'))}` : '';
        writer.line(`${c.dim(clock(e.ts))} ${who(e.id, e.peer)} ${arrow} ${c.dim(e.opcode)}${payload}${e.rttMs === undefined ? '' : c.dim(` (round trip ${e.rttMs} ms)`)}`);
        break;
      }
      case 'close': {
        hinted.delete(e.id);
        parts.forget(e.id);
        // a relay's reason already names the close frame that began its end
        const frame = e.closeFrame && !e.closedBy ? `; ${e.closeFrame.by === 'us' ? 'sent' : 'received'} ${describeCloseCode(e.closeFrame.code)}${e.closeFrame.reason ? ` "${escapeControl(e.closeFrame.reason)}"` : ''}` : '';
        // a relay counts what went up (from the client) and down; a server what it received and sent
        const counts = e.closedBy ? `up ${formatBytes(e.bytesIn)}, down ${formatBytes(e.bytesOut)}` : `↓${formatBytes(e.bytesIn)} ↑${formatBytes(e.bytesOut)}`;
        writer.line(`${c.dim(clock(e.ts))} ${who(e.id, e.peer)} ${c.sys(`closed (${e.reason}${frame})`)} ${c.dim(counts)}`);
        break;
      }
      case 'retry':
        writer.line(c.sys(`reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}): ${e.reason}`));
        break;
      case 'error':
        writer.line(c.err(`error: ${e.message} [${e.code}]`) + (e.hint ? c.dim(`\n  hint: ${e.hint}`) : ''));
        break;
      case 'summary':
        writer.line(c.sys(`summary: ${count(e.connections, peersAre)}, ${formatBytes(e.bytesIn)} in (${count(e.messagesIn, 'message')}), ${formatBytes(e.bytesOut)} out (${count(e.messagesOut, 'message')}) in ${(e.durationMs / 1000).toFixed(1)} s`));
        for (const [i, r] of (e.rules ?? []).entries()) {
          writer.line(c.dim(`  rule ${i + 1} ${escapeControl(r.name ?? r.rule)}: ${r.hits} hit${r.hits === 1 ? '' : 's'}${r.enabled ? '' : ' (off)'}`));
        }
        break;
      case 'request': {
        // the URL is the client's text: escaped, so it cannot drive the terminal
        const status = e.status >= 500 ? c.err(String(e.status)) : e.status >= 400 ? c.sys(String(e.status)) : c.in(String(e.status));
        writer.line(`${c.dim(clock(e.ts))} ${e.peer} ${escapeControl(e.method)} ${escapeControl(e.url)} ${status} ${c.dim(`${formatBytes(e.bytes)} ${e.ms} ms${e.note ? ` (${escapeControl(e.note)})` : ''}`)}`);
        break;
      }
    }
  };
}

/** `1 message`, `2 messages`. */
export function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** Text worth showing as text: no replacement characters, no control characters but tab and line breaks. */
export function readable(text: string): boolean {
  return !/[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text);
}

/** A WebSocket handshake on the connect line: path, subprotocol, origin; then the headers, one a line. */
function describeHandshake(h: WsHandshake, c: Palette): string {
  const parts = [escapeControl(h.path)];
  if (h.subprotocol) parts.push(`subprotocol ${escapeControl(h.subprotocol)}`);
  if (h.origin) parts.push(`origin ${escapeControl(h.origin)}`);
  const headers = Object.entries(h.headers).map(([k, v]) => `\n    ${c.dim(`${escapeControl(k)}: ${escapeControl(v)}`)}`).join('');
  return ` ${parts.join(', ')}${headers}`;
}
