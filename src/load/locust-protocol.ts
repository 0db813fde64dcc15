// Locust's master/worker messages: (type, data, node id) triples in MessagePack, as locust/rpc/protocol.py writes them.
import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';

/** A message between a Locust master and a worker. */
export interface LocustMessage {
  type: string;
  data: unknown;
  nodeId: string;
}

let packer: Packr | undefined;

/** msgpackr, loaded on first use: every sockit command would otherwise pay for loading it. */
function packr(): Packr {
  if (!packer) {
    const { Packr: PackrClass } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    // plain MessagePack only: no msgpackr records or extensions, which Python's msgpack would not read;
    // Maps become MessagePack maps with their integer keys intact (Locust's response-time buckets)
    packer = new PackrClass({ useRecords: false, moreTypes: false, encodeUndefinedAsNil: true, int64AsType: 'number', mapsAsObjects: true });
  }
  return packer;
}

/** Encodes a message as Locust's `Message.serialize` does: `msgpack.dumps((type, data, node_id))`. */
export function encodeLocustMessage(type: string, data: unknown, nodeId: string): Buffer {
  return packr().pack([type, data ?? null, nodeId]);
}

/**
 * Decodes a message from the master. Newer masters write datetimes as `{__datetime__: true, as_str}`
 * maps, which arrive as plain objects; nothing a worker reads carries one.
 */
export function decodeLocustMessage(bytes: Uint8Array): LocustMessage {
  const value: unknown = packr().unpack(bytes);
  if (!Array.isArray(value) || value.length !== 3 || typeof value[0] !== 'string') {
    throw new Error('not a Locust message (a MessagePack array of type, data and node id)');
  }
  return { type: value[0], data: value[1], nodeId: String(value[2]) };
}

/** The users a spawn message asks for, by user class (`user_classes_count`), and when it was sent. */
export interface LocustSpawn {
  classes: Record<string, number>;
  users: number;
  timestamp: number;
  /** Seconds the master lets users finish after a stop (`--stop-timeout`), 0 when unset. */
  stopTimeoutS: number;
}

/** Reads a spawn message's data; throws a sentence when it is not what Locust sends. */
export function readSpawn(data: unknown): LocustSpawn {
  const d = (data ?? {}) as Record<string, unknown>;
  const counts = d.user_classes_count;
  if (typeof counts !== 'object' || counts === null) throw new Error('a spawn message without user_classes_count');
  const classes: Record<string, number> = {};
  let users = 0;
  for (const [name, n] of Object.entries(counts as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error(`a spawn message with ${JSON.stringify(n)} users of ${name}`);
    classes[name] = n;
    users += n;
  }
  const stopTimeout = typeof d.stop_timeout === 'number' && d.stop_timeout > 0 ? d.stop_timeout : 0;
  return { classes, users, timestamp: typeof d.timestamp === 'number' ? d.timestamp : 0, stopTimeoutS: stopTimeout };
}
