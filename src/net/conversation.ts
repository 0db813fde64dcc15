// One peer a session reads from and writes to: framing, decoding and the session's behaviour, shared by every session kind.
import { isUtf8 } from 'node:buffer';
import { createDecoder, decodeText, type StreamDecoder } from '../wire/codec.js';
import { createFrameDecoder, type FrameDecoder, type FrameSpec } from '../wire/framing.js';
import type { Behaviour, Link } from './behaviour.js';
import type { CloseHow, ConversationInfo, Direction, EventInput, WsOpcode } from './events.js';

export type { ConversationInfo };
import type { Session } from './session.js';

/** How a session reads messages; one object shared by all of its conversations. */
export interface ReadSettings {
  readonly session: Session;
  /** Emits an event as the session (stamped with its name). */
  readonly emit: (e: EventInput) => void;
  readonly frame: FrameSpec;
  readonly maxFrameBytes: number;
  readonly encoding: string;
  /** Observers get `text` in data events. */
  readonly decodeShown: boolean;
  /** Longer messages are not decoded for observers (the face decodes what it shows). */
  readonly decodeLimit: number;
  /** A UTF-8 session whose observers decode valid UTF-8 themselves: such messages come without `text`. */
  readonly utf8Implied?: boolean;
  /**
   * Messages arrive whole (datagrams, WebSocket messages): each is decoded on its own. Otherwise
   * raw reads carry a character split across reads into the next one.
   */
  readonly wholeMessages?: boolean;
  readonly behaviour: Behaviour | undefined;
  /**
   * Set on a relay's readers: stamped on data events; `down` (target to client) counts in the
   * session's output totals, everything else in its input.
   */
  readonly direction?: Direction;
}


/**
 * One conversation: bytes in are framed into messages, decoded when someone reads the text,
 * shown as `data` events and answered by the session's behaviour.
 */
export abstract class Conversation implements Link, ConversationInfo {
  readonly since = Date.now();
  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  messagesOut = 0;
  /** Why the conversation ended, once something said so; the first reason given wins unless a later one is deliberate. */
  closeReason: string | undefined;
  /** How it ended on the wire (FIN or RST), where the transport knows it: told with the reason, so captures need not read the words. */
  closeHow: CloseHow | undefined;
  private readonly frames: FrameDecoder | undefined;
  /** Created on the first message decoded in raw framing. */
  private text: StreamDecoder | undefined;
  /** The raw-framing decoder may hold the start of a character from the last read. */
  private textHeld = false;
  /** The type of the message being received, for kinds whose messages have one (WebSocket). */
  protected opcodeIn: WsOpcode | undefined;

  constructor(
    protected readonly settings: ReadSettings,
    readonly id: number,
    readonly peer: string,
  ) {
    this.frames = settings.frame.kind === 'raw' ? undefined : createFrameDecoder(settings.frame, settings.maxFrameBytes);
  }

  /** Writes bytes to the peer. */
  abstract write(bytes: Buffer): void;
  /** Ends gracefully, recording why. */
  abstract end(reason: string): void;
  /** Ends at once, recording why. */
  abstract destroy(reason: string): void;
  /** Ends at once with a reset where the transport has one, recording why. */
  reset(reason: string): void {
    this.destroy(reason);
  }

  /** Bytes read from the peer: framed, then each message handled. */
  read(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    const stats = this.settings.session.stats;
    if (this.settings.direction === 'down') stats.bytesOut += chunk.length;
    else stats.bytesIn += chunk.length;
    const tap = this.settings.session.wireTap;
    // a relay's down direction is tapped where it reaches the client, after its faults
    if (tap !== undefined && this.settings.direction !== 'down') tap('in', this.id, this.peer, chunk, this.opcodeIn);
    const frames = this.frames;
    // raw framing: one read is one message, no array per chunk
    if (frames === undefined) {
      this.receive(chunk);
      return;
    }
    const { frames: messages, error } = frames.push(chunk);
    for (const message of messages) {
      if (this.isClosed()) return;
      this.receive(message);
    }
    if (error) {
      this.settings.emit({ event: 'error', code: error.code, message: `${this.peer}: ${error.message}`, hint: error.hint, peer: this.peer, id: this.id });
      this.destroy('frame too large');
    }
  }

  /** The peer finished sending: an unterminated last line is still a message; a partial length-prefixed frame is not. */
  readEnd(): void {
    const rest = this.frames?.flush();
    const kind = this.settings.frame.kind;
    if (rest && (kind === 'line' || kind === 'delimiter')) this.receive(rest);
  }

  /** One whole message: counted, decoded if anyone reads its text, shown, answered. */
  receive(message: Buffer): void {
    const s = this.settings;
    const n = ++this.messagesIn;
    if (s.direction === 'down') s.session.stats.messagesOut++;
    else s.session.stats.messagesIn++;
    const shown = s.session.messagesObserved;
    const behaviour = s.behaviour;
    let text: string | undefined;
    if (behaviour?.needsText) text = this.decode(message);
    else if (shown && s.decodeShown && message.length <= s.decodeLimit) {
      // bytes that spell their text alone leave it to the observers (nothing held from a read before)
      if (!(s.utf8Implied && !this.textHeld && isUtf8(message))) text = this.decode(message);
    } else if (this.text) {
      this.text = undefined; // decoding again later must not glue on bytes held from before
      this.textHeld = false;
    }
    // stamped here rather than by the session: an object made whole keeps one shape (a busy server makes many)
    if (shown) s.emit({ event: 'data', ts: Date.now(), session: s.session.name, peer: this.peer, id: this.id, n, bytes: message.length, payload: message, text, opcode: this.opcodeIn, direction: s.direction });
    if (behaviour?.active) behaviour.onMessage(this, message, n, text);
  }

  /** Counts bytes written to the peer and shows them as a `send` event (with the frame's type and fin bit, for WebSocket). */
  countWritten(bytes: Buffer, opcode?: WsOpcode, fin?: boolean): void {
    this.bytesOut += bytes.length;
    this.messagesOut++;
    const s = this.settings;
    s.session.stats.bytesOut += bytes.length;
    s.session.stats.messagesOut++;
    const tap = s.session.wireTap;
    if (tap !== undefined) tap('out', this.id, this.peer, bytes, opcode);
    if (s.session.messagesObserved) s.emit({ event: 'send', ts: Date.now(), session: s.session.name, peer: this.peer, id: this.id, bytes: bytes.length, payload: bytes, opcode, fin: fin === false ? false : undefined });
  }

  /**
   * True when a read may reach this conversation in the reader's own memory instead of a copy:
   * one read is one message, and nothing but this conversation's own writes keeps it (no
   * observer, wire tap, rule or chat).
   */
  mayBorrowReads(): boolean {
    const s = this.settings;
    return this.frames === undefined && !s.session.messagesObserved && s.session.wireTap === undefined && (s.behaviour === undefined || s.behaviour.keepsNoMessage);
  }

  /** True when nothing more can be read or written. */
  protected abstract isClosed(): boolean;

  /** A framed message is decoded on its own; raw reads keep a split character for the next read. */
  private decode(message: Buffer): string {
    if (this.frames !== undefined || this.settings.wholeMessages) return decodeText(message, this.settings.encoding);
    if (this.settings.utf8Implied) this.textHeld = utf8EndsInside(message);
    return (this.text ??= createDecoder(this.settings.encoding)).write(message);
  }

  /** The counters, as a plain record. */
  info(): ConversationInfo {
    const { id, peer, since, bytesIn, bytesOut, messagesIn, messagesOut } = this;
    return { id, peer, since, bytesIn, bytesOut, messagesIn, messagesOut };
  }
}

/**
 * Whether UTF-8 bytes may end inside a character, leaving its start held for the next read: a lead
 * byte in the last four whose character runs past the end, or only continuation bytes there.
 */
export function utf8EndsInside(bytes: Uint8Array): boolean {
  const end = bytes.length;
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const b = bytes[i]!;
    if (b < 0x80) return false;
    if (b >= 0xc0) return i + (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) > end;
  }
  return end > 0;
}
