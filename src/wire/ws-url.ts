// WebSocket addresses and handshake headers as people type them, checked once for the CLI, the library and the page.
import { UsageError } from '../errors.js';

/** A WebSocket address, checked. */
export interface WsTarget {
  /** The normalised URL (`ws://` or `wss://`). */
  url: string;
  secure: boolean;
  /** Host name or address, without brackets. */
  host: string;
  port: number;
  /** Path and query, as sent in the request line. */
  path: string;
}

/**
 * Reads `ws://host:port/path`, `wss://…`, `http(s)://…` (the same server, spelled as a web
 * address) or a bare `host:port/path` (taken as ws://). Refuses anything else, naming `name`.
 */
export function parseWsUrl(value: string, name = 'url'): WsTarget {
  const text = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `ws://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`${name} '${value}' is not a WebSocket address such as ws://127.0.0.1:8080/chat`);
  }
  const scheme = url.protocol.toLowerCase();
  const secure = scheme === 'wss:' || scheme === 'https:';
  if (!secure && scheme !== 'ws:' && scheme !== 'http:') throw new UsageError(`${name} '${value}' must begin with ws:// or wss://`);
  if (url.hostname === '') throw new UsageError(`${name} '${value}' has no host`);
  if (url.hash) throw new UsageError(`${name} '${value}': a WebSocket address has no #fragment`);
  url.protocol = secure ? 'wss:' : 'ws:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { url: url.toString(), secure, host, port, path: `${url.pathname}${url.search}` };
}

/** Reads a `Name: value` header line (`--header`), refusing names HTTP does not allow. */
export function parseHeaderLine(line: string, name = 'header'): [string, string] {
  const i = line.indexOf(':');
  const key = i < 0 ? '' : line.slice(0, i).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw new UsageError(`${name} '${line}' must be written as 'Name: value'`);
  const v = line.slice(i + 1).trim();
  if (/[\r\n\0]/.test(v)) throw new UsageError(`${name} '${line}': a header value cannot hold line breaks`);
  return [key, v];
}

/** The `Authorization` header for `user:password` (`--auth`, HTTP Basic); the user may not be empty. */
export function basicAuthorization(value: string, name = 'auth'): string {
  const i = value.indexOf(':');
  if (i <= 0) throw new UsageError(`${name} must be written as user:password`);
  let binary = '';
  for (const b of new TextEncoder().encode(value)) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}
