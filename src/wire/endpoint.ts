// Validators for option values: each names the argument and its range when it refuses one.
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

/** Parses a TCP/UDP port number (0 lets the system choose). */
export function parsePort(value: string | number, name = 'port', { allowZero = true } = {}): number {
  const text = String(value).trim();
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new UsageError(`${name} must be a whole number from ${min} to 65535, got '${value}'`);
  }
  return port;
}

/** Parses a whole number within a range, naming the option in the error. */
export function parseInteger(value: string | number, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const text = String(value).trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new UsageError(`${name} must be a whole number ${range}, got '${value}'`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Parses a byte size such as `64`, `16k`, `16MiB`. */
export function parseSize(value: string | number, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(String(value).trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new UsageError(`${name} must be a size such as 64, 16k or 16MiB, got '${value}'`);
  const n = Math.round(Number(match[1]) * unit);
  if (n < min || n > max) throw new UsageError(`${name} must be from ${min} to ${max} bytes, got '${value}'`);
  return n;
}

/**
 * Normalises a host argument: strips the brackets of `[::1]`, refuses empty or spaced names.
 * Host names are left for the resolver to judge.
 */
export function parseHost(value: string, name = 'host'): string {
  let host = value.trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || /[\s/]/.test(host)) throw new UsageError(`${name} must be a host name or an IP address, got '${value}'`);
  if (host.includes(':') && isIP(host) !== 6) throw new UsageError(`${name} '${value}' is not a valid IPv6 address`);
  return host;
}

/** Parses `host:port`, `[v6]:port` or a bare port (host then defaults). */
export function parseEndpoint(value: string, name = 'address', defaultHost = '127.0.0.1'): { host: string; port: number } {
  const text = value.trim();
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) return { host: parseHost(v6[1]!, name), port: parsePort(v6[2]!, `${name} port`) };
  const idx = text.lastIndexOf(':');
  if (idx < 0) return { host: defaultHost, port: parsePort(text, `${name} port`) };
  if (text.indexOf(':') !== idx) throw new UsageError(`${name} '${value}': write IPv6 addresses in brackets, as [::1]:8080`);
  return { host: parseHost(text.slice(0, idx), name), port: parsePort(text.slice(idx + 1), `${name} port`) };
}

/** Formats a host and port the way people type them: `[::1]:80` for IPv6. */
export function formatEndpoint(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
