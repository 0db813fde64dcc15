// The static file request handler: path rules, validators, ranges, compression and listings over node:http (uploads in upload.ts).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { UsageError } from '../errors.js';
import { BASIC_CHALLENGE, createBasicAuth, parseCredentials, type BasicCredentials } from './auth.js';
import { FileCache, type CachedFile, type FileCacheLimits } from './cache.js';
import { acceptedEncodings, createCompressor, SIBLING_SUFFIX, type Encoding } from './compression.js';
import { ServedFiles } from './files.js';
import { hostProblem, type HostPolicy } from './host-header.js';
import { AnswerGone, closeAfterAnswer } from './lifetime.js';
import { readListing, renderListing } from './listing.js';
import { ifRangeMatches, multipartLayout, parseRange, DEFAULT_MAX_RANGES, type ByteRange } from './range.js';
import { folderLocation, hasBody, isNotModified, notModified, PAGE_CSP, sendBuffer, sendError, sendHead, type ResponseLog } from './replies.js';
import {
  decodeRequestPath, dotfileRefusal, isRefusal, servedRoot,
  type DotfilePolicy, type PathRefusal, type RequestPath, type ServedRoot,
} from './resolve-path.js';
import { BufferPool, sendCompressed, sendFile, sendParts } from './send-file.js';
import { handleUpload, UploadError, type UploadSite } from './upload.js';

export type { ResponseLog } from './replies.js';

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
  /** Largest read when streaming files too large to cache (default 128 KiB; a slow reader gets less). */
  streamChunkBytes?: number;
}

const DEFAULT_STREAM_CHUNK = 128 * 1024;

/** Serves one folder. Create once; call {@link StaticHandler.handle} for each request. */
export class StaticHandler {
  readonly served: ServedRoot;
  readonly cache: FileCache;
  private readonly files: ServedFiles;
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
  private readonly hostPolicy: HostPolicy | undefined;
  private readonly allowList: string;
  private lastGoodHost: string | undefined;
  private readonly targets = new Map<string, RequestPath | PathRefusal>();
  private site: UploadSite | undefined;

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
    this.hostPolicy = o.allowedHosts === undefined || o.allowedHosts === 'any' ? undefined : { ipLiterals: true, allowMissing: true, names: new Set(o.allowedHosts.map((h) => h.toLowerCase())) };
    this.files = new ServedFiles({
      served: this.served, cache: this.cache, dotfiles: this.dotfiles, followSymlinks: this.followSymlinks, compress: this.compress,
      upload: Boolean(o.upload), cacheControl: this.cacheControl, common: this.common, vary: this.vary,
    });
    this.allowList = ['GET', 'HEAD', ...(o.cors ? ['OPTIONS'] : []), ...(o.upload ? ['PUT', 'POST'] : [])].join(', ');
  }

  /** Drops the cache and the streaming buffers, and stops watching folders. */
  close(): void {
    this.cache.clear();
    this.pool.clear();
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
    const isUpload = this.options.upload && (method === 'PUT' || method === 'POST');
    // a body no route will read is not read at all: answer, then close (a 2 GB PUT is not swallowed)
    if (!isUpload && hasBody(req)) closeAfterAnswer(res);
    if (this.hostPolicy && !this.hostAllowed(req.headers.host)) {
      log.note = 'Host header not allowed';
      return this.sendError(req, res, 403, log);
    }
    if (method === 'OPTIONS' && this.options.cors) return this.preflight(res);
    if (this.checkAuth && !this.checkAuth(req.headers.authorization)) {
      log.note = 'authentication required';
      return this.sendError(req, res, 401, log, ['WWW-Authenticate', BASIC_CHALLENGE]);
    }
    if (!isGet && !isUpload) return this.sendError(req, res, 405, log, ['Allow', this.allowList]);
    const target = this.target(req.url ?? '/');
    if (isRefusal(target)) return this.refuse(req, res, target, log);
    if (isUpload) return handleUpload(this.uploadSite, req, res, target, log);

    const found = this.files.lookup(target.segments);
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
    if (host === this.lastGoodHost) return true;
    const ok = hostProblem(host, this.hostPolicy!) === undefined;
    if (ok) this.lastGoodHost = host;
    return ok;
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
      if (isNotModified(req, entry.etag, entry.identity.mtimeMs)) return notModified(res, entry.notModifiedHeaders);
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
      return this.files.loadBody(entry).then((body) => {
        if (!body || body.length !== size) return this.streamFile(req, res, entry.real, status, entry.okHeaders, { start: 0, end: size - 1 }, log);
        res.writeHead(status, entry.okHeaders);
        log.bytes += size;
        res.end(body);
      });
    }
    return this.streamFile(req, res, entry.real, status, entry.okHeaders, { start: 0, end: size - 1 }, log);
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
      const sibling = this.files.lookup([...segments.slice(0, -1), last + SIBLING_SUFFIX[encoding]]);
      if (isRefusal(sibling) || sibling.kind !== 'file') continue;
      const s = sibling.entry;
      const validators = ['ETag', s.etag, 'Last-Modified', s.lastModified, 'Cache-Control', this.cacheControl];
      if (isNotModified(req, s.etag, s.identity.mtimeMs)) return answered(notModified(res, [...validators, ...this.common, ...this.vary]));
      const headers = ['Content-Type', entry.contentType, 'Content-Encoding', encoding, ...validators, ...this.common, ...this.vary, ...sandboxOf(entry), 'Content-Length', String(s.identity.size)];
      if (s.body) return answered(sendBuffer(req, res, 200, headers, s.body, log));
      const whole = { start: 0, end: s.identity.size - 1 };
      if (s.identity.size <= this.cache.maxFileBytes && req.method !== 'HEAD') {
        return this.files.loadBody(s).then((body) => {
          if (body && body.length === s.identity.size) sendBuffer(req, res, 200, headers, body, log);
          else return this.streamFile(req, res, s.real, 200, headers, whole, log);
        });
      }
      return this.streamFile(req, res, s.real, 200, headers, whole, log) ?? true;
    }
    const size = entry.identity.size;
    if (!entry.compressible || size < this.compressMinBytes) return false;
    const encoding = encodings[0]!;
    const etag = entry.etag.slice(0, -1) + (encoding === 'br' ? '-br"' : '-gz"');
    const validators = ['ETag', etag, 'Last-Modified', entry.lastModified, 'Cache-Control', this.cacheControl];
    if (isNotModified(req, etag, entry.identity.mtimeMs)) return answered(notModified(res, [...validators, ...this.common, ...this.vary]));
    const head = ['Content-Type', entry.contentType, 'Content-Encoding', encoding, ...validators, ...this.common, ...this.vary, ...sandboxOf(entry)];
    if (size > this.cache.maxFileBytes) {
      // too large to keep: compress while streaming, length unknown (chunked)
      return this.streamFile(req, res, entry.real, 200, head, { start: 0, end: size - 1 }, log, () => createCompressor(encoding)) ?? true;
    }
    const known = entry.encoded[encoding];
    if (known === null) return false;
    if (known) return answered(sendBuffer(req, res, 200, [...head, 'Content-Length', String(known.length)], known, log));
    return this.files.compressed(entry, encoding).then((packed) => {
      if (packed) sendBuffer(req, res, 200, [...head, 'Content-Length', String(packed.length)], packed, log);
      else return this.serveFile(req, res, entry, segments, log, 200, false);
    });
  }

  /** 206: one range as is, several as multipart/byteranges streamed part by part (nothing is buffered). */
  private serveRanges(req: IncomingMessage, res: ServerResponse, entry: CachedFile, ranges: ByteRange[], log: ResponseLog): Promise<void> | void {
    const size = entry.identity.size;
    if (ranges.length === 1) {
      const r = ranges[0]!;
      const headers = ['Content-Type', entry.contentType, ...entry.baseHeaders, 'Content-Range', `bytes ${r.start}-${r.end}/${size}`, 'Content-Length', String(r.end - r.start + 1)];
      if (entry.body) return sendBuffer(req, res, 206, headers, entry.body.subarray(r.start, r.end + 1), log);
      return this.streamFile(req, res, entry.real, 206, headers, r, log);
    }
    const layout = multipartLayout(ranges, size, entry.contentType, randomBytes(12).toString('hex'));
    const headers = ['Content-Type', layout.contentType, ...entry.baseHeaders, 'Content-Length', String(layout.length)];
    if (req.method === 'HEAD') return sendHead(res, 206, headers);
    return sendParts(res, { body: entry.body, file: entry.real }, layout, this.pool, log, () => res.writeHead(206, headers));
  }

  /**
   * Streams a file region with backpressure, compressed or not. The head goes out only once the
   * file is open, so a file that vanished still gets a clean error (see {@link sendFile}).
   */
  private streamFile(req: IncomingMessage, res: ServerResponse, file: string, status: number, headers: string[], range: ByteRange, log: ResponseLog, compressor?: () => Transform): Promise<void> | void {
    if (req.method === 'HEAD' || range.end < range.start) return sendHead(res, status, headers);
    const start = () => res.writeHead(status, headers);
    return compressor ? sendCompressed(res, file, range, compressor, this.pool, log, start) : sendFile(res, file, range, this.pool, log, start);
  }

  private serveDir(req: IncomingMessage, res: ServerResponse, target: RequestPath, real: string, log: ResponseLog): Promise<void> | void {
    if (!target.trailingSlash) return this.redirectToFolder(res, target, log);
    const index = this.files.lookup([...target.segments, 'index.html']);
    if (!isRefusal(index) && index.kind === 'file') return this.serveFile(req, res, index.entry, [...target.segments, 'index.html'], log, 200);
    if (!this.listing) return this.notFound(req, res, target, log);
    return readListing(real, this.served, { dotfiles: this.dotfiles, followSymlinks: this.followSymlinks, maxEntries: this.options.maxListingEntries }).then((listing) => {
      const body = Buffer.from(renderListing(target.segments, listing, { upload: this.options.upload }), 'utf8');
      sendBuffer(req, res, 200, [
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
      const index = this.files.lookup(['index.html']);
      if (!isRefusal(index) && index.kind === 'file') return this.serveFile(req, res, index.entry, ['index.html'], log, 200);
    }
    const custom = this.files.lookup(['404.html']);
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

  /** A short plain-text error that never echoes the request (see {@link sendError}). */
  private sendError(req: IncomingMessage, res: ServerResponse, status: number, log: ResponseLog, extra: string[] = []): void {
    sendError(req, res, status, log, [...this.corsHeaders, ...extra]);
  }

  private fail(res: ServerResponse, err: unknown, log: ResponseLog): void {
    const req = res.req;
    if (err instanceof AnswerGone) {
      log.note ??= err.message;
      res.destroy();
      return;
    }
    if (err instanceof UploadError) {
      log.note = err.message;
      // the rest of the body was not read: the connection cannot carry another request
      closeAfterAnswer(res);
      return this.sendError(req, res, err.status, log);
    }
    const code = (err as NodeJS.ErrnoException)?.code;
    log.note = res.headersSent ? (err as Error)?.message ?? String(err) : `failed: ${code ?? (err as Error)?.message ?? String(err)}`;
    if (code === 'ENOENT' || code === 'ENOTDIR') return this.sendError(req, res, 404, log);
    if (code === 'EACCES' || code === 'EPERM') return this.sendError(req, res, 403, log);
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      closeAfterAnswer(res);
      return this.sendError(req, res, 507, log);
    }
    this.sendError(req, res, 500, log);
  }

  /** The upload route's view of the folder. */
  private get uploadSite(): UploadSite {
    return (this.site ??= {
      served: this.served, dotfiles: this.dotfiles, maxUploadBytes: this.maxUploadBytes, extraHeaders: this.corsHeaders,
      folder: (segments) => {
        const found = this.files.lookup(segments);
        if (isRefusal(found)) return found;
        return found.kind === 'dir' ? found.real : { status: 405, reason: 'POST goes to a folder' };
      },
    });
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

/** SPA fallback only for what a browser navigates to: HTML wanted, or a path without a file extension. */
function wantsPage(req: IncomingMessage, target: RequestPath): boolean {
  const last = target.segments[target.segments.length - 1] ?? '';
  return String(req.headers.accept ?? '').includes('text/html') || !last.includes('.');
}
