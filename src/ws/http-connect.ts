// A tunnel through an HTTP proxy (the CONNECT method, RFC 9110 section 9.3.6), for clients that must go through one.
import net from 'node:net';
import { ConnectError, UsageError } from '../errors.js';
import { connectErrorFrom } from '../system-errors.js';
import { formatEndpoint } from '../wire/endpoint.js';

// a proxy's answer to CONNECT is a status line and a few headers; more than this is not a proxy
const MAX_RESPONSE_BYTES = 16 * 1024;

/** An HTTP proxy, checked: where it is and the credentials it wants, if any. */
export interface HttpProxy {
  host: string;
  port: number;
  /** `Basic …`, from `http://user:pass@host:port`. */
  authorization?: string;
}

/** Reads `http://[user:pass@]host:port` (`--proxy`). */
export function parseProxyUrl(value: string, name = 'proxy'): HttpProxy {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new UsageError(`${name} '${value}' is not an address such as http://127.0.0.1:3128`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`${name} '${value}': only http:// proxies (HTTP CONNECT) are supported`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? 80 : Number(url.port);
  const user = decodeURIComponent(url.username);
  const authorization = user ? `Basic ${Buffer.from(`${user}:${decodeURIComponent(url.password)}`).toString('base64')}` : undefined;
  return { host, port, ...(authorization ? { authorization } : {}) };
}

/**
 * Opens a TCP connection to `host:port` through the proxy. Resolves with the socket once the
 * proxy answered 200; what is sent on it then reaches the target unchanged.
 */
export function openTunnel(proxy: HttpProxy, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const via = formatEndpoint(proxy.host, proxy.port);
  const target = formatEndpoint(host, port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: proxy.host, port: proxy.port, noDelay: true });
    let received = Buffer.alloc(0);
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new ConnectError('SOCKIT_ERR_TIMEOUT', `the proxy ${via} did not open a tunnel to ${target} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (err) => {
      const e = connectErrorFrom(err, proxy.host, proxy.port);
      fail(new ConnectError(e.code, `proxy: ${e.message}`, { cause: err, hint: e.hint }));
    });
    socket.once('connect', () => {
      const auth = proxy.authorization ? `Proxy-Authorization: ${proxy.authorization}\r\n` : '';
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
    });
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > MAX_RESPONSE_BYTES) fail(new ConnectError('SOCKIT_ERR_PROXY', `${via} does not answer like an HTTP proxy`));
        return;
      }
      socket.off('data', onData);
      socket.off('end', onEnd);
      const status = /^HTTP\/1\.[01] (\d{3}) ?([^\r\n]*)/.exec(received.subarray(0, end).toString('latin1'));
      if (!status) return fail(new ConnectError('SOCKIT_ERR_PROXY', `${via} does not answer like an HTTP proxy`));
      if (status[1] !== '200') {
        return fail(new ConnectError('SOCKIT_ERR_PROXY', `the proxy ${via} refused to open a tunnel to ${target}: HTTP ${status[1]} ${status[2]}`.trimEnd(), {
          hint: status[1] === '407' ? 'the proxy wants credentials: --proxy http://user:password@host:port' : undefined,
        }));
      }
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('error');
      // nothing arrives before the client speaks: the WebSocket request is written once the socket is handed over
      const rest = received.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      resolve(socket);
    };
    const onEnd = () => fail(new ConnectError('SOCKIT_ERR_PROXY', `the proxy ${via} closed the connection instead of opening a tunnel to ${target}`));
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}
