// What a TLS peer showed: its certificate's subject, issuer, validity and fingerprint, and the protocol and cipher agreed.
import type tls from 'node:tls';
import type { TlsPeerInfo } from './events.js';

/** `CN=sockit, O=Example` from a certificate name record. */
function formatName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

/** The peer certificate and handshake of a connected TLS socket (undefined before the handshake). */
export function describeTlsPeer(socket: tls.TLSSocket): TlsPeerInfo | undefined {
  const cert = socket.getPeerCertificate();
  const cipher = socket.getCipher();
  const protocol = socket.getProtocol();
  if (!cert || Object.keys(cert).length === 0 || !protocol) return undefined;
  const info: TlsPeerInfo = {
    subject: formatName(cert.subject as unknown as Record<string, string>),
    issuer: formatName(cert.issuer as unknown as Record<string, string>),
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: new Date(cert.valid_to).toISOString(),
    fingerprint256: cert.fingerprint256,
    protocol,
    cipher: cipher?.name ?? '',
    authorized: socket.authorized,
  };
  if (cert.subjectaltname) info.altNames = cert.subjectaltname;
  if (!socket.authorized && socket.authorizationError) info.authorizationError = String(socket.authorizationError);
  return info;
}

/** The lines a face prints for a TLS peer, for people. */
export function formatTlsPeer(info: TlsPeerInfo): string[] {
  const lines = [
    `subject ${info.subject}`,
    `issuer ${info.issuer}${info.subject === info.issuer ? ' (self-signed)' : ''}`,
    `valid ${info.validFrom} to ${info.validTo}`,
    `sha256 ${info.fingerprint256}`,
    `${info.protocol}, ${info.cipher}, ${info.authorized ? 'verified' : `not verified${info.authorizationError ? ` (${info.authorizationError})` : ''}`}`,
  ];
  if (info.altNames) lines.splice(2, 0, `names ${info.altNames}`);
  return lines;
}
