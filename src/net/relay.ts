// One relayed TCP connection: a client and its target, each direction read for display and shaped by the faults, ended in order, with who closed first and how.
import type net from 'node:net';
import { isClear, type FaultSpec } from '../wire/faults.js';
import type { ConversationInfo, ReadSettings } from './conversation.js';
import { DirectionReader } from './direction-reader.js';
import type { CloseHow, CloseSide, Direction } from './events.js';
import type { WireTap } from './session.js';
import { StreamShaper, type Random, type ShaperOutput } from './faults.js';
import { adoptReads, ReadBuffers, type ReadLender } from './read-buffers.js';

/** One end of a relay: the stream its bytes travel on (TLS or plain) and the TCP socket under it. */
export interface RelaySide {
  stream: net.Socket;
  raw: net.Socket;
  /** Plain TCP read with `onread` through the relays' read buffers (no `data` events). */
  inPlace?: boolean;
}

/**
 * Relays read up to 256 KiB at a time (Node reads 64 KiB); 256 such buffers out at most, enough for
 * a hundred busy connections both ways. A buffer's memory is touched only as far as reads fill it.
 */
const relayReads = new ReadBuffers(256 * 1024, 256);

/** The `onread` option of a relay's plain sockets (a target connection is created paused, to read once its relay starts). */
export const inPlaceReads: net.OnReadOpts = relayReads.onread(onRelayRead);

/** A plain client, accepted paused, taken over to read in place. */
export function plainClient(raw: net.Socket): RelaySide {
  const stream = adoptReads(raw, inPlaceReads);
  return { stream, raw: stream, inPlace: stream !== raw };
}

const PUMP = Symbol('sockit.pump');
type PumpedSocket = net.Socket & { [PUMP]?: Pump };

/**
 * A read of a side that reads in place. Where the direction only relays (no faults, observer, tap or
 * framing) and writes to plain TCP, a streaming read is lent to the write instead of copied.
 */
function onRelayRead(this: PumpedSocket, n: number, buffer: Buffer): void {
  const pump = this[PUMP];
  // a client drained after its target failed: nothing to relay
  if (pump === undefined) return;
  const borrows = ReadBuffers.asks(n, buffer) && pump.mayBorrow();
  pump.onData(ReadBuffers.take(n, buffer, borrows));
  relayReads.next(pump, this.destroyed, n, buffer, borrows);
}

/** What a relay needs from its session. */
export interface RelayHost {
  /** Read settings of each direction (framing, encoding, the session's emit). */
  readonly readers: { readonly up: ReadSettings; readonly down: ReadSettings };
  /** The faults of a direction now. */
  faults(direction: Direction): FaultSpec;
  readonly random: Random;
  readonly idleTimeoutMs?: number;
  /** The session's wire tap (a capture): it hears the client's side of each connection. */
  readonly wireTap: WireTap | undefined;
  /** Both ends are closed: forget the relay and say why. */
  relayClosed(relay: Relay): void;
}

/** What a relay knows about itself, as faces list it. */
export interface RelayInfo extends ConversationInfo {
  /** The target's address once connected. */
  target?: string;
  /** Bytes held by a delay or pace, per direction. */
  stalled?: Direction[];
}

/** How the first (and the other) end closed. */
interface CloseNote {
  side: CloseSide;
  how: CloseHow;
  detail?: string;
}

// reasons a direction's source is paused; it reads again only when none holds
const DRAIN = 1;
const BACKLOG = 2;
const STALL = 4;

/** One direction: read from one end, shown, shaped, written to the other, with backpressure end to end. */
class Pump implements ShaperOutput, ReadLender {
  readonly shaper: StreamShaper;
  private direct: boolean;
  private holds = 0;
  ownReadBuffer: Buffer | undefined;
  lentReadBuffers: Buffer[] | undefined;

  constructor(
    private readonly relay: Relay,
    readonly direction: Direction,
    private readonly from: RelaySide,
    private readonly to: RelaySide,
    readonly reader: DirectionReader,
  ) {
    const faults = () => relay.host.faults(direction);
    this.shaper = new StreamShaper(faults, this, relay.host.random);
    this.direct = isClear(faults());
  }

  start(): void {
    this.to.stream.on('drain', this.onDrain);
    this.from.stream.on('end', this.onEnd);
    if (!this.from.inPlace) {
      this.from.stream.on('data', this.onData);
      return;
    }
    (this.from.raw as PumpedSocket)[PUMP] = this;
    this.from.raw.once('close', () => relayReads.release(this));
    this.from.stream.resume();
  }

  /** A read may be lent to the write: nothing but the write keeps it. */
  mayBorrow(): boolean {
    return this.direct && this.shaper.idle && this.to.stream === this.to.raw && this.reader.mayBorrowReads();
  }

  /** True while a write may still point into a lent read. */
  writesPending(): boolean {
    return this.to.stream.writableLength > 0;
  }

  readonly onData = (chunk: Buffer): void => {
    if (this.relay.cutting) return;
    this.reader.read(chunk);
    if (this.direct && this.shaper.idle) {
      this.shaper.passed += chunk.length;
      this.toClient(chunk);
      if (!this.to.stream.write(chunk)) this.hold(DRAIN);
    } else this.shaper.push(chunk);
  };

  private readonly onDrain = (): void => {
    this.release(DRAIN);
    this.shaper.drained();
  };

  private readonly onEnd = (): void => {
    this.relay.note(this.direction === 'up' ? 'client' : 'target', 'fin');
    this.reader.readEnd();
    if (this.relay.cutting) return;
    if (this.direct && this.shaper.idle) this.ended();
    else this.shaper.end();
  };

  /** The faults changed. */
  refault(): void {
    this.direct = isClear(this.relay.host.faults(this.direction));
    this.shaper.retime();
  }

  private hold(bit: number): void {
    if (this.holds === 0) this.from.stream.pause();
    this.holds |= bit;
  }

  private release(bit: number): void {
    if (!(this.holds & bit)) return;
    this.holds &= ~bit;
    if (this.holds === 0 && !this.from.stream.destroyed) this.from.stream.resume();
  }

  write(piece: Buffer, then?: () => void): boolean {
    if (this.to.stream.destroyed || this.to.stream.writableEnded) return true;
    this.toClient(piece);
    return this.to.stream.write(piece, then);
  }

  /** What goes down reaches the client as written here, after the faults: the wire tap records it as sent to the client. */
  private toClient(piece: Buffer): void {
    const tap = this.direction === 'down' ? this.relay.host.wireTap : undefined;
    if (tap !== undefined) tap('out', this.relay.id, this.relay.peer, piece);
  }

  cut(kind: 'drop' | 'reset', after: number): void {
    this.relay.cut(kind, this.direction, after);
  }

  stall(on: boolean): void {
    if (on) this.hold(STALL);
    else this.release(STALL);
  }

  backlog(full: boolean): void {
    if (full) this.hold(BACKLOG);
    else this.release(BACKLOG);
  }

  ended(): void {
    if (!this.to.stream.destroyed && !this.to.stream.writableEnded) this.to.stream.end();
  }
}

/**
 * Closes a side with a TCP reset (RST), whatever stream rides on it. On the next timer turn:
 * Node closes with a FIN instead when a reset follows a write in the same turn.
 */
export function resetSide(side: RelaySide): void {
  side.stream.pause();
  setTimeout(() => {
    if (!side.raw.destroyed) {
      try {
        side.raw.resetAndDestroy();
      } catch {
        side.raw.destroy();
      }
    }
    if (side.stream !== side.raw) side.stream.destroy();
  }, 0);
}

/** Why a system error ended a side, as a close note. */
function errorNote(side: CloseSide, err: NodeJS.ErrnoException): CloseNote {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return { side, how: 'rst' };
  return { side, how: 'error', detail: err.message };
}

const GRACE_MS = 2000;

/** A client connection and the target connection opened for it. */
export class Relay {
  readonly since = Date.now();
  target: RelaySide | undefined;
  /** The target's address, once connected. */
  targetName = '';
  /** True once a drop or reset fault (or a close from a face) cut the connection: nothing more is relayed. */
  cutting = false;
  private first: CloseNote | undefined;
  private second: CloseNote | undefined;
  private readonly up: DirectionReader;
  private readonly down: DirectionReader;
  private pumps: Pump[] = [];
  private open = 1;
  private grace: NodeJS.Timeout | undefined;
  private done = false;
  /** The target connection while it is being made. */
  connecting: net.Socket | undefined;

  constructor(
    readonly host: RelayHost,
    readonly id: number,
    readonly peer: string,
    readonly client: RelaySide,
  ) {
    this.up = new DirectionReader(host.readers.up, id, peer);
    this.down = new DirectionReader(host.readers.down, id, peer);
    this.watch(client, 'client');
  }

  /** The target is connected: start relaying both ways (the client was not read until now). */
  attach(target: RelaySide, name: string): void {
    this.target = target;
    this.targetName = name;
    this.open++;
    this.watch(target, 'target');
    if (this.client.stream.destroyed) {
      this.abort(false);
      return;
    }
    this.pumps = [new Pump(this, 'up', this.client, target, this.up), new Pump(this, 'down', target, this.client, this.down)];
    for (const p of this.pumps) p.start();
    // a client accepted paused (or a TLS client waiting for its target) reads from now on
    this.client.stream.resume();
    const idle = this.host.idleTimeoutMs;
    if (idle) {
      this.client.raw.setTimeout(idle);
      this.client.raw.on('timeout', () => {
        this.note('proxy', 'timeout', `idle for ${idle / 1000} s`);
        this.abort(false);
      });
    }
  }

  /** The target could not be reached: the client is closed (or reset), saying why. */
  fail(how: CloseHow, detail: string, reset: boolean): void {
    this.note('target', how, detail);
    if (reset) resetSide(this.client);
    else this.closeGracefully(this.client);
  }

  private watch(side: RelaySide, name: 'client' | 'target'): void {
    side.stream.on('error', (err: NodeJS.ErrnoException) => {
      const n = errorNote(name, err);
      this.note(n.side, n.how, n.detail);
      // a reset travels on as a reset, as it would without the relay in between
      this.abort(n.how === 'rst');
    });
    side.stream.on('close', () => {
      if (side.raw !== side.stream && !side.raw.destroyed) side.raw.destroy();
      if (--this.open === 0) this.finish();
    });
  }

  /** Records how an end closed: the first such note is who closed first. */
  note(side: CloseSide, how: CloseHow, detail?: string): void {
    if (!this.first) this.first = { side, how, detail };
    else if (!this.second && side !== this.first.side && this.first.side !== 'proxy') this.second = { side, how, detail };
  }

  /** A drop or reset fault fired in `direction` after `after` bytes. */
  cut(kind: 'drop' | 'reset', direction: Direction, after: number): void {
    if (this.cutting) return;
    this.cutting = true;
    const what = kind === 'reset' ? 'reset both ends (RST)' : 'closed both ends (FIN)';
    this.note('proxy', kind === 'reset' ? 'rst' : 'fin', `the proxy ${what} after ${after} bytes ${direction} (${kind}-after fault)`);
    for (const p of this.pumps) p.shaper.stop();
    if (kind === 'reset') this.abort(true);
    else {
      this.closeGracefully(this.client);
      if (this.target) this.closeGracefully(this.target);
    }
  }

  /** Ends both sides now: with RST (`reset`) or a plain close. */
  abort(reset: boolean): void {
    for (const p of this.pumps) p.shaper.stop();
    this.connecting?.destroy();
    for (const side of [this.client, this.target]) {
      if (!side) continue;
      if (reset) resetSide(side);
      else {
        side.stream.destroy();
        if (side.raw !== side.stream) side.raw.destroy();
      }
    }
  }

  /** FIN after what is queued; destroyed if the peer lingers. */
  private closeGracefully(side: RelaySide): void {
    if (!side.stream.writableEnded) side.stream.end();
    // read on (and discard) so the peer's own FIN is seen and the socket can close
    side.stream.resume();
    this.grace ??= setTimeout(() => this.abort(false), GRACE_MS);
    this.grace.unref();
  }

  /** Closes from a face: FIN to both ends (`reset`: RST), saying why. */
  close(reason: string, reset = false): void {
    this.note('proxy', reset ? 'rst' : 'fin', reason);
    if (reset) {
      this.cutting = true;
      this.abort(true);
      return;
    }
    this.cutting = true;
    for (const p of this.pumps) p.shaper.stop();
    this.closeGracefully(this.client);
    if (this.target) this.closeGracefully(this.target);
  }

  /** The faults changed: every direction looks again. */
  refault(): void {
    for (const p of this.pumps) p.refault();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.grace) clearTimeout(this.grace);
    for (const p of this.pumps) p.shaper.stop();
    this.connecting?.destroy();
    this.host.relayClosed(this);
  }

  /** Who closed first, as the close event says it. */
  closing(): { reason: string; closedBy?: CloseSide; how?: CloseHow } {
    const first = this.first;
    if (!first) return { reason: 'closed' };
    let reason = describeNote(first, true);
    if (this.second) reason += `; then ${describeNote(this.second, false)}`;
    return { reason, closedBy: first.side, how: first.how };
  }

  /** Bytes and messages each way: `In` is up (from the client), `Out` down. */
  info(): RelayInfo {
    const info: RelayInfo = {
      id: this.id, peer: this.peer, since: this.since,
      bytesIn: this.up.bytesIn, bytesOut: this.down.bytesIn, messagesIn: this.up.messagesIn, messagesOut: this.down.messagesIn,
    };
    if (this.targetName) info.target = this.targetName;
    const stalled = this.pumps.filter((p) => p.shaper.isStalled).map((p) => p.direction);
    if (stalled.length) info.stalled = stalled;
    return info;
  }
}

function describeNote(n: CloseNote, first: boolean): string {
  if (n.side === 'proxy' || n.how === 'refused' || n.how === 'timeout') return n.side === 'proxy' ? n.detail ?? 'closed by the proxy' : `${n.side}: ${n.detail}`;
  const verb = n.how === 'fin' ? 'closed (FIN)' : n.how === 'rst' ? 'reset (RST)' : `failed (${n.detail})`;
  return `${n.side} ${verb}${first ? ' first' : ''}`;
}
