// One relayed WebSocket: a client's socket and the one opened for it on the target, message by message, each shown as a frame with its direction; pings, pongs and close codes carried across.
import type net from 'node:net';
import type { WebSocket } from 'ws';
import type { ReadSettings } from '../net/conversation.js';
import { DirectionReader } from '../net/direction-reader.js';
import type { CloseHow, CloseSide, Direction, WsCloseFrame } from '../net/events.js';
import type { RelayInfo } from '../net/relay.js';
import type { WireTap } from '../net/session.js';
import { describeCloseCode } from './close-codes.js';

/** What a WebSocket relay needs from its session. */
export interface WsRelayHost {
  readonly readers: { readonly up: ReadSettings; readonly down: ReadSettings };
  /** Whether anyone listens to message and control events. */
  readonly messagesObserved: boolean;
  /** The session's wire tap (a capture): it hears the client's side of each connection. */
  readonly wireTap: WireTap | undefined;
  /** Both ends are closed: forget the relay and say why. */
  relayClosed(relay: WsRelay): void;
}

/** One end of a WebSocket relay: its WebSocket and the TCP (or TLS) socket under it. */
export interface WsEnd {
  ws: WebSocket;
  socket: net.Socket;
}

/** Reads one direction's messages for display: each whole, with its frame type. */
class FrameReader extends DirectionReader {
  message(data: Buffer, binary: boolean): void {
    this.opcodeIn = binary ? 'binary' : 'text';
    this.read(data);
  }
}

const EMPTY = Buffer.alloc(0);

/** A code a close frame may carry (RFC 6455 7.4): what a peer sent is passed on as it is. */
function onTheWire(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** A client's WebSocket relayed to its own WebSocket on the target. */
export class WsRelay {
  readonly since = Date.now();
  private readonly up: FrameReader;
  private readonly down: FrameReader;
  private first: { side: CloseSide; how: CloseHow; frame?: WsCloseFrame; detail?: string } | undefined;
  private open = 2;
  private note: string | undefined;

  constructor(
    private readonly host: WsRelayHost,
    readonly id: number,
    readonly peer: string,
    readonly client: WsEnd,
    readonly target: WsEnd,
    readonly targetUrl: string,
  ) {
    this.up = new FrameReader(host.readers.up, id, peer);
    this.down = new FrameReader(host.readers.down, id, peer);
  }

  /** Starts relaying both ways. */
  start(idleTimeoutMs?: number): void {
    this.wire(this.client, this.target, 'up', 'client');
    this.wire(this.target, this.client, 'down', 'target');
    if (idleTimeoutMs) {
      for (const end of [this.client, this.target]) {
        end.socket.setTimeout(idleTimeoutMs);
        end.socket.once('timeout', () => this.close(`idle for ${idleTimeoutMs / 1000} s`, 'timeout'));
      }
    }
  }

  private wire(from: WsEnd, to: WsEnd, direction: Direction, side: CloseSide): void {
    const reader = direction === 'up' ? this.up : this.down;
    let paused = false;
    from.ws.on('message', (data: Buffer, binary: boolean) => {
      reader.message(data, binary);
      if (to.ws.readyState !== 1) return;
      to.ws.send(data, { binary });
      if (direction === 'down') this.host.wireTap?.('out', this.id, this.peer, data, binary ? 'binary' : 'text');
      if (!paused && to.socket.writableNeedDrain) {
        // the other end reads slowly: stop reading this one until it has taken what waits
        paused = true;
        from.ws.pause();
        to.socket.once('drain', () => {
          paused = false;
          if (from.ws.readyState === 1) from.ws.resume();
        });
      }
    });
    from.ws.on('ping', (data: Buffer) => {
      this.control('ping', direction, data);
      if (to.ws.readyState === 1) to.ws.ping(data);
    });
    from.ws.on('pong', (data: Buffer) => {
      this.control('pong', direction, data);
      if (to.ws.readyState === 1) to.ws.pong(data);
    });
    from.ws.on('error', (err: Error) => {
      this.first ??= { side, how: 'error', detail: err.message };
    });
    from.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.first ??= { side, how: err.code === 'ECONNRESET' ? 'rst' : 'error', detail: err.code === 'ECONNRESET' ? undefined : err.message };
    });
    from.ws.once('close', (code: number, reason: Buffer) => {
      const text = reason.toString('utf8');
      // 1006: the connection ended without a close frame (a reset, a lost peer)
      this.first ??= { side, how: code === 1006 ? 'rst' : 'fin', frame: code === 1006 ? undefined : { code, reason: text, by: 'peer' } };
      this.pass(to, code, text);
      if (--this.open === 0) this.host.relayClosed(this);
    });
  }

  /** Carries a close across: the same code and reason, or a cut connection as a cut. */
  private pass(to: WsEnd, code: number, reason: string): void {
    const s = to.ws.readyState;
    if (s !== 0 && s !== 1) return;
    if (code === 1006) to.ws.terminate();
    else if (code === 1005) to.ws.close();
    else to.ws.close(onTheWire(code) ? code : 1000, reason);
    // a peer that ignores the close frame is cut off
    setTimeout(() => to.ws.terminate(), 2000).unref();
  }

  private control(opcode: 'ping' | 'pong', way: Direction, payload: Buffer): void {
    if (!this.host.messagesObserved) return;
    this.host.readers.up.emit({ event: 'control', opcode, direction: 'in', way, peer: this.peer, id: this.id, bytes: payload.length, payload: payload.length ? payload : EMPTY });
  }

  /** Closes both ends from the relay: a close frame with `code` (1001 going away by default), or cut at once with `reset`. */
  close(reason: string, how: CloseHow = 'fin', reset = false, code = 1001): void {
    this.note ??= reason;
    this.first ??= { side: 'proxy', how: reset ? 'rst' : how };
    for (const end of [this.client, this.target]) {
      if (reset) end.ws.terminate();
      else this.pass(end, code, reason.slice(0, 120));
    }
  }

  /** Who closed first, how, and the close frame that began it, as the close event says it. */
  closing(): { reason: string; closedBy?: CloseSide; how?: CloseHow; closeFrame?: WsCloseFrame } {
    const f = this.first;
    if (!f) return { reason: this.note ?? 'closed' };
    const frame = f.frame ? ` with ${describeCloseCode(f.frame.code)}${f.frame.reason ? ` "${f.frame.reason}"` : ''}` : '';
    const how = f.how === 'fin' ? `closed${frame}` : f.how === 'rst' ? 'cut the connection without a close frame' : f.how === 'timeout' ? 'timed out' : `failed${f.detail ? `: ${f.detail}` : ''}`;
    const who = f.side === 'proxy' ? `closed by the proxy${this.note ? ` (${this.note})` : ''}` : `${f.side} ${how} first`;
    return { reason: who, closedBy: f.side, how: f.how, ...(f.frame ? { closeFrame: f.frame } : {}) };
  }

  /** Counts for faces: up as bytes in, down as bytes out. */
  info(): RelayInfo {
    return {
      id: this.id, peer: this.peer, since: this.since, target: this.targetUrl,
      bytesIn: this.up.bytesIn, bytesOut: this.down.bytesIn, messagesIn: this.up.messagesIn, messagesOut: this.down.messagesIn,
    };
  }
}
