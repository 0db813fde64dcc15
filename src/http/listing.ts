// Directory listing pages: read a folder within the rules, render it with every name escaped and encoded.
import { formatBytes } from '../wire/format-bytes.js';
import fs from 'node:fs';
import path from 'node:path';
import { hiddenSegment, isInside, type DotfilePolicy, type ServedRoot } from './resolve-path.js';

/** One line of a listing. */
export interface ListingEntry {
  name: string;
  isDir: boolean;
  size: number;
  mtimeMs: number;
}

/** A folder's entries as the listing shows them. */
export interface Listing {
  entries: ListingEntry[];
  /** Entries left out beyond the limit. */
  omitted: number;
}

/** Most entries a listing shows, so a huge folder cannot make a huge page. */
export const DEFAULT_MAX_LISTING_ENTRIES = 10_000;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Folders first, then names in natural order (`file2` before `file10`). */
export function compareEntries(a: ListingEntry, b: ListingEntry): number {
  if (a.isDir !== b.isDir) return a.isDir ? -1 : 1;
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Reads a folder for listing: hidden names are left out unless dotfiles are allowed, and so are
 * symlinks that leave the root (unless followed) or lead nowhere, since they could not be fetched.
 */
export async function readListing(dir: string, served: ServedRoot, options: { dotfiles: DotfilePolicy; followSymlinks: boolean; maxEntries?: number }): Promise<Listing> {
  const dirents = await fs.promises.readdir(dir, { withFileTypes: true });
  // names the path rules would refuse (a backslash) could not be fetched: not listed either
  const visible = dirents.filter((d) => (options.dotfiles === 'allow' || hiddenSegment([d.name]) < 0) && !d.name.includes('\\'));
  // sort before cutting, so a long folder shows its first entries in order rather than any of them
  visible.sort((a, b) => compareEntries(
    { name: a.name, isDir: a.isDirectory(), size: 0, mtimeMs: 0 },
    { name: b.name, isDir: b.isDirectory(), size: 0, mtimeMs: 0 },
  ));
  const max = options.maxEntries ?? DEFAULT_MAX_LISTING_ENTRIES;
  const entries: ListingEntry[] = [];
  const batch = 64;
  let examined = 0;
  while (examined < visible.length && entries.length < max) {
    const slice = visible.slice(examined, examined + Math.min(batch, max - entries.length));
    examined += slice.length;
    const results = await Promise.all(slice.map((d) => describeEntry(dir, d, served, options)));
    for (const r of results) if (r) entries.push(r);
  }
  entries.sort(compareEntries);
  return { entries, omitted: visible.length - examined };
}

async function describeEntry(dir: string, d: fs.Dirent, served: ServedRoot, options: { dotfiles: DotfilePolicy; followSymlinks: boolean }): Promise<ListingEntry | undefined> {
  const full = path.join(dir, d.name);
  try {
    if (d.isSymbolicLink()) {
      const real = await fs.promises.realpath(full);
      if (isInside(served.realRoot, real)) {
        const rel = path.relative(served.realRoot, real).split(path.sep).filter(Boolean);
        if (options.dotfiles !== 'allow' && hiddenSegment(rel) >= 0) return undefined;
      } else if (!options.followSymlinks) {
        return undefined;
      }
    }
    const st = await fs.promises.stat(full);
    if (!st.isFile() && !st.isDirectory()) return undefined;
    return { name: d.name, isDir: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** Escapes text for HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A relative link to a name in the current folder: `./` first, so `javascript:` or `//host` names cannot form URLs. */
export function entryHref(name: string, isDir: boolean): string {
  return './' + encodeURIComponent(name) + (isDir ? '/' : '');
}

/** `1.5 kB`, `300 B`: one decimal is enough in a listing. */
export function formatSize(n: number): string {
  return formatBytes(n, 1);
}

function formatDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1d2125;--dim:#6a737d;--line:#e1e4e8;--link:#0b62d6;--bg:#fff;--hover:#f4f6f8}
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--dim:#9aa4ad;--line:#30363d;--link:#6cb1ff;--bg:#0d1117;--hover:#161b22}}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1.5rem;color:var(--fg);background:var(--bg)}
main{max-width:60rem;margin:auto}
h1{font-size:1.15rem;font-weight:600;margin:0 0 1rem;word-break:break-all}
h1 a{color:var(--link);text-decoration:none}h1 a:hover{text-decoration:underline}
.sep{color:var(--dim);padding:0 .25rem}
table{width:100%;border-collapse:collapse}
th{text-align:left;font-weight:500;color:var(--dim);border-bottom:1px solid var(--line);padding:.3rem .5rem}
td{padding:.3rem .5rem;border-bottom:1px solid var(--line);white-space:nowrap}
td.name{white-space:normal;word-break:break-all;width:100%}
tr:hover td{background:var(--hover)}
td a{color:var(--link);text-decoration:none}td a:hover{text-decoration:underline}
.num{text-align:right;font-variant-numeric:tabular-nums;color:var(--dim)}
.dir a{font-weight:600}
.note{color:var(--dim);margin-top:1rem}
form{margin-top:1.5rem;padding-top:1rem;border-top:1px solid var(--line)}
`;

/**
 * Renders a listing page. `segments` are the folder's decoded path segments; links are relative
 * and every name is escaped for HTML and percent-encoded for URLs.
 */
export function renderListing(segments: readonly string[], listing: Listing, options: { upload?: boolean } = {}): string {
  const depth = segments.length;
  const up = (n: number) => (n === 0 ? './' : '../'.repeat(n));
  const crumbs = [`<a href="${up(depth)}">/</a>`];
  segments.forEach((s, i) => crumbs.push(`<a href="${up(depth - 1 - i)}">${escapeHtml(s)}</a><span class="sep">/</span>`));
  const title = '/' + segments.map((s) => s + '/').join('');
  const rows: string[] = [];
  if (depth > 0) rows.push('<tr class="dir"><td class="name"><a href="../">../</a></td><td class="num">—</td><td class="num"></td></tr>');
  for (const e of listing.entries) {
    const label = escapeHtml(e.name) + (e.isDir ? '/' : '');
    rows.push(`<tr${e.isDir ? ' class="dir"' : ''}><td class="name"><a href="${escapeHtml(entryHref(e.name, e.isDir))}">${label}</a></td><td class="num">${e.isDir ? '—' : formatSize(e.size)}</td><td class="num">${formatDate(e.mtimeMs)}</td></tr>`);
  }
  const count = listing.entries.length;
  const notes: string[] = [];
  notes.push(`${count} ${count === 1 ? 'entry' : 'entries'}`);
  if (listing.omitted > 0) notes.push(`${listing.omitted} more not shown`);
  const form = options.upload
    ? '<form method="post" enctype="multipart/form-data"><input type="file" name="file" multiple required> <button type="submit">Upload</button></form>'
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Index of ${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><h1>Index of ${crumbs.join('')}</h1>
<table><thead><tr><th>Name</th><th class="num">Size</th><th class="num">Modified</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table><p class="note">${notes.join(' · ')}</p>${form}</main></body></html>
`;
}
