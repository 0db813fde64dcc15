// The relay's part of the page protocol: a proxy's spec, its target and faults events, and the request that changes its faults.
import type { FaultPatch, FaultSpec } from '../wire/faults.js';

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
export interface WireTlsPeer {
  subject: string;
  issuer: string;
  altNames?: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  protocol: string;
  cipher: string;
  authorized: boolean;
  authorizationError?: string;
}

/** A relay reached its target for connection `id`. */
export interface WireTarget {
  ts: number;
  session: string;
  event: 'target';
  id: number;
  peer: string;
  target: string;
  local: string;
  connectMs: number;
  tls?: WireTlsPeer;
}

/** A relay's faults now. */
export interface WireFaults {
  ts: number;
  session: string;
  event: 'faults';
  up: FaultSpec;
  down: FaultSpec;
  refuse: number;
}

/** Change a relay's faults while it runs: the fields given replace the current ones (0 turns one off). */
export interface PageFaults {
  type: 'faults';
  req: number;
  session: string;
  faults: FaultPatch;
}
