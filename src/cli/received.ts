// What a client command prints of what it receives: the exact bytes into a file or pipe (as nc does), readable text on a terminal.
import { formatHexDump } from '../wire/hex.js';
import type { CloseEvent, ErrorEvent, RetryEvent } from '../net/session.js';
import { formatBytes } from '../wire/format-bytes.js';
import { clock, type LineWriter, type Palette } from './output.js';
import { clipMessage, escapeForTerminal, guessEncoding, hexDumpWithText, moreNote, undecodable } from './message-view.js';

/** How received messages reach stdout. */
export interface ReceivedOptions {
  /** Show a hex dump of each message. */
  hex: boolean;
  /** The encoding text is shown in on a terminal. */
  encoding: string;
  /**
   * Each message is a unit (a datagram, a WebSocket message, a framed TCP message) and ends its
   * own line; otherwise the bytes are a stream, written as they come.
   */
  messages: boolean;
  /** stdout is a terminal: text is decoded for people; elsewhere the bytes go out as they came. */
  terminal: boolean;
  /** On a terminal, at most this many bytes of each message are shown (`--show`). */
  showBytes?: number;
  /** Where a hint goes (stderr): bytes that fail in the encoding but read as another. */
  hints?: LineWriter;
  /** On a terminal, each message on its own line after its time and an arrow (`14:02:11.503 ← hello`), coloured by `palette`. */
  stamp?: Palette;
}

/** Writes each received message to stdout as {@link ReceivedOptions} say. */
export class ReceivedWriter {
  private hinted = false;

  constructor(
    private readonly out: LineWriter,
    private readonly options: ReceivedOptions,
  ) {}

  /** True when the text of each message is needed (decoded by the session). */
  get needsText(): boolean {
    return this.options.terminal && !this.options.hex;
  }

  /**
   * One message (or read): `text` is its decoded form when the session decoded it; `from` names
   * the sender where replies may come from anyone (broadcast).
   */
  write(payload: Buffer, text?: string, from?: string): void {
    const o = this.options;
    const out = this.out;
    if (!o.terminal) {
      if (o.hex) out.line(`${from ? `${from}:\n` : ''}${formatHexDump(payload)}`);
      else {
        // a file or a pipe gets the bytes as they came: nothing decoded, nothing re-encoded
        if (from) out.write(`${from}: `);
        out.bytes(payload);
        if (o.messages && payload[payload.length - 1] !== 0x0a) out.write('\n');
      }
      return;
    }
    const m = clipMessage(payload, text, o.showBytes ?? Infinity, o.encoding, !o.hex);
    const more = moreNote(m.more);
    if (m.text === undefined || undecodable(m.text)) {
      // bytes that are not text in this encoding: hex, with the text they do make beside it
      out.line(`${o.stamp ? `${this.arrow('←')}${payload.length} B\n` : ''}${from ? `${from}:\n` : ''}${hexDumpWithText(m.payload, o.encoding)}${more ? `\n${more}` : ''}`);
      if (m.text !== undefined) this.hint(payload);
      return;
    }
    const shown = (from ? `${from}: ` : '') + escapeForTerminal(m.text) + (more ? ` ${more}` : '');
    if (o.stamp) return out.line(`${this.arrow('←')}${shown.endsWith('\n') ? shown.slice(0, -1) : shown}`);
    out.write(o.messages || more ? (shown.endsWith('\n') ? shown : shown + '\n') : shown);
  }

  /** `14:02:11.503 ← ` (or → for what we sent), when stamping. */
  private arrow(direction: '←' | '→'): string {
    const c = this.options.stamp;
    return c ? `${c.dim(clock(Date.now()))} ${direction === '←' ? c.in(direction) : c.out(direction)} ` : '';
  }

  /** Something we sent, shown on a stamping terminal as `14:02:11.503 → text`. */
  sent(payload: Buffer): void {
    const o = this.options;
    if (!o.terminal || !o.stamp) return;
    const m = clipMessage(payload, undefined, o.showBytes ?? Infinity, o.encoding, !o.hex);
    if (m.text === undefined || undecodable(m.text)) this.out.line(`${this.arrow('→')}${payload.length} B\n${hexDumpWithText(m.payload, o.encoding)}`);
    else this.out.line(`${this.arrow('→')}${escapeForTerminal(m.text.endsWith('\n') ? m.text.slice(0, -1) : m.text)}${m.more ? ` ${moreNote(m.more)}` : ''}`);
  }

  private hint(payload: Buffer): void {
    const guess = this.hinted ? undefined : guessEncoding(payload, this.options.encoding);
    if (!guess || !this.options.hints) return;
    this.hinted = true;
    this.options.hints.line(`hint: these bytes are not ${this.options.encoding} but read as ${guess.toUpperCase()}: try --encoding ${guess}`);
  }
}

/**
 * What a client says of its connection on stderr, one line each: that it closed (after what is
 * printed of the data; `closeDetail` adds what the protocol tells of it), its errors, its
 * reconnections.
 */
export function clientStatus(e: CloseEvent | ErrorEvent | RetryEvent, out: LineWriter, err: LineWriter, c: Palette, closeDetail: (e: CloseEvent) => string = () => ''): void {
  if (e.event === 'close') {
    out.flush();
    err.line(c.sys(`connection closed (${e.reason}${closeDetail(e)}); ${formatBytes(e.bytesIn)} received, ${formatBytes(e.bytesOut)} sent`));
  } else if (e.event === 'error') err.line(c.err(`error: ${e.message} [${e.code}]`));
  else err.line(c.sys(`reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}): ${e.reason}`));
}
