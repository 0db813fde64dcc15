// The static file request handler: path rules, validators, ranges, compression, listings and uploads over node:http.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import { pipeline, type Transform } from 'node:stream';
import { UsageError } from '../errors.js';
import { BASIC_CHALLENGE, createBasicAuth, parseCredentials, type BasicCredentials } from './auth.js';
import { FileCache, identityOf, sameFile, type CachedFile, type FileCacheLimits } from './cache.js';
import { acceptedEncodings, compressBuffer, contentTypeFor, createCompressor, isCompressible, SIBLING_SUFFIX, type Encoding } from './compression.js';
import { readListing, renderListing } from './listing.js';
import { ifRangeMatches, multipartLayout, parseRange, DEFAULT_MAX_RANGES, type ByteRange } from './range.js';
import {
  decodeRequestPath, dotfileRefusal, isInside, isRefusal, resolveForWrite, resolveInRoot, servedRoot,
  type DotfilePolicy, type PathRefusal, type RequestPath, type ServedRoot,
} from './resolve-path.js';
import { BufferPool, sendFileRange } from './send-file.js';
import { receiveMultipart, receivePut, UploadError } from './upload.js';

/** How the handler serves a folder. Only `root` is required; risky features are off unless asked for. */
export interface StaticHandlerOptions {
  /** The folder to serve. */
  root: string;
  /** Show a listing for folders without index.html (default true). */
  listing?: boolean;
  /** Names starting with `.`: 'ignore' (default: 404, not listed), 'deny' (403) or 'allow'. */
  dotfiles?: DotfilePolicy;
  /** Serve symlinks whose target leaves the folder (default false: 403). */
  followSymlinks?: boolean;
  /** Answer unknown paths with /index.html (single-page apps). */
  spa?: boolean;
  /** Send `Access-Control-Allow-Origin: *` and answer preflights. */
  cors?: boolean;
  /** `Cache-Control: public, max-age=<s>`; 0 or unset: `no-cache` (always revalidate). */
  cacheSeconds?: number;
  /** Negotiate compression (default true). */
  compress?: boolean;
  /** Smallest body compressed on the fly (default 1024 bytes). */
  compressMinBytes?: number;
  /** Require HTTP Basic authentication: `user:password`, `user:sha256:<hex>`, or parsed credentials. */
  auth?: string | BasicCredentials;
  /** Accept PUT and multipart POST into the folder (default false). */
  upload?: boolean;
  /** Largest upload (default 1 GiB). */
  maxUploadBytes?: number;
  /**
   * Host header names accepted besides IP addresses, `localhost` and `*.localhost`, against DNS
   * rebinding; 'any' (default) turns the check off.
   */
  allowedHosts?: string[] | 'any';
  /** Limits of the memory cache. */
  cache?: FileCacheLimits;
  /** Most entries a listing shows (default 10,000). */
  maxListingEntries?: number;
  /** Most ranges one request may ask for (default 16; more: the whole file). */
  maxRanges?: number;
  /** Read size when streaming files too large to cache (default 512 KiB). */
  streamChunkBytes?: number;
}

/** What the handler reports about one answer, for the access log. */
export interface ResponseLog {
  /** Body bytes sent. */
  bytes: number;
  /** Body bytes received (uploads). */
  bytesIn: number;
  /** Why a request was refused or failed (never sent to the client). */
  note?: string;
}

// Generated pages may style themselves and post their upload form, nothing else.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'";
const ERROR_CSP = "default-src 'none'";
// Active types an uploader could use for stored XSS run in a sandbox (an opaque origin) when uploads are on.
const ACTIVE_TYPES = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml)\b/;
const DEFAULT_STREAM_CHUNK = 512 * 1024;

type Lookup = { kind: 'file'; entry: CachedFile } | { kind: 'dir'; real: string } | PathRefusal;

/** Serves one folder. Create once; call {@link StaticHandler.handle} for each request. */
export class StaticHandler {
  readonly served: ServedRoot;
  readonly cache: FileCache;
  private readonly dotfiles: DotfilePolicy;
  private readonly listing: boolean;
  private readonly followSymlinks: boolean;
  private readonly compress: boolean;
  private readonly compressMinBytes: number;
  private readonly maxRanges: number;
  private readonly streamChunk: number;
  private readonly pool: BufferPool;
  private readonly maxUploadBytes: number;
  private readonly cacheControl: string;
  private readonly common: string[];
  private readonly vary: string[];
  private readonly corsHeaders: string[];
  private readonly checkAuth: ((authorization: string | undefined) => boolean) | undefined;
  private readonly allowedHosts: Set<string> | undefined;
  private readonly pending = new WeakMap<CachedFile, Map<string, Promise<Buffer | null>>>();
  private readonly allowList: string;
  private lastGoodHost: string | undefined;
  private readonly targets = new Map<string, RequestPath | PathRefusal>();

  constructor(readonly options: StaticHandlerOptions) {
    const o = options;
    if (o.cacheSeconds !== undefined && (!Number.isInteger(o.cacheSeconds) || o.cacheSeconds < 0)) throw new UsageError(`cache seconds must be a whole number of 0 or more, got ${o.cacheSeconds}`);
    if (o.dotfiles !== undefined && !['allow', 'deny', 'ignore'].includes(o.dotfiles)) throw new UsageError(`dotfiles must be allow, deny or ignore, got '${o.dotfiles}'`);
    for (const [name, v] of [['compressMinBytes', o.compressMinBytes], ['maxUploadBytes', o.maxUploadBytes], ['maxListingEntries', o.maxListingEntries], ['maxRanges', o.maxRanges], ['streamChunkBytes', o.streamChunkBytes]] as const) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new UsageError(`${name} must be a whole number above 0, got ${v}`);
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(o.root);
    } catch {
      throw new UsageError(`the folder to serve, '${o.root}', does not exist`);
    }
    if (!stat.isDirectory()) throw new UsageError(`'${o.root}' is a file, not a folder to serve`);
    this.served = servedRoot(o.root);
    this.cache = new FileCache(o.cache);
    this.dotfiles = o.dotfiles ?? 'ignore';
    this.listing = o.listing ?? true;
    this.followSymlinks = o.followSymlinks ?? false;
    this.compress = o.compress ?? true;
    this.compressMinBytes = o.compressMinBytes ?? 1024;
    this.maxRanges = o.maxRanges ?? DEFAULT_MAX_RANGES;
    this.streamChunk = o.streamChunkBytes ?? DEFAULT_STREAM_CHUNK;
    this.pool = new BufferPool(this.streamChunk);
    this.maxUploadBytes = o.maxUploadBytes ?? 1024 ** 3;
    this.cacheControl = o.cacheSeconds ? `public, max-age=${o.cacheSeconds}` : 'no-cache';
    this.corsHeaders = o.cors ? ['Access-Control-Allow-Origin', '*', 'Access-Control-Expose-Headers', 'Content-Length, Content-Range, Content-Encoding, ETag, Accept-Ranges'] : [];
    this.common = ['X-Content-Type-Options', 'nosniff', ...this.corsHeaders];
    this.vary = this.compress ? ['Vary', 'Accept-Encoding'] : [];
    this.checkAuth = o.auth ? createBasicAuth(typeof o.auth === 'string' ? parseCredentials(o.auth, 'auth') : o.auth) : undefined;
    this.allowedHosts = o.allowedHosts === undefined || o.allowedHosts === 'any' ? undefined : new Set(o.allowedHosts.map((h) => h.toLowerCase()));
    this.allowList = ['GET', 'HEAD', ...(o.cors ? ['OPTIONS'] : []), ...(o.upload ? ['PUT', 'POST'] : [])].join(', ');
  }

  /** Drops the cache and stops watching folders. */
  close(): void {
    this.cache.clear();
  }

  /** Answers one request. Never throws: failures become 4xx/5xx answers or a closed connection. */
  handle(req: IncomingMessage, res: ServerResponse, log: ResponseLog): void {
    try {
      const pending = this.route(req, res, log);
      if (pending) pending.catch((err) => this.fail(res, err, log));
    } catch (err) {
      this.fail(res, err, log);
    }
  }

  private route(req: IncomingMessage, res: ServerResponse, log: ResponseLog): Promise<void> | void {
    const method = req.method;
    const isGet = method === 'GET' || method === 'HEAD';
    if (this.allowedHosts && !this.hostAllowed(req.headers.host)) {
      log.note = 'Host header not allowed';
      return this.sendError(req, res, 403, log);
    }
    if (method === 'OPTIONS' && this.options.cors) return this.preflight(res);
    if (this.checkAuth && !this.checkAuth(req.headers.authorization)) {
      log.note = 'authentication required';
      return this.sendError(req, res, 401, log, ['WWW-Authenticate', BASIC_CHALLENGE]);
    }
    const isUpload = this.options.upload && (method === 'PUT' || method === 'POST');
    if (!isGet && !isUpload) return this.sendError(req, res, 405, log, ['Allow', this.allowList]);
    const target = this.target(req.url ?? '/');
    if (isRefusal(target)) return this.refuse(req, res, target, log);
    if (isUpload) return this.upload(req, res, target, log);

    const found = this.lookup(target.segments);
    if (isRefusal(found)) return found.status === 404 ? this.notFound(req, res, target, log) : this.refuse(req, res, found, log);
    if (found.kind === 'dir') return this.serveDir(req, res, target, found.real, log);
    if (target.trailingSlash) return this.notFound(req, res, target, log);
    return this.serveFile(req, res, found.entry, target.segments, log, 200);
  }

  /** The decoded path, or why it is refused; the same URLs come again and again, so answers are remembered. */
  private target(url: string): RequestPath | PathRefusal {
    let t = this.targets.get(url);
    if (t === undefined) {
      const decoded = decodeRequestPath(url);
      t = isRefusal(decoded) ? decoded : (dotfileRefusal(decoded.segments, this.dotfiles) ?? decoded);
      if (this.targets.size >= 1000) this.targets.clear();
      this.targets.set(url, t);
    }
    return t;
  }

  // DNS rebinding defence: a page on evil.example resolving to 127.0.0.1 sends `Host: evil.example`.
  private hostAllowed(host: string | undefined): boolean {
    if (host === undefined || host === this.lastGoodHost) return true;
    const ok = this.checkHost(host);
    if (ok) this.lastGoodHost = host;
    return ok;
  }

  private checkHost(host: string): boolean {
    let name = host.toLowerCase();
    if (name.startsWith('[')) name = name.slice(1, name.indexOf(']') > 0 ? name.indexOf(']') : undefined);
    else if (name.indexOf(':') === name.lastIndexOf(':')) name = name.split(':', 1)[0]!;
    return net.isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || this.allowedHosts!.has(name);
  }

  /** Finds a file or folder by path segments: the cache when stat says it is unchanged, else the path rules. */
  private lookup(segments: readonly string[]): Lookup {
    const key = segments.join('/');
    const cached = this.cache.get(key);
    if (cached) {
      const now = Date.now();
      // a syscall costs more than the rest of a cached answer: stat only when no watcher vouches
      if (this.cache.fresh(cached, now)) return { kind: 'file', entry: cached };
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
      this.cache.delete(key);
    }
    const resolved = resolveInRoot(this.served, segments, { followSymlinks: this.followSymlinks, dotfiles: this.dotfiles });
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
    this.cache.set(key, entry);
    return { kind: 'file', entry };
  }

  private makeEntry(key: string, abs: string, real: string, st: fs.Stats): CachedFile {
    const contentType = contentTypeFor(abs);
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const lastModified = new Date(st.mtimeMs).toUTCString();
    const sandbox = this.options.upload && ACTIVE_TYPES.test(contentType) ? ['Content-Security-Policy', 'sandbox'] : [];
    const compressible = this.compress && isCompressible(contentType);
    // Vary where the answer may differ by Accept-Encoding: text-like types, and every encoded
    // answer; an identity answer is right for any client, so other types can do without it
    const vary = compressible ? this.vary : [];
    const validators = ['ETag', etag, 'Last-Modified', lastModified, 'Cache-Control', this.cacheControl];
    const baseHeaders = [...validators, 'Accept-Ranges', 'bytes', ...this.common, ...vary, ...sandbox];
    return {
      key, abs, real, identity: identityOf(st), contentType, etag, lastModified,
      compressible,
      baseHeaders,
      okHeaders: ['Content-Type', contentType, ...baseHeaders, 'Content-Length', String(st.size)],
      notModifiedHeaders: [...validators, ...this.common, ...vary],
      encoded: {},
      checkedAt: Date.now(),
      watched: false,
    };
  }

  /** Serves a file: picks the representation, answers 304 when the client has it, then ranges or the whole body. */
  private serveFile(req: IncomingMessage, res: ServerResponse, entry: CachedFile, segments: readonly string[], log: ResponseLog, status: 200 | 404, mayEncode = true): Promise<void> | void {
    const h = req.headers;
    const size = entry.identity.size;
    if (status === 200) {
      if (mayEncode && this.compress && h['accept-encoding'] !== undefined && h.range === undefined) {
        const encodings = acceptedEncodings(h['accept-encoding']);
        if (encodings.length > 0) {
          const encoded = this.serveEncoded(req, res, entry, segments, encodings, log);
          if (encoded === true) return;
          if (encoded !== false) return encoded;
        }
      }
      if (isNotModified(req, entry.etag, entry.identity.mtimeMs)) return this.notModified(res, entry.notModifiedHeaders);
      if (h.range !== undefined && ifRangeMatches(h['if-range'] as string | undefined, entry.etag, entry.identity.mtimeMs)) {
        const decision = parseRange(h.range, size, this.maxRanges);
        if (decision.kind === 'unsatisfiable') {
          log.note = 'range not satisfiable';
          return this.sendError(req, res, 416, log, ['Content-Range', `bytes */${size}`, 'Accept-Ranges', 'bytes']);
        }
        if (decision.kind === 'ranges') return this.serveRanges(req, res, entry, decision.ranges, log);
      }
    }
    if (entry.body) {
      res.writeHead(status, entry.okHeaders);
      if (req.method === 'HEAD') res.end();
      else {
        log.bytes += size;
        res.end(entry.body);
      }
      return;
    }
    if (size <= this.cache.maxFileBytes && req.method !== 'HEAD') {
      return this.loadBody(entry).then((body) => {
        if (body && body.length === size) {
          res.writeHead(status, entry.okHeaders);
          log.bytes += size;
          res.end(body);
        } else this.streamFile(req, res, entry.real, status, entry.okHeaders, { start: 0, end: size - 1 }, log);
      });
    }
    this.streamFile(req, res, entry.real, status, entry.okHeaders, { start: 0, end: size - 1 }, log);
  }

  /** Reads a small file once into the cache; concurrent first requests share the read. */
  private loadBody(entry: CachedFile): Promise<Buffer | null> {
    return this.once(entry, 'body', async () => {
      const body = await fs.promises.readFile(entry.real);
      if (body.length !== entry.identity.size) return null;
      this.cache.attach(entry.key, entry, 'body', body);
      return body;
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

  /**
   * Serves a compressed representation if one suits: a precompressed sibling (`.br`, `.gz`) first,
   * else the file compressed on the fly when its type is text-like and large enough.
   * Returns true when it answered, false to fall back to the identity representation, or a
   * promise of the answer.
   */
  private serveEncoded(req: IncomingMessage, res: ServerResponse, entry: CachedFile, segments: readonly string[], encodings: Encoding[], log: ResponseLog): Promise<void> | boolean {
    const last = segments[segments.length - 1];
    if (last === undefined) return false;
    for (const encoding of encodings) {
      const sibling = this.lookup([...segments.slice(0, -1), last + SIBLING_SUFFIX[encoding]]);
      if (isRefusal(sibling) || sibling.kind !== 'file') continue;
      const s = sibling.entry;
      const validators = ['ETag', s.etag, 'Last-Modified', s.lastModified, 'Cache-Control', this.cacheControl];
      if (isNotModified(req, s.etag, s.identity.mtimeMs)) return answered(this.notModified(res, [...validators, ...this.common, ...this.vary]));
      const headers = ['Content-Type', entry.contentType, 'Content-Encoding', encoding, ...validators, ...this.common, ...this.vary, ...sandboxOf(entry), 'Content-Length', String(s.identity.size)];
      if (s.body) return answered(this.sendBuffer(req, res, 200, headers, s.body, log));
      if (s.identity.size <= this.cache.maxFileBytes && req.method !== 'HEAD') {
        return this.loadBody(s).then((body) => {
          if (body && body.length === s.identity.size) this.sendBuffer(req, res, 200, headers, body, log);
          else this.streamFile(req, res, s.real, 200, headers, { start: 0, end: s.identity.size - 1 }, log);
        });
      }
      return answered(this.streamFile(req, res, s.real, 200, headers, { start: 0, end: s.identity.size - 1 }, log));
    }
    const size = entry.identity.size;
    if (!entry.compressible || size < this.compressMinBytes) return false;
    const encoding = encodings[0]!;
    const etag = entry.etag.slice(0, -1) + (encoding === 'br' ? '-br"' : '-gz"');
    const validators = ['ETag', etag, 'Last-Modified', entry.lastModified, 'Cache-Control', this.cacheControl];
    if (isNotModified(req, etag, entry.identity.mtimeMs)) return answered(this.notModified(res, [...validators, ...this.common, ...this.vary]));
    const head = ['Content-Type', entry.contentType, 'Content-Encoding', encoding, ...validators, ...this.common, ...this.vary, ...sandboxOf(entry)];
    if (size > this.cache.maxFileBytes) {
      // too large to keep: compress while streaming, length unknown (chunked)
      return answered(this.streamFile(req, res, entry.real, 200, head, { start: 0, end: size - 1 }, log, createCompressor(encoding)));
    }
    const known = entry.encoded[encoding];
    if (known === null) return false;
    if (known) return answered(this.sendBuffer(req, res, 200, [...head, 'Content-Length', String(known.length)], known, log));
    return this.once(entry, encoding, async () => {
      const body = entry.body ?? (await this.loadBody(entry));
      if (!body) return null;
      const packed = await compressBuffer(body, encoding);
      // not worth it when it barely shrinks: later requests get the identity body
      const result = packed.length < body.length * 0.9 ? packed : null;
      this.cache.attach(entry.key, entry, encoding, result);
      return result;
    }).then((packed) => {
      if (packed) this.sendBuffer(req, res, 200, [...head, 'Content-Length', String(packed.length)], packed, log);
      else this.serveFile(req, res, entry, segments, log, 200, false);
    });
  }

  private sendBuffer(req: IncomingMessage, res: ServerResponse, status: number, headers: string[], body: Buffer, log: ResponseLog): void {
    res.writeHead(status, headers);
    if (req.method === 'HEAD') res.end();
    else {
      log.bytes += body.length;
      res.end(body);
    }
  }

  private notModified(res: ServerResponse, headers: string[]): void {
    res.writeHead(304, headers);
    res.end();
  }

  /** 206: one range as is, several as multipart/byteranges streamed part by part (nothing is buffered). */
  private serveRanges(req: IncomingMessage, res: ServerResponse, entry: CachedFile, ranges: ByteRange[], log: ResponseLog): Promise<void> | void {
    const size = entry.identity.size;
    if (ranges.length === 1) {
      const r = ranges[0]!;
      const headers = ['Content-Type', entry.contentType, ...entry.baseHeaders, 'Content-Range', `bytes ${r.start}-${r.end}/${size}`, 'Content-Length', String(r.end - r.start + 1)];
      if (entry.body) return this.sendBuffer(req, res, 206, headers, entry.body.subarray(r.start, r.end + 1), log);
      return this.streamFile(req, res, entry.real, 206, headers, r, log);
    }
    const layout = multipartLayout(ranges, size, entry.contentType, randomBytes(12).toString('hex'));
    res.writeHead(206, ['Content-Type', layout.contentType, ...entry.baseHeaders, 'Content-Length', String(layout.length)]);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    return (async () => {
      for (const part of layout.parts) {
        await writeAsync(res, part.head);
        log.bytes += part.head.length;
        if (entry.body) {
          await writeAsync(res, entry.body.subarray(part.range.start, part.range.end + 1));
          log.bytes += part.range.end - part.range.start + 1;
        } else {
          const stream = fs.createReadStream(entry.real, { start: part.range.start, end: part.range.end, highWaterMark: this.streamChunk });
          try {
            for await (const chunk of stream as AsyncIterable<Buffer>) {
              await writeAsync(res, chunk);
              log.bytes += chunk.length;
            }
          } finally {
            stream.destroy();
          }
        }
      }
      log.bytes += layout.tail.length;
      res.end(layout.tail);
    })();
  }

  /**
   * Streams a file region with backpressure, compressed or not. Headers go out only once the file
   * is open, so a file that vanished still gets a clean error; a short read closes the connection
   * rather than leave the client waiting for bytes promised by Content-Length.
   */
  private streamFile(req: IncomingMessage, res: ServerResponse, file: string, status: number, headers: string[], range: ByteRange, log: ResponseLog, compressor?: Transform): void {
    if (req.method === 'HEAD') {
      res.writeHead(status, headers);
      res.end();
      compressor?.destroy();
      return;
    }
    const expected = range.end - range.start + 1;
    if (expected <= 0) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    if (!compressor) {
      fs.open(file, 'r', (err, fd) => {
        if (err) {
          log.note = `open failed: ${err.code ?? err.message}`;
          return this.sendError(req, res, err.code === 'ENOENT' ? 404 : err.code === 'EACCES' ? 403 : 500, log);
        }
        if (res.headersSent || res.destroyed) {
          fs.close(fd, () => {});
          return;
        }
        res.writeHead(status, headers);
        sendFileRange(fd, res, range.start, range.end, this.pool, log, (failure) => {
          if (failure) log.note = failure;
        });
      });
      return;
    }
    const source = fs.createReadStream(file, { start: range.start, end: range.end, highWaterMark: this.streamChunk });
    const onClose = () => source.destroy();
    res.once('close', onClose);
    source.once('error', (err) => {
      if (!res.headersSent) {
        res.off('close', onClose);
        log.note = `read failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
        this.sendError(req, res, 500, log);
      }
    });
    source.once('ready', () => {
      if (res.headersSent || res.destroyed) {
        source.destroy();
        return;
      }
      res.writeHead(status, headers);
      let read = 0;
      source.on('data', (chunk: string | Buffer) => (read += chunk.length));
      compressor.on('data', (chunk: Buffer) => (log.bytes += chunk.length));
      pipeline(source, compressor, res, (err) => {
        if (err || read !== expected) {
          if (!err) log.note = 'file changed while being sent';
          res.destroy();
        }
      });
    });
  }

  private serveDir(req: IncomingMessage, res: ServerResponse, target: RequestPath, real: string, log: ResponseLog): Promise<void> | void {
    if (!target.trailingSlash) return this.redirectToFolder(res, target, log);
    const index = this.lookup([...target.segments, 'index.html']);
    if (!isRefusal(index) && index.kind === 'file') return this.serveFile(req, res, index.entry, [...target.segments, 'index.html'], log, 200);
    if (!this.listing) return this.notFound(req, res, target, log);
    return readListing(real, this.served, { dotfiles: this.dotfiles, followSymlinks: this.followSymlinks, maxEntries: this.options.maxListingEntries }).then((listing) => {
      const body = Buffer.from(renderListing(target.segments, listing, { upload: this.options.upload }), 'utf8');
      this.sendBuffer(req, res, 200, [
        'Content-Type', 'text/html; charset=utf-8', 'Cache-Control', 'no-cache', 'Content-Security-Policy', PAGE_CSP,
        'X-Content-Type-Options', 'nosniff', 'Referrer-Policy', 'no-referrer', ...this.corsHeaders, 'Content-Length', String(body.length),
      ], body, log);
    });
  }

  /**
   * A folder asked for without its slash: redirect relatively (`./name/`), never to a path that a
   * browser could read as another host (`//evil.example`, CVE-2021-28861).
   */
  private redirectToFolder(res: ServerResponse, target: RequestPath, log: ResponseLog): void {
    res.writeHead(301, ['Location', folderLocation(target), 'Cache-Control', 'no-cache', 'Content-Length', '0', ...this.corsHeaders]);
    log.note = 'folder without trailing slash';
    res.end();
  }

  private notFound(req: IncomingMessage, res: ServerResponse, target: RequestPath, log: ResponseLog): Promise<void> | void {
    if (this.options.spa && (req.method === 'GET' || req.method === 'HEAD') && wantsPage(req, target)) {
      const index = this.lookup(['index.html']);
      if (!isRefusal(index) && index.kind === 'file') return this.serveFile(req, res, index.entry, ['index.html'], log, 200);
    }
    const custom = this.lookup(['404.html']);
    if (!isRefusal(custom) && custom.kind === 'file') return this.serveFile(req, res, custom.entry, ['404.html'], log, 404);
    return this.sendError(req, res, 404, log);
  }

  private refuse(req: IncomingMessage, res: ServerResponse, refusal: PathRefusal, log: ResponseLog): void {
    log.note = refusal.reason;
    this.sendError(req, res, refusal.status, log);
  }

  private preflight(res: ServerResponse): void {
    res.writeHead(204, [
      'Access-Control-Allow-Origin', '*', 'Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Headers', 'Range, If-None-Match, If-Modified-Since, If-Range, Authorization',
      'Access-Control-Max-Age', '600', 'Content-Length', '0',
    ]);
    res.end();
  }

  /** A short plain-text error that never echoes the request. */
  private sendError(req: IncomingMessage, res: ServerResponse, status: number, log: ResponseLog, extra: string[] = []): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(status);
    res.writeHead(status, [
      'Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-cache', 'Content-Security-Policy', ERROR_CSP,
      'X-Content-Type-Options', 'nosniff', ...this.corsHeaders, ...extra, 'Content-Length', String(body.length),
    ]);
    if (req.method === 'HEAD') res.end();
    else {
      log.bytes += body.length;
      res.end(body);
    }
  }

  private fail(res: ServerResponse, err: unknown, log: ResponseLog): void {
    const req = res.req;
    if (err instanceof UploadError) {
      log.note = err.message;
      // the rest of the body was not read: the connection cannot carry another request
      res.shouldKeepAlive = false;
      return this.sendError(req, res, err.status, log, ['Connection', 'close']);
    }
    const code = (err as NodeJS.ErrnoException)?.code;
    log.note = `failed: ${code ?? (err as Error)?.message ?? String(err)}`;
    if (code === 'ENOENT' || code === 'ENOTDIR') return this.sendError(req, res, 404, log);
    if (code === 'EACCES' || code === 'EPERM') return this.sendError(req, res, 403, log);
    if (code === 'ENOSPC' || code === 'EDQUOT') return this.sendError(req, res, 507, log, ['Connection', 'close']);
    this.sendError(req, res, 500, log);
  }

  /** PUT a file, or POST multipart/form-data files into a folder; writes stay inside the real root. */
  private async upload(req: IncomingMessage, res: ServerResponse, target: RequestPath, log: ResponseLog): Promise<void> {
    if (!sameOrigin(req)) {
      log.note = 'cross-origin write refused';
      res.shouldKeepAlive = false;
      return this.sendError(req, res, 403, log, ['Connection', 'close']);
    }
    const limits = { maxBytes: this.maxUploadBytes };
    const count = (n: number) => (log.bytesIn += n);
    if (req.method === 'PUT') {
      if (target.trailingSlash || target.segments.length === 0) throw new UploadError(405, 'PUT names a file, not a folder');
      const where = resolveForWrite(this.served, target.segments, this.dotfiles);
      if (isRefusal(where)) throw new UploadError(where.status, where.reason);
      const created = await receivePut(req, where.dir, where.name, limits, count);
      res.writeHead(created ? 201 : 204, ['Content-Length', '0', ...this.corsHeaders]);
      res.end();
      return;
    }
    const type = String(req.headers['content-type'] ?? '');
    const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
    if (!m) throw new UploadError(415, 'POST uploads are multipart/form-data');
    const dir = this.lookup(target.segments);
    if (isRefusal(dir)) throw new UploadError(dir.status, dir.reason);
    if (dir.kind !== 'dir') throw new UploadError(405, 'POST goes to a folder');
    if (!isInside(this.served.realRoot, dir.real)) throw new UploadError(403, 'write outside the root');
    const allowName = (name: string) => this.dotfiles === 'allow' || !name.startsWith('.');
    const stored = await receiveMultipart(req, dir.real, m[1] ?? m[2]!, limits, allowName, count);
    log.note = `stored ${stored.length} file${stored.length === 1 ? '' : 's'}`;
    if (String(req.headers.accept ?? '').includes('text/html')) {
      // a browser form: back to the listing
      res.writeHead(303, ['Location', target.trailingSlash ? './' : folderLocation(target), 'Content-Length', '0', ...this.corsHeaders]);
      res.end();
      return;
    }
    const body = Buffer.from(stored.map((s) => s + '\n').join(''), 'utf8');
    this.sendBuffer(req, res, 201, ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', ...this.corsHeaders, 'Content-Length', String(body.length)], body, log);
  }
}

// Marks a synchronous answer as given.
function answered(_: void): true {
  return true;
}

function sandboxOf(entry: CachedFile): string[] {
  const i = entry.baseHeaders.indexOf('Content-Security-Policy');
  return i >= 0 ? ['Content-Security-Policy', entry.baseHeaders[i + 1]!] : [];
}

/** If-None-Match (weak comparison, RFC 9110 §13.1.2) or, without it, If-Modified-Since at one-second precision. */
function isNotModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    const bare = etag.startsWith('W/') ? etag.slice(2) : etag;
    for (const tag of inm.split(',')) {
      const t = tag.trim();
      if (t === '*' || (t.startsWith('W/') ? t.slice(2) : t) === bare) return true;
    }
    return false;
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** Where a folder asked for without its slash lives, as a relative reference that stays on this host. */
export function folderLocation(target: RequestPath): string {
  const last = target.segments[target.segments.length - 1] ?? '';
  const rawLast = target.rawPath.slice(target.rawPath.lastIndexOf('/') + 1);
  let decodedLast: string | undefined;
  try {
    decodedLast = decodeURIComponent(rawLast);
  } catch {
    decodedLast = undefined;
  }
  // `./name/` resolves against the request URL; when its last segment is not the folder's name
  // (`/a/b/.`), name the folder from the root, with a single leading slash
  const path = decodedLast === last && last !== '' ? './' + encodeURIComponent(last) + '/' : '/' + target.segments.map(encodeURIComponent).join('/') + (target.segments.length ? '/' : '');
  const query = target.query.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
  return path + query;
}

/** SPA fallback only for what a browser navigates to: HTML wanted, or a path without a file extension. */
function wantsPage(req: IncomingMessage, target: RequestPath): boolean {
  const last = target.segments[target.segments.length - 1] ?? '';
  return String(req.headers.accept ?? '').includes('text/html') || !last.includes('.');
}

/** Writes from browsers of other origins are refused: a page elsewhere must not fill the folder via a form (CSRF). */
function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

const errorBodies = new Map<number, Buffer>();
function errorBody(status: number): Buffer {
  let body = errorBodies.get(status);
  if (!body) errorBodies.set(status, (body = Buffer.from(`${status} ${STATUS_CODES[status] ?? 'Error'}\n`)));
  return body;
}

/** Writes a chunk and waits for the socket to take it when its buffer is full. */
function writeAsync(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('connection closed'));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('connection closed'));
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
