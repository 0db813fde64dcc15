// One WebSocket peer on the shared conversation: each message read whole, each write a frame, control frames and the closing handshake shown.
import { isUtf8 } from 'node:buffer';
import type net from 'node:net';
import type { WebSocket } from 'ws';
import { Conversation, type ReadSettings } from '../net/conversation.js';
import type { WsCloseFrame } from '../net/events.js';
import { socketErrorReason } from '../net/socket-conversation.js';
import { describeCloseCode, describeProtocolError } from './close-codes.js';

/** The message being answered: replies, echoes and relays written while it is handled take their frame type from it. */
export interface Relay {
  message: Buffer | undefined;
  binary: boolean;
}

/** How a WebSocket session's conversations read, write and close; one object per session. */
export interface WsSettings extends ReadSettings {
  /** Unsent output past which a peer is cut off as a slow reader. */
  readonly maxPendingBytes: number;
  /** The largest message accepted (for the words of the error when one is larger). */
  readonly maxPayloadBytes: number;
  /** Close after this long without traffic (0 or undefined: never). */
  readonly idleTimeoutMs?: number;
  /** Frames not answering a message are binary (else text, when their bytes are UTF-8). */
  readonly binaryOut: boolean;
  /** Set while a message is handled. */
  readonly relay: Relay;
}

const CONVERSATION = Symbol('sockit.ws-conversation');
type OwnedWs = WebSocket & { [CONVERSATION]: WsConversation };
type OwnedSocket = net.Socket & { [CONVERSATION]: WsConversation };

const TEXT = { binary: false };
const BINARY = { binary: true };
const EMPTY = Buffer.alloc(0);
// pings whose pong has not come yet, kept for the round trip; a peer that never answers cannot grow this
const MAX_PINGS_IN_FLIGHT = 16;

/**
 * A conversation over one WebSocket. Listeners are shared functions (the conversation rides on
 * the WebSocket), so a connection costs its objects, not a set of closures.
 */
export abstract class WsConversation extends Conversation {
  /** The close frame that began the closing handshake, once one was sent or received. */
  closeFrame: WsCloseFrame | undefined;
  private paused = false;
  /** Reading is paused until the session's wire taps (a capture) keep up. */
  private held = false;
  private pingCount = 0;
  private readonly pingsSent = new Map<string, number>();

  constructor(
    protected override readonly settings: WsSettings,
    id: number,
    peer: string,
    readonly ws: WebSocket,
    readonly socket: net.Socket,
  ) {
    super(settings, id, peer);
    (ws as OwnedWs)[CONVERSATION] = this;
    (socket as OwnedSocket)[CONVERSATION] = this;
  }

  /** Starts reading (and the idle clock). */
  start(): void {
    // the listeners read their conversation from `this`, the WebSocket they are registered on
    const ws = this.ws as unknown as NodeJS.EventEmitter;
    ws.on('message', onMessage);
    ws.on('ping', onPing);
    ws.on('pong', onPong);
    ws.on('error', onError);
    ws.on('close', onClose);
    this.socket.on('error', onSocketError);
    const idle = this.settings.idleTimeoutMs;
    if (idle) {
      this.socket.setTimeout(idle);
      this.socket.on('timeout', onSocketTimeout);
    }
  }

  /**
   * Writes one message. Its type follows the message being answered (an echo stays text or
   * binary); otherwise text when the bytes are UTF-8, as a text frame must be, and the session
   * does not send binary.
   */
  write(bytes: Buffer): void {
    const relay = this.settings.relay;
    const binary = relay.message !== undefined
      ? relay.binary || (bytes !== relay.message && !isUtf8(bytes))
      : this.settings.binaryOut || !isUtf8(bytes);
    this.sendFrame(bytes, binary);
  }

  /**
   * Sends one frame of the given type; `fin: false` makes it a fragment that more of the same
   * message follows. Returns false when the peer is gone or was cut off as a slow reader.
   */
  sendFrame(bytes: Buffer, binary: boolean, fin = true, onWritten?: (err?: Error) => void): boolean {
    const ws = this.ws;
    if (ws.readyState !== 1) return false;
    const limit = this.settings.maxPendingBytes;
    if (ws.bufferedAmount + bytes.length > limit) {
      this.closeReason = `slow reader: more than ${limit} bytes were waiting to be read`;
      this.settings.emit({ event: 'error', code: 'SOCKIT_ERR_SLOW_READER', message: `${this.peer} does not read what it is sent; disconnected`, peer: this.peer, id: this.id });
      ws.terminate();
      return false;
    }
    this.countWritten(bytes, binary ? 'binary' : 'text', fin);
    ws.send(bytes, fin ? (binary ? BINARY : TEXT) : { binary, fin: false }, onWritten);
    if (!this.paused && this.socket.writableNeedDrain) {
      // stop reading from this peer until it takes what it is sent (echo floods stay bounded)
      this.paused = true;
      ws.pause();
      this.socket.once('drain', onSocketDrain);
    }
    return true;
  }

  /** Sends a ping; the pong that answers it is shown with the round trip. */
  ping(payload?: Buffer): void {
    const ws = this.ws;
    if (ws.readyState !== 1) return;
    const data = payload ?? Buffer.from(String(++this.pingCount));
    if (this.pingsSent.size >= MAX_PINGS_IN_FLIGHT) this.pingsSent.delete(this.pingsSent.keys().next().value!);
    this.pingsSent.set(data.toString('latin1'), performance.now());
    this.showControl('ping', 'out', data);
    ws.ping(data);
  }

  /** Begins the closing handshake with `code` and `wsReason`, recording why. */
  end(reason: string, code = 1000, wsReason = ''): void {
    this.closeReason ??= reason;
    const ws = this.ws;
    if (ws.readyState === 0 || ws.readyState === 1) {
      this.closeFrame ??= { code, reason: wsReason, by: 'us' };
      ws.close(code, wsReason);
    }
  }

  /** Closes the connection at once, without a closing handshake, recording why. */
  destroy(reason: string): void {
    this.closeReason = reason;
    this.ws.terminate();
  }

  protected isClosed(): boolean {
    return this.ws.readyState !== 1;
  }

  /** One message arrived whole. */
  handleMessage(data: Buffer, isBinary: boolean): void {
    const relay = this.settings.relay;
    relay.message = data;
    relay.binary = isBinary;
    this.opcodeIn = isBinary ? 'binary' : 'text';
    try {
      this.read(data);
    } finally {
      relay.message = undefined;
    }
  }

  /** A ping came (the ws package answers it with a pong at once). */
  handlePing(data: Buffer): void {
    this.showControl('ping', 'in', data);
    this.showControl('pong', 'out', data);
  }

  /** A pong came: the round trip when it answers one of our pings. */
  handlePong(data: Buffer): void {
    const key = data.toString('latin1');
    const sentAt = this.pingsSent.get(key);
    if (sentAt !== undefined) this.pingsSent.delete(key);
    this.showControl('pong', 'in', data, sentAt === undefined ? undefined : Math.round((performance.now() - sentAt) * 1000) / 1000);
  }

  /** The frame reader refused what the peer sent; the ws package closes with the matching code. */
  handleProtocolError(err: Error & { code?: string }): void {
    const what = describeProtocolError(err.code, this.settings.maxPayloadBytes);
    const code = closeCodeOf(err);
    this.closeReason ??= `the peer ${what}`;
    if (code) this.closeFrame ??= { code, reason: '', by: 'us' };
    this.settings.emit({ event: 'error', code: 'SOCKIT_ERR_WS_PROTOCOL', message: `${this.peer} ${what}; closed${code ? ` with ${describeCloseCode(code)}` : ''}`, peer: this.peer, id: this.id });
  }

  /** The connection is closed: what the closing handshake said, in words. */
  handleClose(code: number, reason: Buffer): void {
    this.closeFrame ??= { code, reason: reason.toString('utf8'), by: 'peer' };
    if (this.closeReason === undefined) {
      this.closeReason = code === 1006 ? 'connection lost without a closing handshake' : 'closed by peer';
    }
    this.closed();
  }

  /** The session forgets this conversation and says why. */
  protected abstract closed(): void;

  private showControl(opcode: 'ping' | 'pong', direction: 'in' | 'out', payload: Buffer, rttMs?: number): void {
    if (!this.settings.session.messagesObserved) return;
    this.settings.emit({ event: 'control', opcode, direction, peer: this.peer, id: this.id, bytes: payload.length, payload: payload.length ? payload : EMPTY, ...(rttMs === undefined ? {} : { rttMs }) });
  }

  /** Reading resumes once the peer has taken what was queued. */
  resumeReading(): void {
    this.paused = false;
    if (this.ws.readyState === 1 && !this.held) this.ws.resume();
  }

  /** Pauses reading until the session's wire taps keep up (a capture file behind the network). */
  holdIfWireBlocked(): void {
    if (this.held || !this.settings.session.wireBlocked) return;
    this.held = true;
    this.ws.pause();
    this.settings.session.whenWireFree(() => {
      this.held = false;
      if (this.ws.readyState === 1 && !this.paused) this.ws.resume();
    });
  }

  /** Nothing moved for the idle time. */
  handleIdle(): void {
    const seconds = (this.settings.idleTimeoutMs ?? 0) / 1000;
    this.end(`idle for ${seconds} s`, 1000, 'idle');
    // a peer that ignores the close frame is cut off after as long again
    setTimeout(() => this.ws.terminate(), this.settings.idleTimeoutMs).unref();
  }
}

/** The close code the ws package attached to a protocol error (its `status-code` symbol); it sends that code to the peer. */
function closeCodeOf(err: Error): number | undefined {
  const key = Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code');
  const v = key === undefined ? undefined : (err as unknown as Record<symbol, unknown>)[key];
  return typeof v === 'number' ? v : undefined;
}

function onMessage(this: OwnedWs, data: Buffer, isBinary: boolean): void {
  const c = this[CONVERSATION];
  c.handleMessage(data, isBinary);
  c.holdIfWireBlocked();
}

function onPing(this: OwnedWs, data: Buffer): void {
  this[CONVERSATION].handlePing(data);
}

function onPong(this: OwnedWs, data: Buffer): void {
  this[CONVERSATION].handlePong(data);
}

function onError(this: OwnedWs, err: Error): void {
  this[CONVERSATION].handleProtocolError(err);
}

function onClose(this: OwnedWs, code: number, reason: Buffer): void {
  this[CONVERSATION].handleClose(code, reason);
}

function onSocketError(this: OwnedSocket, err: NodeJS.ErrnoException): void {
  this[CONVERSATION].closeReason ??= socketErrorReason(err);
}

function onSocketDrain(this: OwnedSocket): void {
  this[CONVERSATION].resumeReading();
}

function onSocketTimeout(this: OwnedSocket): void {
  this[CONVERSATION].handleIdle();
}
