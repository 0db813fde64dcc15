// TLS material for servers: read a given key/certificate, or make a self-signed one on the fly.
import { readFileSync } from 'node:fs';
import { SockitError, UsageError } from '../errors.js';

/** A PEM key and certificate pair. */
export interface TlsMaterial {
  key: string;
  cert: string;
  /** True when generated here (clients must skip verification or trust it explicitly). */
  selfSigned: boolean;
}

/** Reads `--cert`/`--key`, or generates a self-signed certificate for localhost and the given names. */
export async function loadTlsMaterial(opts: { certPath?: string; keyPath?: string; names?: string[] }): Promise<TlsMaterial> {
  if (opts.certPath || opts.keyPath) {
    if (!opts.certPath || !opts.keyPath) throw new UsageError('--cert and --key go together: give both, or neither for a self-signed certificate');
    try {
      return { cert: readFileSync(opts.certPath, 'utf8'), key: readFileSync(opts.keyPath, 'utf8'), selfSigned: false };
    } catch (err) {
      throw new SockitError('SOCKIT_ERR_FILE', `could not read the TLS certificate or key: ${(err as Error).message}`, { cause: err, exitCode: 2 });
    }
  }
  const names = new Set(['localhost', ...(opts.names ?? [])]);
  const altNames = [...names].map((n) => (/^[\d.]+$|:/.test(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
  altNames.push({ type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' });
  // loaded only when needed: it costs a fifth of a second at startup
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'sockit' }], {
    keySize: 2048,
    days: 30,
    extensions: [{ name: 'subjectAltName', altNames }],
  } as Parameters<typeof import('selfsigned').generate>[1]);
  return { key: pems.private, cert: pems.cert, selfSigned: true };
}
