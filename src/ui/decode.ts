// Text for a log line in any encoding: the server's own decoding for the session's encoding, the browser's
// TextDecoder for the many it knows the same way, and the server (iconv-lite) on demand for the rest.
import type { LogEntry } from './log-store.js';
import { toBase64 } from './format.js';
import { canonicalEncoding } from '../wire/encoding-name.js';


// Labels the WHATWG Encoding Standard maps to a different charset than iconv-lite does
// (https://encoding.spec.whatwg.org/#names-and-labels): latin1 and ascii mean windows-1252 there.
const LATIN1 = new Set(['latin1', 'iso88591', 'l1', 'cp819', 'ibm819', 'binary', 'isoir100', 'iso885911987', 'csisolatin1']);
const SERVER_ONLY = new Set(['ascii', 'usascii', 'iso88599', 'iso885911', 'tis620', 'utf16', 'ucs2', 'hex', 'base64', 'base64url', 'utf7', 'utf32']);

const decoders = new Map<string, TextDecoder | null>();

function browserDecoder(encoding: string): TextDecoder | null {
  const key = canonicalEncoding(encoding);
  let d = decoders.get(key);
  if (d !== undefined) return d;
  d = null;
  if (!SERVER_ONLY.has(key) && !LATIN1.has(key)) {
    try {
      d = new TextDecoder(encoding.trim());
    } catch {
      d = null;
    }
  }
  decoders.set(key, d);
  return d;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

/** True when the page can decode this encoding by itself. */
export function decodesLocally(encoding: string): boolean {
  return LATIN1.has(canonicalEncoding(encoding)) || browserDecoder(encoding) !== null;
}

/**
 * Decodes log lines, asking the server (in batches, visible lines only) for encodings the
 * browser does not know; `onReady` runs when such answers arrive.
 */
export class TextSource {
  private readonly cache = new Map<string, WeakMap<LogEntry, string>>();
  private readonly pending = new Map<string, Set<LogEntry>>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ask: (encoding: string, items: string[]) => Promise<string[]>,
    private readonly onReady: () => void,
  ) {}

  /** The text of a data line in `encoding`, or undefined while the server is asked. */
  text(entry: LogEntry, encoding: string, sessionEncoding: string): string | undefined {
    if (entry.bytes === undefined || !entry.data) return entry.msg ?? '';
    const key = canonicalEncoding(encoding);
    if (entry.text !== undefined && key === canonicalEncoding(sessionEncoding)) return entry.text;
    if (LATIN1.has(key)) return latin1(entry.data);
    const d = browserDecoder(encoding);
    if (d) return d.decode(entry.data);
    const known = this.cache.get(key)?.get(entry);
    if (known !== undefined) return known;
    let set = this.pending.get(key);
    if (!set) this.pending.set(key, (set = new Set()));
    set.add(entry);
    this.timer ??= setTimeout(() => this.flush(), 20);
    return undefined;
  }

  private flush(): void {
    this.timer = undefined;
    for (const [key, set] of this.pending) {
      const entries = [...set].slice(0, 1000);
      this.pending.delete(key);
      const encoding = key;
      this.ask(encoding, entries.map((e) => toBase64(e.data!))).then(
        (texts) => {
          let map = this.cache.get(key);
          if (!map) this.cache.set(key, (map = new WeakMap()));
          entries.forEach((e, i) => map!.set(e, texts[i] ?? ''));
          this.onReady();
        },
        () => {
          // the server refused the encoding: show the bytes' absence rather than asking forever
          let map = this.cache.get(key);
          if (!map) this.cache.set(key, (map = new WeakMap()));
          for (const e of entries) map.set(e, '');
          this.onReady();
        },
      );
    }
  }
}
