// The relay's part of the page protocol: a proxy's spec, its target and faults events, and the request that changes its faults.
import type { FaultPatch } from '../wire/faults.js';
import type { FaultsEvent, TargetEvent, TlsPeerInfo } from '../wire/events.js';

/** A relay from `port` to `target` (`host:port`), TCP or (with `udp`) datagrams, with faults from the start. */
export interface ProxySpec {
  kind: 'proxy';
  host?: string;
  port: number;
  target: string;
  encoding: string;
  /** Framing of both directions, for display (TCP only). */
  frame: string;
  udp?: boolean;
  /** Relay WebSocket connections, shown frame by frame (no faults, no framing). */
  ws?: boolean;
  faults?: FaultPatch;
}

/** What a TLS peer showed (a TLS client's server, a relay's target). */
export type WireTlsPeer = TlsPeerInfo;
/** A relay reached its target for connection `id`. */
export type WireTarget = TargetEvent;
/** A relay's faults now. */
export type WireFaults = FaultsEvent;

/** Change a relay's faults while it runs: the fields given replace the current ones (0 turns one off). */
export interface PageFaults {
  type: 'faults';
  req: number;
  session: string;
  faults: FaultPatch;
}
