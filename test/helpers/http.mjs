// HTTP test helpers: a static server on port 0, temporary trees, and raw-byte requests no client library can normalise.
import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { join, dirname } from 'node:path';
import { serveStatic } from '../../dist/index.js';
import { tmpDir, WAIT_MS } from './index.mjs';

/**
 * Builds a tree under a fresh temp folder. `spec` maps relative paths to contents (string or
 * Buffer), `null` for a folder, or `{ symlink: target }`. Returns the folder.
 */
export function tmpTree(t, spec, prefix = 'sockit-http-') {
  const dir = tmpDir(t, prefix);
  writeTree(dir, spec);
  return dir;
}

/** Writes `spec` (as for tmpTree) under an existing folder. */
export function writeTree(dir, spec) {
  for (const [rel, content] of Object.entries(spec)) {
    const full = join(dir, rel);
    if (content === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content) && content.symlink) symlinkSync(content.symlink, full);
    else writeFileSync(full, content);
  }
}

/**
 * Starts a static server on 127.0.0.1, port 0, closed when the test ends. Events are collected
 * in `server.events`. Returns { server, base, port }.
 */
export async function startServer(t, options) {
  const events = [];
  const server = await serveStatic({ port: 0, host: '127.0.0.1', ...options }, (e) => events.push(e));
  server.events = events;
  t.after(() => server.close(200));
  const scheme = options.tls ? 'https' : 'http';
  return { server, port: server.port, base: `${scheme}://127.0.0.1:${server.port}` };
}

/**
 * Sends `request` (a string, taken as latin1 bytes, or a Buffer) over a raw socket and parses the
 * answer: { status, headers (lower-case names), body (Buffer), raw }. The connection is closed by
 * the server (`Connection: close` is the caller's job) or after `ms` of silence once the answer
 * began; an answer that never begins counts as empty after WAIT_MS.
 */
export function rawHttp(port, request, { host = '127.0.0.1', ms = 2000, secure = false } = {}) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const onConnect = () => socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
    const socket = secure ? tls.connect({ port, host, rejectUnauthorized: false }, onConnect) : net.connect(port, host, onConnect);
    let timer = setTimeout(() => socket.destroy(), WAIT_MS);
    socket.on('data', (b) => {
      chunks.push(b);
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), ms);
    });
    socket.on('error', (err) => (chunks.length ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
  });
}

/** A GET for `target` as raw bytes, with `Connection: close`. */
export function rawGet(port, target, extraHeaders = '', method = 'GET') {
  return rawHttp(port, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extraHeaders}Connection: close\r\n\r\n`);
}

/** Parses one HTTP/1.1 response (Content-Length, chunked, or up to the end). */
export function parseResponse(raw) {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), raw };
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(head[0].split(' ')[1]);
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts = [];
    let pos = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', pos);
      if (eol < 0) break;
      const size = parseInt(body.subarray(pos, eol).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      pos = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status, headers, body, raw };
}

/** Deterministic bytes of a given size (a repeating pattern that still tells offsets apart). */
export function patternBytes(size) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}
