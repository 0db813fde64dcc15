// The static server's memory: what a path resolved to, its headers, and the bytes of small files, bounded and checked against stat.
import type { Stats } from 'node:fs';
import type { Encoding } from './compression.js';

/** What identifies one version of a file: if any of these changed, the cached copy is stale. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** Reads the identity out of a stat result. */
export function identityOf(st: Stats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

/** True when a stat result still describes the cached version. */
export function sameFile(st: Stats, id: FileIdentity): boolean {
  return st.ino === id.ino && st.mtimeMs === id.mtimeMs && st.size === id.size && st.ctimeMs === id.ctimeMs && st.dev === id.dev;
}

/** A resolved, validated file and what is precomputed for it. */
export interface CachedFile {
  /** The cache key: the path segments joined by `/`. */
  key: string;
  /** The path as asked (stat-ed on every request) and its real path (read from). */
  abs: string;
  real: string;
  identity: FileIdentity;
  contentType: string;
  compressible: boolean;
  etag: string;
  lastModified: string;
  /** Header name/value pairs every 200/206 answer for this version carries, but Content-Type and Content-Length. */
  baseHeaders: string[];
  /** The full 200 answer's headers, ready for writeHead. */
  okHeaders: string[];
  /** The 304 answer's headers: validators, caching and Vary. */
  notModifiedHeaders: string[];
  /** The content, for files small enough to keep. */
  body?: Buffer;
  /** Compressed copies of `body`; null when compressing did not pay. */
  encoded: Partial<Record<Encoding, Buffer | null>>;
}

/** Sizes that bound the cache. */
export interface FileCacheLimits {
  /** Total bytes of bodies and compressed copies kept (default 64 MiB). */
  maxBytes?: number;
  /** Largest file whose bytes are kept (default 1 MiB); larger ones are streamed. */
  maxFileBytes?: number;
  /** Most paths remembered, bodies or not (default 10,000). */
  maxEntries?: number;
}

/** A least-recently-used map of files, bounded in bytes and in entries. */
export class FileCache {
  readonly maxBytes: number;
  readonly maxFileBytes: number;
  readonly maxEntries: number;
  private readonly map = new Map<string, CachedFile>();
  private bytes = 0;

  constructor(limits: FileCacheLimits = {}) {
    this.maxBytes = limits.maxBytes ?? 64 * 1024 * 1024;
    this.maxFileBytes = Math.min(limits.maxFileBytes ?? 1024 * 1024, this.maxBytes);
    this.maxEntries = limits.maxEntries ?? 10_000;
  }

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  /** Entries held now. */
  get count(): number {
    return this.map.size;
  }

  /** The entry for a key, marked as just used. */
  get(key: string): CachedFile | undefined {
    const entry = this.map.get(key);
    if (entry) {
      this.map.delete(key);
      this.map.set(key, entry);
    }
    return entry;
  }

  /** Stores an entry, evicting the least recently used ones beyond the limits. */
  set(key: string, entry: CachedFile): void {
    this.delete(key);
    this.map.set(key, entry);
    this.bytes += weight(entry);
    this.evict();
  }

  /** Attaches a body or compressed copy to an entry that is still current, within the byte limit. */
  attach(key: string, entry: CachedFile, what: 'body' | Encoding, bytes: Buffer | null): void {
    if (this.map.get(key) !== entry) return;
    this.bytes -= weight(entry);
    if (what === 'body') entry.body = bytes ?? undefined;
    else entry.encoded[what] = bytes;
    this.bytes += weight(entry);
    this.evict();
  }

  /** Forgets a key. */
  delete(key: string): void {
    const old = this.map.get(key);
    if (old) {
      this.map.delete(key);
      this.bytes -= weight(old);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  private evict(): void {
    while ((this.bytes > this.maxBytes || this.map.size > this.maxEntries) && this.map.size > 0) {
      this.delete(this.map.keys().next().value as string);
    }
  }
}

function weight(entry: CachedFile): number {
  let n = entry.body?.length ?? 0;
  for (const b of Object.values(entry.encoded)) n += b?.length ?? 0;
  return n;
}
