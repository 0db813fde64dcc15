// The static server's memory: what a path resolved to, its headers, and the bytes of small files, bounded, and dropped when the file changes.
import fs, { type Stats } from 'node:fs';
import path from 'node:path';
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
  /** When stat last confirmed this version (ms since the epoch). */
  checkedAt: number;
  /** True while change notifications cover the file's folder(s), so stat can wait. */
  watched: boolean;
  /** Used since eviction last looked at it. */
  used?: boolean;
}

/** Sizes that bound the cache. */
export interface FileCacheLimits {
  /** Total bytes of bodies and compressed copies kept (default 64 MiB). */
  maxBytes?: number;
  /** Largest file whose bytes are kept (default 1 MiB); larger ones are streamed. */
  maxFileBytes?: number;
  /** Most paths remembered, bodies or not (default 10,000). */
  maxEntries?: number;
  /**
   * How long a watched entry is trusted without a stat (default 1000 ms). Changes are normally
   * seen at once through fs.watch; this bounds staleness where the file system does not report
   * them (network mounts, a parent folder swapped for another). 0: stat on every request.
   */
  revalidateMs?: number;
  /** Most folders watched for changes (default 1000); files elsewhere are stat-ed on every request. */
  maxWatchedDirs?: number;
}

interface DirWatch {
  watcher: fs.FSWatcher;
  keys: Set<string>;
  /** The folder's inode when the watch began: a folder deleted and made again needs a new watch. */
  ino: number;
}

/** A map of files, bounded in bytes and in entries, evicting the least recently used (approximately). */
export class FileCache {
  readonly maxBytes: number;
  readonly maxFileBytes: number;
  readonly maxEntries: number;
  readonly revalidateMs: number;
  private readonly maxWatchedDirs: number;
  private readonly map = new Map<string, CachedFile>();
  private readonly watches = new Map<string, DirWatch>();
  private bytes = 0;

  constructor(limits: FileCacheLimits = {}) {
    this.maxBytes = limits.maxBytes ?? 64 * 1024 * 1024;
    this.maxFileBytes = Math.min(limits.maxFileBytes ?? 1024 * 1024, this.maxBytes);
    this.maxEntries = limits.maxEntries ?? 10_000;
    this.revalidateMs = limits.revalidateMs ?? 1000;
    this.maxWatchedDirs = limits.maxWatchedDirs ?? 1000;
  }

  /** Folders watched now. */
  get watchedDirs(): number {
    return this.watches.size;
  }

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  /** Entries held now. */
  get count(): number {
    return this.map.size;
  }

  /** The entry for a key, marked as used. */
  get(key: string): CachedFile | undefined {
    const entry = this.map.get(key);
    if (entry) entry.used = true;
    return entry;
  }

  /** Stores an entry, evicting the least recently used ones beyond the limits. */
  set(key: string, entry: CachedFile): void {
    this.delete(key);
    this.map.set(key, entry);
    this.bytes += weight(entry);
    entry.watched = this.revalidateMs > 0 && this.watch(path.dirname(entry.real), key) && (path.dirname(entry.abs) === path.dirname(entry.real) || this.watch(path.dirname(entry.abs), key));
    this.evict();
  }

  /** True when a hit may skip its stat: change notifications are on and the last check is recent. */
  fresh(entry: CachedFile, now: number): boolean {
    return entry.watched && now - entry.checkedAt < this.revalidateMs;
  }

  // One watcher per folder: the real file's (edits, atomic saves, deletes) and the asked path's (a relinked symlink).
  private watch(dir: string, key: string): boolean {
    let w = this.watches.get(dir);
    if (!w) {
      if (this.watches.size >= this.maxWatchedDirs) return false;
      let watcher: fs.FSWatcher;
      let ino: number;
      try {
        ino = fs.statSync(dir).ino;
        watcher = fs.watch(dir, { persistent: false }, (_type, filename) => this.changed(dir, filename === null ? null : String(filename)));
      } catch {
        return false;
      }
      const created: DirWatch = { watcher, keys: new Set(), ino };
      // a watch that fails (folder gone, limit reached) stops vouching for its entries
      watcher.on('error', () => this.unwatch(dir, true));
      this.watches.set(dir, created);
      w = created;
    }
    w.keys.add(key);
    return true;
  }

  private changed(dir: string, filename: string | null): void {
    const w = this.watches.get(dir);
    if (!w) return;
    // the folder itself went away or was replaced (`rm -rf dist && build`): this watch sees no more
    if (fs.statSync(dir, { throwIfNoEntry: false })?.ino !== w.ino) {
      this.unwatch(dir, true);
      return;
    }
    for (const key of [...w.keys]) {
      const entry = this.map.get(key);
      if (!entry) {
        w.keys.delete(key);
        continue;
      }
      if (filename === null || path.basename(entry.real) === filename || path.basename(entry.abs) === filename) this.delete(key);
    }
  }

  private unwatch(dir: string, failed: boolean): void {
    const w = this.watches.get(dir);
    if (!w) return;
    this.watches.delete(dir);
    w.watcher.close();
    if (failed) for (const key of w.keys) this.delete(key);
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
      for (const dir of new Set([path.dirname(old.real), path.dirname(old.abs)])) {
        const w = this.watches.get(dir);
        if (w && w.keys.delete(key) && w.keys.size === 0) this.unwatch(dir, false);
      }
    }
  }

  /** Forgets everything and stops watching. */
  clear(): void {
    this.map.clear();
    this.bytes = 0;
    for (const dir of [...this.watches.keys()]) this.unwatch(dir, false);
  }

  // CLOCK, an LRU approximation: the oldest entry goes unless used since its last chance, in which
  // case it moves to the back; hits only set a flag instead of reordering the map
  private evict(): void {
    let chances = this.map.size;
    while ((this.bytes > this.maxBytes || this.map.size > this.maxEntries) && this.map.size > 0) {
      const [key, entry] = this.map.entries().next().value as [string, CachedFile];
      if (entry.used && chances-- > 0) {
        entry.used = false;
        this.map.delete(key);
        this.map.set(key, entry);
      } else {
        this.delete(key);
      }
    }
  }
}

function weight(entry: CachedFile): number {
  let n = entry.body?.length ?? 0;
  for (const b of Object.values(entry.encoded)) n += b?.length ?? 0;
  return n;
}
