// Parsers of ports, hosts, endpoints, whole numbers and sizes, for the CLI, the bridge and the page alike: each names the argument and its range when it refuses one.
import { UsageError } from '../errors.js';

/** Parses a TCP/UDP port number (0 lets the system choose). */
export function parsePort(value: string | number, name = 'port', { allowZero = true } = {}): number {
  const text = String(value).trim();
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new UsageError(`${name} must be a whole number from ${min} to 65535, got '${value}'`, { field: name });
  }
  return port;
}

/** Parses a whole number within a range, naming the option in the error. */
export function parseInteger(value: string | number, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const text = String(value).trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new UsageError(`${name} must be a whole number ${range}, got '${value}'`, { field: name });
  }
  return n;
}

const SIZE_UNITS = new Map<string, number>(Object.entries({ '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 }));

/** Parses a byte size such as `64`, `16k`, `16MiB`. */
export function parseSize(value: string | number, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(String(value).trim());
  const unit = match ? SIZE_UNITS.get(match[2]!.toLowerCase()) : undefined;
  if (!match || unit === undefined) throw new UsageError(`${name} must be a size such as 64, 16k or 16MiB, got '${value}'`, { field: name });
  const n = Math.round(Number(match[1]) * unit);
  if (n < min || n > max) throw new UsageError(`${name} must be from ${min} to ${max} bytes, got '${value}'`, { field: name });
  return n;
}

/**
 * Normalises a host argument: strips the brackets of `[::1]`, refuses empty or spaced names.
 * Host names are left for the resolver to judge.
 */
export function parseHost(value: string, name = 'host'): string {
  let host = value.trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || /[\s/]/.test(host)) throw new UsageError(`${name} must be a host name or an IP address, got '${value}'`, { field: name });
  if (host.includes(':') && !isIPv6(host)) throw new UsageError(`${name} '${value}' is not a valid IPv6 address`, { field: name });
  return host;
}

/** Parses `host:port`, `[v6]:port` or a bare port (host then defaults); `allowZero: false` for where to send. */
export function parseEndpoint(value: string, name = 'address', defaultHost = '127.0.0.1', { allowZero = true } = {}): { host: string; port: number } {
  const text = value.trim();
  const port = (p: string) => parsePort(p, `${name} port`, { allowZero });
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) return { host: parseHost(v6[1]!, name), port: port(v6[2]!) };
  const idx = text.lastIndexOf(':');
  if (idx < 0) return { host: defaultHost, port: port(text) };
  if (text.indexOf(':') !== idx) throw new UsageError(`${name} '${value}': write IPv6 addresses in brackets, as [::1]:8080`, { field: name });
  return { host: parseHost(text.slice(0, idx), name), port: port(text.slice(idx + 1)) };
}

/** True when `text` carries its own port: `host:port` or `[v6]:port` (a bare IPv6 address does not). */
export function hasPort(text: string): boolean {
  const t = text.trim();
  return /^\[[^\]]*\]:/.test(t) || (t.includes(':') && t.indexOf(':') === t.lastIndexOf(':'));
}

/**
 * A command's `<host> <port>`, also written as one argument, `host:port` or `[v6]:port`.
 * `portUsed` is false when the port came with the host; a second argument is then refused, unless
 * `textMayFollow` (`udp send host:port text`).
 */
export function parseTarget(
  host: string, port: string | undefined, { allowZero = false, textMayFollow = false } = {},
): { host: string; port: number; portUsed: boolean } {
  if (hasPort(host)) {
    if (port !== undefined && !textMayFollow) throw new UsageError(`the port is given twice: in '${host}' and as '${port}'`);
    const t = host.trim();
    const v6 = /^\[([^\]]+)\]:(.*)$/.exec(t);
    const [h, p] = v6 ? [v6[1]!, v6[2]!] : [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)];
    return { host: parseHost(h, 'host'), port: parsePort(p, 'port', { allowZero }), portUsed: false };
  }
  if (port === undefined) throw new UsageError(`missing port: give <host> <port>, or <host>:<port> ([::1]:8000 for IPv6), got only '${host}'`);
  return { host: parseHost(host, 'host'), port: parsePort(port, 'port', { allowZero }), portUsed: true };
}

/** Formats a host and port the way people type them: `[::1]:80` for IPv6. */
export function formatEndpoint(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const V4_PART = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${V4_PART}(?:\\.${V4_PART}){3}$`);

/** True for dotted-quad IPv4 (`10.0.0.5`; no leading zeros, as Node's `net.isIPv4`). */
export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** True for IPv6 text as Node's `net.isIPv6` accepts it: `::` once, an IPv4 tail, a `%zone`. */
export function isIPv6(text: string): boolean {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (!/^[0-9a-zA-Z.:-]+$/.test(s.slice(pct + 1))) return false;
    s = s.slice(0, pct);
  }
  const last = s.lastIndexOf(':');
  if (last < 0) return false;
  // an IPv4 tail (`::ffff:10.0.0.5`) stands for the last two groups
  if (s.includes('.', last)) {
    if (!isIPv4(s.slice(last + 1))) return false;
    s = s.slice(0, last + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

/** 4 or 6 for an IP address of that family, 0 for anything else (a host name), as Node's `net.isIP`. */
export function ipVersion(text: string): 0 | 4 | 6 {
  return isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0;
}
