// What a request path names on disk, and its cached forms: entries with precomputed headers, small bodies and their compressed variants, each made once.
import fs from 'node:fs';
import { identityOf, sameFile, type CachedFile, type FileCache } from './cache.js';
import { compressBuffer, contentTypeFor, isCompressible, type Encoding } from './compression.js';
import { isRefusal, resolveInRoot, type DotfilePolicy, type PathRefusal, type ServedRoot } from './resolve-path.js';

/** A file (with its cache entry), a folder (its real path), or why the path is refused. */
export type Lookup = { kind: 'file'; entry: CachedFile } | { kind: 'dir'; real: string } | PathRefusal;

/** How files are found and which headers their answers carry. */
export interface ServedFilesOptions {
  served: ServedRoot;
  cache: FileCache;
  dotfiles: DotfilePolicy;
  followSymlinks: boolean;
  /** Text-like types are compressed (and answers vary by Accept-Encoding). */
  compress: boolean;
  /** Uploads are on: active types are served sandboxed. */
  upload: boolean;
  cacheControl: string;
  /** Headers on every answer (nosniff, CORS). */
  common: readonly string[];
  /** `Vary: Accept-Encoding`, or nothing when compression is off. */
  vary: readonly string[];
}

// Active types an uploader could use for stored XSS run in a sandbox (an opaque origin) when uploads are on.
const ACTIVE_TYPES = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml)\b/;

/** The served folder's files, looked up through the cache. */
export class ServedFiles {
  private readonly pending = new WeakMap<CachedFile, Map<string, Promise<Buffer | null>>>();

  constructor(private readonly o: ServedFilesOptions) {}

  /** Finds a file or folder by path segments: the cache when stat says it is unchanged, else the path rules. */
  lookup(segments: readonly string[]): Lookup {
    const cache = this.o.cache;
    const key = segments.join('/');
    const cached = cache.get(key);
    if (cached) {
      const now = Date.now();
      // a syscall costs more than the rest of a cached answer: stat only when no watcher vouches
      if (cache.fresh(cached, now)) return { kind: 'file', entry: cached };
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(cached.abs, { throwIfNoEntry: false });
      } catch {
        st = undefined;
      }
      if (st && sameFile(st, cached.identity)) {
        cached.checkedAt = now;
        return { kind: 'file', entry: cached };
      }
      cache.delete(key);
    }
    const resolved = resolveInRoot(this.o.served, segments, { followSymlinks: this.o.followSymlinks, dotfiles: this.o.dotfiles });
    if (isRefusal(resolved)) return resolved;
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(resolved.real, { throwIfNoEntry: false });
    } catch {
      return { status: 403, reason: 'cannot stat' };
    }
    if (!st) return { status: 404, reason: 'not found' };
    if (st.isDirectory()) return { kind: 'dir', real: resolved.real };
    // FIFOs and devices would hang or never end
    if (!st.isFile()) return { status: 403, reason: 'not a regular file' };
    const entry = this.makeEntry(key, resolved.abs, resolved.real, st);
    cache.set(key, entry);
    return { kind: 'file', entry };
  }

  private makeEntry(key: string, abs: string, real: string, st: fs.Stats): CachedFile {
    const o = this.o;
    const contentType = contentTypeFor(abs);
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const lastModified = new Date(st.mtimeMs).toUTCString();
    const sandbox = o.upload && ACTIVE_TYPES.test(contentType) ? ['Content-Security-Policy', 'sandbox'] : [];
    const compressible = o.compress && isCompressible(contentType);
    // Vary where the answer may differ by Accept-Encoding: text-like types, and every encoded
    // answer; an identity answer is right for any client, so other types can do without it
    const vary = compressible ? o.vary : [];
    const validators = ['ETag', etag, 'Last-Modified', lastModified, 'Cache-Control', o.cacheControl];
    const baseHeaders = [...validators, 'Accept-Ranges', 'bytes', ...o.common, ...vary, ...sandbox];
    return {
      key, abs, real, identity: identityOf(st), contentType, etag, lastModified,
      compressible,
      baseHeaders,
      okHeaders: ['Content-Type', contentType, ...baseHeaders, 'Content-Length', String(st.size)],
      notModifiedHeaders: [...validators, ...o.common, ...vary],
      encoded: {},
      checkedAt: Date.now(),
      watched: false,
    };
  }

  /** Reads a small file once into the cache; concurrent first requests share the read. Null when it changed meanwhile. */
  loadBody(entry: CachedFile): Promise<Buffer | null> {
    return this.once(entry, 'body', async () => {
      const body = await fs.promises.readFile(entry.real);
      if (body.length !== entry.identity.size) return null;
      this.o.cache.attach(entry.key, entry, 'body', body);
      return body;
    });
  }

  /** A small file compressed once and kept with it; null when compressing barely shrinks it (later requests get the identity body). */
  compressed(entry: CachedFile, encoding: Encoding): Promise<Buffer | null> {
    return this.once(entry, encoding, async () => {
      const body = entry.body ?? (await this.loadBody(entry));
      if (!body) return null;
      const packed = await compressBuffer(body, encoding);
      const result = packed.length < body.length * 0.9 ? packed : null;
      this.o.cache.attach(entry.key, entry, encoding, result);
      return result;
    });
  }

  private once(entry: CachedFile, what: string, make: () => Promise<Buffer | null>): Promise<Buffer | null> {
    let map = this.pending.get(entry);
    if (!map) this.pending.set(entry, (map = new Map()));
    let p = map.get(what);
    if (!p) {
      p = make().catch(() => null).finally(() => map!.delete(what));
      map.set(what, p);
    }
    return p;
  }
}
