// The Host header check against DNS rebinding, one for the static server and the browser assistant.
import net from 'node:net';
import { isLoopbackHost } from '../net/address.js';
import { escapeControl } from '../wire/escape.js';

/** Splits a Host header into its name (brackets kept off IPv6, lower-cased) and port; undefined when malformed. */
export function parseHostHeader(value: string | undefined): { hostname: string; port: string } | undefined {
  if (!value || value.length > 255 || /[\s/@?#\\]/.test(value)) return undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(value);
  if (v6) return net.isIPv6(v6[1]!) ? { hostname: v6[1]!.toLowerCase(), port: v6[2] ?? '' } : undefined;
  const m = /^([a-zA-Z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  return { hostname: m[1]!.toLowerCase(), port: m[2] ?? '' };
}

/** Which Host names a server answers to, besides those that always mean this machine. */
export interface HostPolicy {
  /**
   * Accept any IP literal. An address cannot be rebound to another site, so a server reached by
   * address is safe; the browser assistant accepts them only when bound beyond loopback.
   */
  ipLiterals: boolean;
  /** More names to accept (lower case), e.g. `--allow-host`. */
  names?: ReadonlySet<string>;
  /** Accept a request without Host (HTTP/1.0 clients); browsers always send one. */
  allowMissing?: boolean;
}

/**
 * Why a request's Host header is refused, or undefined when it is fine. A page served under any
 * other name could be a DNS-rebinding attack: a site whose name now resolves to 127.0.0.1 would
 * otherwise reach the server as "same origin". `localhost`, `*.localhost` and loopback addresses
 * are always accepted. The header is the client's text: it is quoted with control characters
 * escaped, so the sentence is safe to print.
 */
export function hostProblem(hostHeader: string | undefined, policy: HostPolicy): string | undefined {
  if (hostHeader === undefined && policy.allowMissing) return undefined;
  const parsed = parseHostHeader(hostHeader);
  if (!parsed) return hostHeader ? `the Host header '${escapeControl(hostHeader)}' is malformed` : 'the request has no Host header';
  const name = parsed.hostname;
  if (isLoopbackHost(name) || (policy.ipLiterals && net.isIP(name) !== 0) || policy.names?.has(name)) return undefined;
  return `the Host header '${escapeControl(hostHeader!)}' is not a local name (a defence against DNS rebinding); open the address sockit printed`;
}
