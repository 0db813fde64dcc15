// Uploads into the served folder: the PUT and multipart/form-data POST route, streamed to disk, never outside the root.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { closeAfterAnswer } from './lifetime.js';
import { folderLocation, sendBuffer, sendError, type ResponseLog } from './replies.js';
import { isInside, isRefusal, resolveForWrite, type DotfilePolicy, type RequestPath, type ServedRoot } from './resolve-path.js';

/** An upload the server refuses, with the status to answer. */
export class UploadError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'UploadError';
    this.status = status;
  }
}

/** What a multipart part announced about itself. */
export interface PartInfo {
  name?: string;
  filename?: string;
  contentType?: string;
}

/** One step of a multipart body: a part begins, some of its bytes, or it ends. */
export type MultipartToken =
  | { kind: 'part'; info: PartInfo }
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'end' };

const MAX_PART_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from('\r\n');

/**
 * A streaming multipart/form-data parser (RFC 7578): fed chunk by chunk, it returns tokens and
 * holds back only as many bytes as a delimiter split across chunks needs.
 */
export class MultipartParser {
  private readonly delimiter: Buffer;
  private buf: Buffer;
  private state: 'preamble' | 'after' | 'headers' | 'body' | 'done' = 'preamble';
  private parts = 0;

  constructor(boundary: string, private readonly maxParts = 1000) {
    if (!/^[\x21-\x7e ]{1,70}$/.test(boundary)) throw new UploadError(400, 'bad multipart boundary');
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // the first delimiter may open the body without a CRLF before it
    this.buf = CRLF;
  }

  /** True once the closing delimiter was seen. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds a chunk; throws UploadError when the body is malformed. */
  push(chunk: Buffer): MultipartToken[] {
    if (this.state === 'done') return [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: MultipartToken[] = [];
    for (;;) {
      if (this.state === 'preamble' || this.state === 'body') {
        const i = this.buf.indexOf(this.delimiter);
        const keep = this.delimiter.length - 1;
        if (i < 0) {
          if (this.state === 'body' && this.buf.length > keep) out.push({ kind: 'data', chunk: this.buf.subarray(0, this.buf.length - keep) });
          this.buf = this.buf.subarray(Math.max(0, this.buf.length - keep));
          return out;
        }
        if (this.state === 'body') {
          if (i > 0) out.push({ kind: 'data', chunk: this.buf.subarray(0, i) });
          out.push({ kind: 'end' });
        }
        this.buf = this.buf.subarray(i + this.delimiter.length);
        this.state = 'after';
      } else if (this.state === 'after') {
        if (this.buf.length < 2) return out;
        const two = this.buf.toString('latin1', 0, 2);
        if (two === '--') {
          this.state = 'done';
          this.buf = Buffer.alloc(0);
          return out;
        }
        // transport padding (spaces, tabs) may precede the CRLF
        const eol = this.buf.indexOf(CRLF);
        if (eol < 0) {
          if (this.buf.length > 256) throw new UploadError(400, 'malformed multipart delimiter');
          return out;
        }
        if (!/^[ \t]*$/.test(this.buf.toString('latin1', 0, eol))) throw new UploadError(400, 'malformed multipart delimiter');
        this.buf = this.buf.subarray(eol + 2);
        this.state = 'headers';
      } else if (this.state === 'headers') {
        if (this.buf.length < 2) return out;
        // a part without headers (RFC 2046 allows it) opens with the blank line itself
        const end = this.buf[0] === 0x0d && this.buf[1] === 0x0a ? -2 : this.buf.indexOf('\r\n\r\n');
        if (end === -1) {
          if (this.buf.length > MAX_PART_HEADER_BYTES) throw new UploadError(431, 'multipart part headers too large');
          return out;
        }
        if (++this.parts > this.maxParts) throw new UploadError(413, `more than ${this.maxParts} parts`);
        out.push({ kind: 'part', info: end < 0 ? {} : parsePartHeaders(this.buf.toString('utf8', 0, end)) });
        this.buf = this.buf.subarray(end + 4);
        this.state = 'body';
      } else {
        return out;
      }
    }
  }

  /** Checks the body ended properly. */
  end(): void {
    if (this.state !== 'done') throw new UploadError(400, 'multipart body ended early');
  }
}

/** Reads name, filename and type out of a part's headers. */
export function parsePartHeaders(text: string): PartInfo {
  const info: PartInfo = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-type') info.contentType = value;
    else if (name === 'content-disposition') {
      const params = parseParams(value);
      const field = params.get('name');
      const filename = params.get('filename');
      if (field !== undefined) info.name = field;
      if (filename !== undefined) info.filename = filename;
    }
  }
  return info;
}

function parseParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /;\s*([a-z0-9*_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) {
    const key = m[1]!.toLowerCase();
    // browsers send `"` and line breaks in file names as %22, %0D, %0A (HTML form-data encoding)
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1').replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n') : m[3]!.trim();
    out.set(key, raw);
  }
  return out;
}

/**
 * Makes an uploaded file name safe to create in one folder: the last component only
 * (old browsers send whole client paths), and nothing that could name another place.
 */
export function safeUploadName(filename: string): string | undefined {
  const name = filename.split(/[/\\]/).pop()!.trim();
  if (name === '' || name === '.' || name === '..' || name.length > 255) return undefined;
  if (/[\x00-\x1f\x7f]/.test(name)) return undefined;
  return name;
}

/** Limits for one upload. */
export interface UploadLimits {
  /** Most bytes one request may bring (default 1 GiB). */
  maxBytes: number;
}

/** The request body; leaving the loop early keeps the socket, so the refusal can still be sent. */
function bodyOf(req: IncomingMessage): AsyncIterable<Buffer> {
  return req.iterator({ destroyOnReturn: false });
}

/** A temporary file in the target folder, hidden by its dot, created exclusively so it never follows a link. */
async function openTemp(dir: string): Promise<{ file: string; handle: fs.promises.FileHandle }> {
  const file = path.join(dir, `.sockit-upload-${randomBytes(8).toString('hex')}`);
  const handle = await fs.promises.open(file, 'wx', 0o644);
  return { file, handle };
}

/**
 * Stores a PUT body as `dir/name`, through a temporary file renamed into place (a reader never
 * sees half a file; an existing symlink is replaced, not written through). Resolves true when it
 * created the file, false when it replaced one.
 */
export async function receivePut(req: IncomingMessage, dir: string, name: string, limits: UploadLimits, count: (n: number) => void): Promise<boolean> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBytes) throw new UploadError(413, `upload larger than ${limits.maxBytes} bytes`);
  const target = path.join(dir, name);
  const existing = await fs.promises.lstat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new UploadError(409, 'a folder has that name');
  const { file, handle } = await openTemp(dir);
  try {
    let total = 0;
    for await (const chunk of bodyOf(req)) {
      total += chunk.length;
      count(chunk.length);
      if (total > limits.maxBytes) throw new UploadError(413, `upload larger than ${limits.maxBytes} bytes`);
      await handle.write(chunk);
    }
    await handle.close();
    await fs.promises.rename(file, target);
    return existing === undefined;
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.promises.unlink(file).catch(() => {});
    throw err;
  }
}

/**
 * Stores the files of a multipart/form-data POST in `dir`. A name already taken gets a number
 * (`a (1).txt`): a form upload never overwrites. Returns the names stored.
 */
export async function receiveMultipart(
  req: IncomingMessage, dir: string, boundary: string, limits: UploadLimits,
  allowName: (name: string) => boolean, count: (n: number) => void,
): Promise<string[]> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBytes) throw new UploadError(413, `upload larger than ${limits.maxBytes} bytes`);
  const parser = new MultipartParser(boundary);
  const stored: string[] = [];
  let current: { file: string; handle: fs.promises.FileHandle; name: string } | undefined;
  let skipping = false;
  let total = 0;
  try {
    for await (const chunk of bodyOf(req)) {
      total += chunk.length;
      count(chunk.length);
      if (total > limits.maxBytes) throw new UploadError(413, `upload larger than ${limits.maxBytes} bytes`);
      for (const token of parser.push(chunk)) {
        if (token.kind === 'part') {
          skipping = true;
          if (token.info.filename === undefined) continue; // a plain form field
          const name = safeUploadName(token.info.filename);
          if (name === undefined) {
            if (token.info.filename === '') continue; // an empty file input
            throw new UploadError(400, 'unusable file name');
          }
          if (!allowName(name)) throw new UploadError(403, 'file name not allowed');
          current = { ...(await openTemp(dir)), name };
          skipping = false;
        } else if (token.kind === 'data') {
          if (!skipping && current) await current.handle.write(token.chunk);
        } else if (current) {
          await current.handle.close();
          stored.push(await linkUnique(current.file, dir, current.name));
          await fs.promises.unlink(current.file).catch(() => {});
          current = undefined;
        }
      }
    }
    parser.end();
    return stored;
  } catch (err) {
    if (current) {
      await current.handle.close().catch(() => {});
      await fs.promises.unlink(current.file).catch(() => {});
    }
    throw err;
  }
}

/** Gives a finished temporary file its name, adding ` (n)` while the name is taken; link() fails instead of overwriting. */
async function linkUnique(temp: string, dir: string, name: string): Promise<string> {
  const ext = path.extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  for (let n = 0; n < 1000; n++) {
    const candidate = n === 0 ? name : `${stem} (${n})${ext === name ? '' : ext}`;
    try {
      await fs.promises.link(temp, path.join(dir, candidate));
      return candidate;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        // no hard links on this file system: rename into a name not taken a moment ago
        if (await fs.promises.lstat(path.join(dir, candidate)).then(() => true, () => false)) continue;
        await fs.promises.copyFile(temp, path.join(dir, candidate), fs.constants.COPYFILE_EXCL);
        return candidate;
      }
      throw err;
    }
  }
  throw new UploadError(409, 'too many files with that name');
}

/** What the upload route needs to know of the folder it writes into. */
export interface UploadSite {
  served: ServedRoot;
  dotfiles: DotfilePolicy;
  maxUploadBytes: number;
  /** Headers every answer carries (CORS). */
  extraHeaders: readonly string[];
  /** The real path of a folder inside the root, or why it cannot take files (with the status to answer). */
  folder(segments: readonly string[]): string | { status: number; reason: string };
}

/**
 * PUT a file, or POST multipart/form-data files into a folder; writes stay inside the real root.
 * Refusals throw UploadError (the caller answers them and closes the connection: the rest of the
 * body is not read). A client waiting for `100 Continue` gets it only once the upload is accepted.
 */
export async function handleUpload(site: UploadSite, req: IncomingMessage, res: ServerResponse, target: RequestPath, log: ResponseLog): Promise<void> {
  if (!sameOrigin(req)) {
    log.note = 'cross-origin write refused';
    closeAfterAnswer(res);
    return sendError(req, res, 403, log, site.extraHeaders);
  }
  const limits = { maxBytes: site.maxUploadBytes };
  if (Number(req.headers['content-length'] ?? 0) > limits.maxBytes) throw new UploadError(413, `upload larger than ${limits.maxBytes} bytes`);
  const count = (n: number) => (log.bytesIn += n);
  if (req.method === 'PUT') {
    if (target.trailingSlash || target.segments.length === 0) throw new UploadError(405, 'PUT names a file, not a folder');
    const where = resolveForWrite(site.served, target.segments, site.dotfiles);
    if (isRefusal(where)) throw new UploadError(where.status, where.reason);
    continueIfAsked(req, res);
    const created = await receivePut(req, where.dir, where.name, limits, count);
    res.writeHead(created ? 201 : 204, ['Content-Length', '0', ...site.extraHeaders]);
    res.end();
    return;
  }
  const type = String(req.headers['content-type'] ?? '');
  const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
  if (!m) throw new UploadError(415, 'POST uploads are multipart/form-data');
  const dir = site.folder(target.segments);
  if (typeof dir !== 'string') throw new UploadError(dir.status, dir.reason);
  if (!isInside(site.served.realRoot, dir)) throw new UploadError(403, 'write outside the root');
  const allowName = (name: string) => site.dotfiles === 'allow' || !name.startsWith('.');
  continueIfAsked(req, res);
  const stored = await receiveMultipart(req, dir, m[1] ?? m[2]!, limits, allowName, count);
  log.note = `stored ${stored.length} file${stored.length === 1 ? '' : 's'}`;
  if (String(req.headers.accept ?? '').includes('text/html')) {
    // a browser form: back to the listing
    res.writeHead(303, ['Location', target.trailingSlash ? './' : folderLocation(target), 'Content-Length', '0', ...site.extraHeaders]);
    res.end();
    return;
  }
  const body = Buffer.from(stored.map((s) => s + '\n').join(''), 'utf8');
  sendBuffer(req, res, 201, ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff', ...site.extraHeaders, 'Content-Length', String(body.length)], body, log);
}

function continueIfAsked(req: IncomingMessage, res: ServerResponse): void {
  if (String(req.headers.expect ?? '').toLowerCase() === '100-continue') res.writeContinue();
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
