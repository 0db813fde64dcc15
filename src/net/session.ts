// The base of every session: one typed event channel, counters, and a lifecycle that ends exactly once.
import { EventEmitter } from 'node:events';
import { canonicalEncoding } from '../wire/encoding-name.js';
import type { CloseEvent, Direction, EventInput, SessionEvent, SessionStats, SummaryEvent, ListeningEvent, WsHandshake, WsOpcode } from './events.js';
import { Behaviour, type BehaviourOptions, type Link } from './behaviour.js';
import type { FrameSpec } from '../wire/framing.js';
import type { RuleStat } from './rule-set.js';
import type { RuleSpec } from '../wire/rules.js';
import { UsageError } from '../errors.js';
import type { ReadSettings } from './conversation.js';
import { saveReceived, type ReceivedFile, type SaveReceivedOptions } from './received-file.js';

export * from './events.js';
export type { ReceivedFile, SaveReceivedOptions } from './received-file.js';

/**
 * Hears every read and every write of a session's connections as they cross the wire, before
 * framing and whether or not events are wanted: what a capture records. `opcode` is a WebSocket
 * message's type.
 */
export type WireTap = (dir: 'in' | 'out', id: number, peer: string, bytes: Buffer, opcode?: WsOpcode) => void;

/** How a session turns the bytes it reads into text for those who watch. */
export interface TextOptions {
  /** The character set of text: utf8 (the default), gbk, big5, shift_jis, … (iconv-lite's names). */
  encoding?: string;
  /**
   * Decode messages into `text` for observers (default true); off saves work when only bytes are
   * shown. `'unless-utf8'`: a UTF-8 session leaves out the text of a message whose bytes are valid
   * UTF-8 on their own, which observers can decode alone (the browser page does); a character split
   * between reads still comes decoded.
   */
  decode?: boolean | 'unless-utf8';
  /**
   * The longest message decoded into `text` for observers; longer ones come without it, so that a
   * face showing only a part of a huge message decodes only that part.
   */
  decodeLimit?: number;
}

/** What a session's options say about reading: text, and how to answer. */
export interface ReadOptions extends TextOptions, Readonly<BehaviourOptions> {}

/** What observers' `text` holds, from a session's options. */
export function shownText(options: TextOptions): { decodeShown: boolean; decodeLimit: number; utf8Implied: boolean } {
  const utf8Implied = options.decode === 'unless-utf8' && canonicalEncoding(options.encoding ?? 'utf8') === 'utf8';
  return { decodeShown: options.decode !== false, decodeLimit: options.decodeLimit ?? Infinity, utf8Implied };
}

/** What a session knows a peer by. */
export interface PeerKey {
  readonly id: number;
  readonly peer: string;
}

/** Why and how a peer's connection ended, as its `close` event says. */
export type PeerClose = Omit<CloseEvent, 'event' | 'ts' | 'session' | 'peer' | 'id'>;

/**
 * Base of all sessions: one `event` channel carrying the typed union, `closed` that resolves
 * once, after the one `summary` event.
 */
export abstract class Session extends EventEmitter {
  readonly name: string;
  readonly stats: SessionStats = { connections: 0, active: 0, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  /** Resolves once the session has ended and emitted its `summary`. */
  readonly closed: Promise<void>;
  protected readonly startedAt = Date.now();
  private resolveClosed!: () => void;
  private done = false;
  private listenAddresses: readonly string[] = [];
  private behaviour: Behaviour | undefined;
  private listeningAs: ListeningEvent | undefined;

  /**
   * Whether `data` and `send` events are wanted (default true). A face that shows only
   * connections turns this off, and the data path then builds, decodes and emits nothing.
   */
  messageEvents = true;

  /** The taps hearing the wire, as one function (undefined when none, so the data path checks one field). */
  wireTap: WireTap | undefined;
  private taps: WireTap[] = [];
  /** True while a tap cannot keep up: stream connections pause reading until it can (datagrams cannot wait). */
  wireBlocked = false;
  private wireWaiters: (() => void)[] = [];
  /** Who holds the wire blocked (a capture, a file of received bytes): free once none does. */
  private wireBlockers = new Set<unknown>();

  constructor(name: string) {
    super();
    this.name = name;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** True when someone listens: sessions skip building events nobody reads. */
  get observed(): boolean {
    return this.listenerCount('event') > 0;
  }

  /** True when someone listens and wants `data` and `send` events. */
  get messagesObserved(): boolean {
    return this.messageEvents && this.listenerCount('event') > 0;
  }

  /** Every address the session listens on, as its `listening` event said (dual-stack lists both families). */
  get addresses(): readonly string[] {
    return this.listenAddresses;
  }

  /** The `listening` event the session emitted, if it listens: for observers that attach later. */
  get listeningEvent(): ListeningEvent | undefined {
    return this.listeningAs;
  }

  /** True once the session has ended (its `summary` was emitted). */
  get ended(): boolean {
    return this.done;
  }

  override on(event: 'event', listener: (e: SessionEvent) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  /** Adds a tap on every read and write (see {@link WireTap}); returns a function that removes it. */
  tapWire(tap: WireTap): () => void {
    this.taps = [...this.taps, tap];
    this.retap();
    return () => {
      this.taps = this.taps.filter((t) => t !== tap);
      this.retap();
    };
  }

  /** Calls `resume` once the taps keep up again (at once when they do now). */
  whenWireFree(resume: () => void): void {
    if (!this.wireBlocked) resume();
    else this.wireWaiters.push(resume);
  }

  /**
   * A tap says whether it keeps up (`by` names the tap when there may be several); connections
   * paused for it resume when no tap is behind.
   */
  setWireBlocked(blocked: boolean, by: unknown = 'tap'): void {
    if (blocked) this.wireBlockers.add(by);
    else this.wireBlockers.delete(by);
    this.wireBlocked = this.wireBlockers.size > 0;
    if (this.wireBlocked) return;
    const waiters = this.wireWaiters;
    this.wireWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Saves every byte received from every peer, exactly as it arrives, to a file (or a stream such
   * as stdout) until the session ends: `nc -l > file`, or a page that must lose nothing. A file
   * that exists is refused unless `overwrite`; reading pauses while the disk is behind.
   */
  saveReceived(to: string | NodeJS.WritableStream, options: SaveReceivedOptions = {}): ReceivedFile {
    return saveReceived(this, to, options, (e) => this.emitEvent(e));
  }

  private retap(): void {
    const taps = this.taps;
    this.wireTap = taps.length === 0 ? undefined : taps.length === 1 ? taps[0] : (dir, id, peer, bytes, opcode) => {
      for (const t of taps) t(dir, id, peer, bytes, opcode);
    };
  }

  /** Stops the session; resolves when it has ended. */
  abstract close(): Promise<void>;

  /** Emits an event, stamping `ts` (now, unless the event has one) and `session`. */
  protected emitEvent(e: EventInput): void {
    const stamped = e as SessionEvent;
    stamped.ts ??= Date.now();
    stamped.session = this.name;
    this.emit('event', stamped);
  }

  /** Records the bound addresses and emits `listening`. */
  protected announceListening(protocol: ListeningEvent['protocol'], address: string, port: number, addresses: readonly string[]): void {
    this.listenAddresses = addresses;
    const e: Omit<ListeningEvent, 'ts' | 'session'> = { event: 'listening', protocol, address, port, addresses: [...addresses] };
    this.emitEvent(e);
    // emitEvent stamped it in place
    this.listeningAs = e as ListeningEvent;
  }

  /**
   * Compiles what the session does with each message. Its rules' hits go into the `summary`, a
   * rules file that cannot be reloaded is an `error` event (the rules in force stay), and the
   * file stops being watched when the session ends.
   */
  protected behaviourOf(options: Readonly<BehaviourOptions>, encoding: string, frame: FrameSpec, others?: () => Iterable<Link>): Behaviour {
    this.behaviour?.close();
    this.behaviour = new Behaviour(options, encoding, frame, others, (err, count) => {
      if (err) this.emitEvent({ event: 'error', code: 'SOCKIT_ERR_RULES', message: `the rules file was not reloaded: ${err.message}; the ${count} rules in force stay` });
    });
    return this.behaviour;
  }

  /**
   * Replaces the rules while the session runs (one started with a rules list, even empty); every
   * rule is parsed first, so a bad one throws and the rules in force stay.
   */
  setRules(rules: readonly (string | RuleSpec)[], where?: string): void {
    if (!this.behaviour) throw new UsageError('this session answers nothing, so it has no rules to change');
    this.behaviour.setRules(rules, where);
  }

  /** How often each rule fired so far. */
  ruleStats(): RuleStat[] {
    return this.behaviour?.ruleStats() ?? [];
  }

  /**
   * A listener's shutdown once it stops accepting: each peer is ended gracefully, those still open
   * after `graceMs` are forced, and the session finishes with the last one (at once with none).
   */
  protected endPeers<P>(peers: ReadonlyMap<unknown, P>, graceMs: number, end: (peer: P) => void, force: (peer: P) => void): void {
    if (peers.size === 0) this.finish();
    for (const p of peers.values()) end(p);
    const timer = setTimeout(() => {
      for (const p of peers.values()) force(p);
    }, graceMs);
    timer.unref();
    void this.closed.then(() => clearTimeout(timer));
  }

  /**
   * How this session's conversations read: framing, decoding, and the behaviour that answers. A
   * server's behaviour knows its other peers (for chat); a client with nothing to answer gets none,
   * so its reads skip it.
   */
  protected readSettings(options: ReadOptions, frame: FrameSpec, maxFrameBytes: number, others?: () => Iterable<Link>): ReadSettings {
    const encoding = options.encoding ?? 'utf8';
    const behaviour = this.behaviourOf(options, encoding, frame, others);
    const answers = others !== undefined || behaviour.active || options.welcome !== undefined;
    return { session: this, emit: (e) => this.emitEvent(e), frame, maxFrameBytes, encoding, ...shownText(options), behaviour: answers ? behaviour : undefined };
  }

  /**
   * How a relay reads each way: framing per direction, decoding, and the direction stamped on its
   * events; a relay answers nothing.
   */
  protected relayReaders(options: ReadOptions, frames: Record<Direction, FrameSpec>, maxFrameBytes: number, wholeMessages = false): Record<Direction, ReadSettings> {
    const read = (direction: Direction): ReadSettings => ({
      session: this, emit: (e) => this.emitEvent(e), frame: frames[direction], maxFrameBytes,
      encoding: options.encoding ?? 'utf8', ...shownText(options), wholeMessages, behaviour: undefined, direction,
    });
    return { up: read('up'), down: read('down') };
  }

  /** Counts a peer that connected, keeps it by id and tells of it (`connect`). */
  protected admitPeer<P extends PeerKey>(peers: Map<number, P>, peer: P, connect: { local: string; handshake?: WsHandshake }): void {
    this.stats.connections++;
    this.stats.active++;
    peers.set(peer.id, peer);
    if (this.observed) this.emitEvent({ event: 'connect', peer: peer.peer, id: peer.id, ...connect });
  }

  /**
   * Forgets a peer whose connection ended and tells why (`close`); a closing session ends with
   * its last peer. False when the peer was already forgotten.
   */
  protected releasePeer<P extends PeerKey>(peers: Map<number, P>, peer: P, close: PeerClose, closing: boolean): boolean {
    if (!peers.delete(peer.id)) return false;
    this.stats.active--;
    this.emitEvent({ event: 'close', peer: peer.peer, id: peer.id, ...close });
    if (closing && peers.size === 0) this.finish();
    return true;
  }

  /** Ends the session: the `summary` event, then `closed` resolves. Later calls do nothing. */
  protected finish(): void {
    if (this.done) return;
    this.done = true;
    this.behaviour?.close();
    this.emitEvent(this.summary());
    this.resolveClosed();
  }

  /** The totals so far, as a `summary` event. */
  protected summary(): Omit<SummaryEvent, 'ts' | 'session'> {
    const s = this.stats;
    return {
      event: 'summary', connections: s.connections, bytesIn: s.bytesIn, bytesOut: s.bytesOut,
      messagesIn: s.messagesIn, messagesOut: s.messagesOut, durationMs: Date.now() - this.startedAt,
      ...(this.behaviour?.rules ? { rules: this.behaviour.ruleStats() } : {}),
    };
  }
}
