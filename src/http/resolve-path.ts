// Maps a request URL to a file inside the served folder, refusing every way out of it.
import fs from 'node:fs';
import path from 'node:path';

/** A request the path rules refuse, with the status to answer and why (for logs, never for the page). */
export interface PathRefusal {
  status: 400 | 403 | 404 | 409;
  reason: string;
}

/** A request path decoded once and split into safe segments. */
export interface RequestPath {
  /** Decoded segments without empty or `.` ones; never `..`, `/`, `\` or NUL. */
  segments: string[];
  /** The URL path ended with `/`. */
  trailingSlash: boolean;
  /** The query, `?` included, or ''. */
  query: string;
  /** The path as sent, still encoded (for relative redirects). */
  rawPath: string;
}

/** What the dotfile rule does with a name starting with `.`: serve it, answer 403, or pretend it is not there (404). */
export type DotfilePolicy = 'allow' | 'deny' | 'ignore';

/** True for the refusals the path functions return. */
export function isRefusal(value: unknown): value is PathRefusal {
  return typeof value === 'object' && value !== null && 'status' in value && 'reason' in value;
}

const NOT_FOUND = 'not found';
const refuse = (status: PathRefusal['status'], reason: string): PathRefusal => ({ status, reason });

/**
 * Decodes a request-target exactly once (`%252e` stays the literal `%2e`) and splits it into
 * segments. Refuses invalid encodings and NUL (400), `..` segments and backslashes (403), and on
 * Windows drive letters, `::$DATA` streams and names ending in a dot or space (403), which that
 * file system would silently map to another name.
 */
export function decodeRequestPath(target: string, options: { windows?: boolean } = {}): RequestPath | PathRefusal {
  let raw = target;
  // absolute-form (`GET http://host/path`): only the path matters
  if (!raw.startsWith('/')) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
    if (!m) return refuse(400, 'request target is not a path');
    raw = raw.slice(m[0].length) || '/';
    if (!raw.startsWith('/') && !raw.startsWith('?')) return refuse(400, 'request target is not a path');
    if (raw.startsWith('?')) raw = '/' + raw;
  }
  const q = raw.indexOf('?');
  const query = q >= 0 ? raw.slice(q) : '';
  const rawPath = q >= 0 ? raw.slice(0, q) : raw;
  let pathname = rawPath;
  if (pathname.includes('#')) return refuse(400, 'fragment in request target');
  if (pathname.includes('%')) {
    try {
      pathname = decodeURIComponent(pathname);
    } catch {
      return refuse(400, 'invalid percent-encoding');
    }
  }
  if (pathname.includes('\0')) return refuse(400, 'NUL byte in path');
  if (pathname.includes('\\')) return refuse(403, 'backslash in path');
  const windows = options.windows ?? process.platform === 'win32';
  const segments: string[] = [];
  for (const segment of pathname.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return refuse(403, 'parent segment in path');
    if (windows && (segment.includes(':') || /[. ]$/.test(segment))) return refuse(403, 'name Windows would remap');
    segments.push(segment);
  }
  return { segments, trailingSlash: pathname.endsWith('/'), query, rawPath };
}

/** True when `target` is `root` or below it. Uses path.relative: a string prefix would let `/srv/pub-secret` pass for `/srv/pub`. */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  if (rel === '') return true;
  return rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel);
}

/** The first segment the dotfile rule hides, or -1. `/.well-known/` stays reachable (RFC 8615). */
export function hiddenSegment(segments: readonly string[]): number {
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.startsWith('.') && !(i === 0 && s.toLowerCase() === '.well-known')) return i;
  }
  return -1;
}

/** Applies a dotfile policy to segments: undefined when they may be served. */
export function dotfileRefusal(segments: readonly string[], policy: DotfilePolicy): PathRefusal | undefined {
  if (policy === 'allow' || hiddenSegment(segments) < 0) return undefined;
  return policy === 'deny' ? refuse(403, 'dotfile denied') : refuse(404, 'dotfile hidden');
}

/** Where a contained path leads: the path as asked and its real path. */
export interface ResolvedPath {
  abs: string;
  real: string;
}

/** The served folder: as given and with every symlink resolved. */
export interface ServedRoot {
  root: string;
  realRoot: string;
}

/** Resolves the served folder once, at start. */
export function servedRoot(dir: string): ServedRoot {
  const root = path.resolve(dir);
  return { root, realRoot: fs.realpathSync.native(root) };
}

/**
 * Joins segments under the root and resolves symlinks. Refuses a real path that leaves the root
 * (unless `followSymlinks`) and one that reaches a dotfile through a link the policy hides.
 * Missing files are 404.
 */
export function resolveInRoot(served: ServedRoot, segments: readonly string[], options: { followSymlinks?: boolean; dotfiles?: DotfilePolicy } = {}): ResolvedPath | PathRefusal {
  const abs = path.join(served.root, ...segments);
  if (!isInside(served.root, abs)) return refuse(403, 'outside the root');
  let real: string;
  try {
    real = fs.realpathSync.native(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return refuse(404, NOT_FOUND);
    return refuse(403, `cannot resolve (${code ?? 'error'})`);
  }
  if (isInside(served.realRoot, real)) {
    const hidden = dotfileRefusal(path.relative(served.realRoot, real).split(path.sep).filter(Boolean), options.dotfiles ?? 'ignore');
    if (hidden) return hidden;
  } else if (!options.followSymlinks) {
    return refuse(403, 'symlink leaves the root');
  }
  return { abs, real };
}

/**
 * Resolves where a write may go: the parent folder must exist and really be inside the root,
 * whatever `--follow-symlinks` says, so an upload never lands outside through a link.
 */
export function resolveForWrite(served: ServedRoot, segments: readonly string[], dotfiles: DotfilePolicy = 'ignore'): { dir: string; name: string } | PathRefusal {
  if (segments.length === 0) return refuse(403, 'cannot write the root');
  const name = segments[segments.length - 1]!;
  // the dotfile rule applies to where a link leads too: `uploads -> .git` is not a way in
  const parent = resolveInRoot(served, segments.slice(0, -1), { dotfiles });
  if (isRefusal(parent)) return parent.status === 404 && parent.reason === NOT_FOUND ? refuse(409, 'parent folder does not exist') : parent;
  if (!isInside(served.realRoot, parent.real)) return refuse(403, 'write outside the root');
  return { dir: parent.real, name };
}
