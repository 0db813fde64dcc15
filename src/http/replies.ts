// The answers the static server writes itself: buffers, short errors, 304s, conditional checks and folder redirect locations.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { RequestPath } from './resolve-path.js';

/** What the handler reports about one answer, for the access log. */
export interface ResponseLog {
  /** Body bytes sent. */
  bytes: number;
  /** Body bytes received (uploads). */
  bytesIn: number;
  /** Why a request was refused or failed (never sent to the client). */
  note?: string;
}

/** Generated pages may style themselves and post their upload form, nothing else. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'";
const ERROR_CSP = "default-src 'none'";

/** Sends a whole body (none for HEAD) with its headers. */
export function sendBuffer(req: IncomingMessage, res: ServerResponse, status: number, headers: string[], body: Buffer, log: ResponseLog): void {
  res.writeHead(status, headers);
  if (req.method === 'HEAD') res.end();
  else {
    log.bytes += body.length;
    res.end(body);
  }
}

/** An answer without a body: a HEAD, or an empty range. */
export function sendHead(res: ServerResponse, status: number, headers: string[]): void {
  res.writeHead(status, headers);
  res.end();
}

/** 304 Not Modified. */
export function notModified(res: ServerResponse, headers: string[]): void {
  sendHead(res, 304, headers);
}

/**
 * A short plain-text error that never echoes the request. When the head already went out, the
 * connection is cut instead: the client must not take a half answer for a whole one.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, status: number, log: ResponseLog, extra: readonly string[] = []): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(status);
  res.writeHead(status, [
    'Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-cache', 'Content-Security-Policy', ERROR_CSP,
    'X-Content-Type-Options', 'nosniff', ...extra, 'Content-Length', String(body.length),
  ]);
  if (req.method === 'HEAD') res.end();
  else {
    log.bytes += body.length;
    res.end(body);
  }
}

const errorBodies = new Map<number, Buffer>();
function errorBody(status: number): Buffer {
  let body = errorBodies.get(status);
  if (!body) errorBodies.set(status, (body = Buffer.from(`${status} ${STATUS_CODES[status] ?? 'Error'}\n`)));
  return body;
}

/** If-None-Match (weak comparison, RFC 9110 §13.1.2) or, without it, If-Modified-Since at one-second precision. */
export function isNotModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
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

/** True when the request carries a body (a length above 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}
