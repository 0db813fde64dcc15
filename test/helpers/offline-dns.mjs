// Preloaded into spawned CLIs (NODE_OPTIONS=--import): host names other than localhost fail at once, so no test ever queries a real resolver.
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

const LOCAL = new Set(['localhost', 'ip6-localhost', 'ip6-loopback']);

function notFound(hostname) {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
}

const lookup = dns.lookup;
dns.lookup = function offlineLookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  if (!LOCAL.has(String(hostname).toLowerCase()) && !/^[\d.]+$|:/.test(String(hostname))) {
    process.nextTick(() => cb(notFound(hostname)));
    return {};
  }
  return lookup.call(this, hostname, options, callback);
};

const promisesLookup = dns.promises.lookup;
dns.promises.lookup = async function offlineLookup(hostname, options) {
  if (!LOCAL.has(String(hostname).toLowerCase()) && !/^[\d.]+$|:/.test(String(hostname))) throw notFound(hostname);
  return promisesLookup.call(this, hostname, options);
};
syncBuiltinESMExports();
