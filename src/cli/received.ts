// What a client command prints of what it receives: the exact bytes into a file or pipe (as nc does), readable text on a terminal.
import { formatHexDump } from '../wire/hex.js';
import { decodeText } from '../wire/codec.js';
import { readable, type LineWriter } from './output.js';

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
}

/** Writes each received message to stdout as {@link ReceivedOptions} say. */
export class ReceivedWriter {
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
    if (o.hex) {
      out.line(`${from ? `${from}:\n` : ''}${formatHexDump(payload)}`);
      return;
    }
    if (from) out.write(`${from}: `);
    if (o.terminal) {
      const shown = text ?? decodeText(payload, o.encoding);
      // bytes that are not text in this encoding (or would drive the terminal) are shown as hex beside their text
      if (!readable(shown)) out.line(formatHexDump(payload));
      else out.write(o.messages && !shown.endsWith('\n') ? shown + '\n' : shown);
      return;
    }
    // a file or a pipe gets the bytes as they came: nothing decoded, nothing re-encoded
    out.bytes(payload);
    if (o.messages && payload[payload.length - 1] !== 0x0a) out.write('\n');
  }
}
