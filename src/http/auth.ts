// HTTP Basic authentication (RFC 7617): credentials given plain or hashed, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../errors.js';

/** Who may come in: a user name and the digest of the password. */
export interface BasicCredentials {
  user: string;
  algorithm: 'sha256' | 'sha512';
  digest: Buffer;
}

/** The `WWW-Authenticate` challenge sent with 401. */
export const BASIC_CHALLENGE = 'Basic realm="sockit", charset="UTF-8"';

/**
 * Parses `user:password`, or `user:sha256:<hex>` / `user:sha512:<hex>` so the password itself
 * need not appear on the command line (`printf %s "$PASS" | sha256sum`).
 */
export function parseCredentials(spec: string, name = '--auth'): BasicCredentials {
  const colon = spec.indexOf(':');
  if (colon <= 0) throw new UsageError(`${name} must be user:password (or user:sha256:<hex>), got a value without a user`);
  const user = spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  const hashed = /^(sha256|sha512):([0-9a-f]+)$/i.exec(rest);
  if (hashed) {
    const algorithm = hashed[1]!.toLowerCase() as 'sha256' | 'sha512';
    const digest = Buffer.from(hashed[2]!, 'hex');
    if (digest.length !== (algorithm === 'sha256' ? 32 : 64)) throw new UsageError(`${name}: a ${algorithm} digest has ${algorithm === 'sha256' ? 64 : 128} hex digits`);
    return { user, algorithm, digest };
  }
  if (rest === '') throw new UsageError(`${name} must be user:password, got an empty password`);
  return { user, algorithm: 'sha256', digest: hash('sha256', rest) };
}

function hash(algorithm: string, text: string): Buffer {
  return createHash(algorithm).update(text, 'utf8').digest();
}

/**
 * A checker for Authorization headers. Both the user and the password are compared as digests
 * with timingSafeEqual, and both comparisons always run, so timing says nothing about which failed.
 */
export function createBasicAuth(credentials: BasicCredentials): (authorization: string | undefined) => boolean {
  const userDigest = hash('sha256', credentials.user);
  return (authorization) => {
    if (!authorization) return false;
    const m = /^basic\s+([a-z0-9+/=]+)\s*$/i.exec(authorization);
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const userOk = timingSafeEqual(hash('sha256', decoded.slice(0, colon)), userDigest);
    const passOk = timingSafeEqual(hash(credentials.algorithm, decoded.slice(colon + 1)), credentials.digest);
    return userOk && passOk;
  };
}
