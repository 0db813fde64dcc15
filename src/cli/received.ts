// What a client command prints of what it receives: the exact bytes into a file or pipe (as nc does), readable text on a terminal.
import { formatHexDump } from '../wire/hex.js';
import { decodeText } from '../wire/codec.js';
import type { LineWriter } from './output.js';
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
    const m = clipMessage(payload, o.hex ? undefined : (text ?? decodeText(payload, o.encoding)), o.showBytes ?? Infinity, o.encoding);
    const more = moreNote(m.more);
    if (m.text === undefined || undecodable(m.text)) {
      // bytes that are not text in this encoding: hex, with the text they do make beside it
      out.line(`${from ? `${from}:\n` : ''}${hexDumpWithText(m.payload, o.encoding)}${more ? `\n${more}` : ''}`);
      if (m.text !== undefined) this.hint(payload);
      return;
    }
    const shown = (from ? `${from}: ` : '') + escapeForTerminal(m.text) + (more ? ` ${more}` : '');
    out.write(o.messages || more ? (shown.endsWith('\n') ? shown : shown + '\n') : shown);
  }

  private hint(payload: Buffer): void {
    const guess = this.hinted ? undefined : guessEncoding(payload, this.options.encoding);
    if (!guess || !this.options.hints) return;
    this.hinted = true;
    this.options.hints.line(`hint: these bytes are not ${this.options.encoding} but read as ${guess.toUpperCase()}: try --encoding ${guess}`);
  }
}
