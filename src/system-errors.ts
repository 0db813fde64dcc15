// Turns system errors from connect, lookup and bind into one plain sentence naming the address.
import { BindError, ConnectError, SockitError } from './errors.js';
import { formatEndpoint } from './wire/endpoint.js';

interface SystemErrorLike {
  code?: string;
  syscall?: string;
  message?: string;
}

/** Turns a system error from connect/lookup into one plain sentence naming host and port. */
export function connectErrorFrom(err: unknown, host: string, port: number): SockitError {
  if (err instanceof SockitError) return err;
  const e = (err ?? {}) as SystemErrorLike;
  const where = formatEndpoint(host, port);
  switch (e.code) {
    case 'ECONNREFUSED':
      return new ConnectError('SOCKIT_ERR_REFUSED', `connection to ${where} was refused: nothing is listening there`, {
        cause: err,
        hint: 'check the port, and that the server is running and listening on that address',
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConnectError('SOCKIT_ERR_HOST_NOT_FOUND', `host ${host} was not found (port ${port} was not tried)`, {
        cause: err,
        hint: 'check the spelling of the host name, or use an IP address',
      });
    case 'ETIMEDOUT':
    case 'SOCKIT_TIMEOUT':
      return new ConnectError('SOCKIT_ERR_TIMEOUT', `connection to ${where} timed out`, {
        cause: err,
        hint: 'a firewall may be dropping packets, or the host is down',
      });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectError('SOCKIT_ERR_UNREACHABLE', `${where} is unreachable from this machine`, { cause: err });
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new ConnectError('SOCKIT_ERR_TLS', `the TLS certificate of ${where} is not trusted: ${e.message}`, {
        cause: err,
        hint: 'for a test server with a self-signed certificate, add --insecure',
      });
    case 'ECONNRESET':
      return new ConnectError('SOCKIT_ERR_RESET', `connection to ${where} was reset by the peer`, { cause: err });
    default:
      return new ConnectError('SOCKIT_ERR_NETWORK', `could not connect to ${where}: ${e.message ?? String(err)}`, { cause: err });
  }
}

/** Turns a system error from bind/listen into one plain sentence naming the address. */
export function bindErrorFrom(err: unknown, host: string, port: number, owner?: string, freePort?: number): SockitError {
  if (err instanceof SockitError) return err;
  const e = (err ?? {}) as SystemErrorLike;
  const where = formatEndpoint(host, port);
  switch (e.code) {
    case 'EADDRINUSE':
      return new BindError('SOCKIT_ERR_ADDR_IN_USE', `port ${port} is already in use${owner ? ` by ${owner}` : ''} (could not listen on ${where})`, {
        cause: err,
        hint: `stop that program or choose another port${freePort ? ` (${freePort} is free)` : ''}; port 0 lets the system pick a free one`,
      });
    case 'EACCES':
    case 'EPERM':
      return new BindError('SOCKIT_ERR_ACCESS', port < 1024 && port > 0
        ? `could not listen on ${where}: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability`
        : `could not listen on ${where}: permission denied`, {
        cause: err,
        hint: 'use a port of 1024 or above; or run as root; or lower net.ipv4.ip_unprivileged_port_start with sysctl (Linux). setcap cap_net_bind_service=+ep on the node binary would let every program run with that node bind low ports, not only sockit',
      });
    case 'EADDRNOTAVAIL':
      return new BindError('SOCKIT_ERR_ADDR_NOT_AVAILABLE', `could not listen on ${where}: no local interface has the address ${host}`, {
        cause: err,
        hint: 'run `sockit ifaces` to see this machine\'s addresses',
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new BindError('SOCKIT_ERR_HOST_NOT_FOUND', `could not listen on ${where}: host ${host} was not found`, { cause: err });
    default:
      return new BindError('SOCKIT_ERR_NETWORK', `could not listen on ${where}: ${e.message ?? String(err)}`, { cause: err });
  }
}
