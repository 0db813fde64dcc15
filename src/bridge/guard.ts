// The checks every request to the browser assistant passes: token, Host (DNS-rebinding defence), Origin, and the CSP it is served with.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';

/** A fresh random token for the page's URL (192 bits, URL-safe). */
export function createToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Compares a token in constant time (both sides hashed first, so lengths leak nothing either). */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Splits a Host header into its name (brackets kept off IPv6) and port; undefined when malformed. */
export function parseHostHeader(value: string | undefined): { hostname: string; port: string } | undefined {
  if (!value || value.length > 255 || /[\s/@?#\\]/.test(value)) return undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(value);
  if (v6) return net.isIPv6(v6[1]!) ? { hostname: v6[1]!.toLowerCase(), port: v6[2] ?? '' } : undefined;
  const m = /^([a-zA-Z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  return { hostname: m[1]!.toLowerCase(), port: m[2] ?? '' };
}

/** True for names that always mean this machine: localhost (and *.localhost), 127.0.0.0/8, ::1. */
export function isLoopbackName(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h) || h === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * Whether a request's Host header is acceptable. A page served under any other name could be a
 * DNS-rebinding attack: a site whose name now resolves to 127.0.0.1 would otherwise reach us as
 * "same origin". IP literals cannot be rebound, so when the server was deliberately bound beyond
 * loopback, they are accepted too (that is how other machines reach it).
 * Returns why it was refused, or undefined when it is fine.
 */
export function checkHost(hostHeader: string | undefined, options: { allowIpLiterals: boolean }): string | undefined {
  const parsed = parseHostHeader(hostHeader);
  if (!parsed) return hostHeader ? `the Host header '${hostHeader}' is malformed` : 'the request has no Host header';
  if (isLoopbackName(parsed.hostname)) return undefined;
  if (options.allowIpLiterals && net.isIP(parsed.hostname)) return undefined;
  return `the Host header '${hostHeader}' is not a local name (a defence against DNS rebinding); open the address sockit printed`;
}

/**
 * Whether a WebSocket's Origin is the page's own origin: the Host it asked for, over http.
 * Browsers always send Origin on WebSockets, so a missing one is refused as well.
 */
export function checkOrigin(origin: string | undefined, hostHeader: string | undefined): string | undefined {
  if (!origin) return 'the WebSocket request has no Origin header';
  if (!hostHeader || origin.toLowerCase() !== `http://${hostHeader.toLowerCase()}`) {
    return `the WebSocket's Origin '${origin}' is not this page's origin`;
  }
  return undefined;
}

/** The Content-Security-Policy of every response: our own script and styles only, sockets only back to us. */
export function contentSecurityPolicy(hostHeader: string | undefined): string {
  const ws = hostHeader && parseHostHeader(hostHeader) ? ` ws://${hostHeader}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
