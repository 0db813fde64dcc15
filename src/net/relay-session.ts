// What the TCP and UDP relays share: the faults in force and their changes and the random source.
import { applyFaultPatch, isClear, noFaults, type FaultPatch, type FaultSettings, type FaultSpec } from '../wire/faults.js';
import type { Direction } from './events.js';
import { seededRandom, type Random } from './faults.js';
import type { RelayInfo } from './relay.js';
import type { TextOptions } from './session.js';
import { ListeningSession } from './listen.js';

/** Where every relay listens and where it relays to. */
export interface RelayEndpoints extends TextOptions {
  /** Port to listen on (0: any free port). */
  port: number;
  /** Omitted: every interface, IPv4 and IPv6. */
  host?: string;
  /** Where each client is relayed to. */
  targetHost: string;
  targetPort: number;
}

/** Options every relay understands about its faults. */
export interface RelayFaultOptions {
  /** Faults from the start; change them with {@link RelaySession.setFaults}. */
  faults?: FaultPatch;
  /** Seed of the faults' random draws, so a run can be repeated. */
  seed?: number;
}

/** A relay session: faults that can change while it runs, and a list of its connections. */
export abstract class RelaySession extends ListeningSession {
  /** Where the faults' random draws come from. */
  readonly random: Random;
  private current: FaultSettings = noFaults();

  constructor(name: string, options: RelayFaultOptions) {
    super(name);
    this.random = options.seed === undefined ? Math.random : seededRandom(options.seed);
    if (options.faults) this.current = applyFaultPatch(this.current, options.faults);
  }

  /** The faults now in force. */
  get faultSettings(): FaultSettings {
    return this.current;
  }

  /** The faults of one direction now (read by each connection at every step). */
  faults(direction: Direction): FaultSpec {
    return this.current[direction];
  }

  /**
   * Changes the faults while the relay runs: the fields given replace the current ones (0 turns
   * one off). Open connections feel the change at once. Returns the faults now in force.
   */
  setFaults(patch: FaultPatch): FaultSettings {
    this.current = applyFaultPatch(this.current, patch);
    this.announceFaults();
    this.refault();
    return this.current;
  }

  /** Emits the faults in force (at start only when there are any). */
  protected announceFaults(onlyIfAny = false): void {
    const f = this.current;
    if (onlyIfAny && !f.refuse && isClear(f.up) && isClear(f.down)) return;
    this.emitEvent({ event: 'faults', up: { ...f.up }, down: { ...f.down }, refuse: f.refuse });
  }

  /** Open connections look at the faults again. */
  protected abstract refault(): void;

  /** The target as host:port. */
  abstract get target(): string;

  /** Binds the listening side; resolves once it is listening. */
  abstract listen(): Promise<this>;

  /** The relayed connections (or, for UDP, client mappings), oldest first. */
  abstract connections(): RelayInfo[];

  /** Ends one connection, saying why (RST with `reset` where there is a connection to reset); false if there is none. */
  abstract disconnect(id: number, reason?: string, reset?: boolean): boolean;
}
