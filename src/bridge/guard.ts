// The checks every request to the browser assistant passes: token, Host (DNS-rebinding defence), Origin, and the CSP it is served with.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostProblem, parseHostHeader } from '../http/host-header.js';
import { escapeControl } from '../wire/escape.js';

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

export { parseHostHeader };

/**
 * Whether a request's Host header is acceptable (see {@link hostProblem}): loopback names always,
 * IP literals too when the server was deliberately bound beyond loopback (that is how other
 * machines reach it). Returns why it was refused, or undefined when it is fine.
 */
export function checkHost(hostHeader: string | undefined, options: { allowIpLiterals: boolean }): string | undefined {
  return hostProblem(hostHeader, { ipLiterals: options.allowIpLiterals });
}

/**
 * Whether a WebSocket's Origin is the page's own origin: the Host it asked for, over http.
 * Browsers always send Origin on WebSockets, so a missing one is refused as well.
 */
export function checkOrigin(origin: string | undefined, hostHeader: string | undefined): string | undefined {
  if (!origin) return 'the WebSocket request has no Origin header';
  if (!hostHeader || origin.toLowerCase() !== `http://${hostHeader.toLowerCase()}`) {
    return `the WebSocket's Origin '${escapeControl(origin)}' is not this page's origin`;
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
