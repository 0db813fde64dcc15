// The static server through real HTTP with fetch: files, listings, validators, ranges, compression, options.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync, utimesSync, mkdirSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { serveStatic, loadTlsMaterial, serverUrls } from '../../dist/index.js';
import { tmpTree, startServer, patternBytes } from '../helpers/http.mjs';
import { waitFor } from '../helpers/index.mjs';

const ID = { 'accept-encoding': 'identity' };
const get = (url, headers = {}, init = {}) => fetch(url, { headers: { ...ID, ...headers }, redirect: 'manual', ...init });
const sha = (b) => createHash('sha256').update(b).digest('hex');

test('index.html for folders, with type, charset, nosniff and validators', async (t) => {
  const root = tmpTree(t, { 'index.html': '<h1>home</h1>', 'sub/index.html': '<h1>sub</h1>' });
  const { base } = await startServer(t, { root });
  for (const [path, text] of [['/', '<h1>home</h1>'], ['/sub/', '<h1>sub</h1>'], ['/index.html', '<h1>home</h1>']]) {
    const r = await get(base + path);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), text);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('etag'), /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(r.headers.get('last-modified'));
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
  }
});

test('content types from the file name, charset for text only', async (t) => {
  const root = tmpTree(t, { 'a.css': 'a{}', 'a.js': '1', 'a.json': '{}', 'a.svg': '<svg/>', 'a.png': Buffer.from([0x89, 0x50]), 'README': 'x', 'a.wasm': Buffer.from([0, 97, 115, 109]) });
  const { base } = await startServer(t, { root });
  const expected = {
    'a.css': 'text/css; charset=utf-8', 'a.js': 'text/javascript; charset=utf-8', 'a.json': 'application/json; charset=utf-8',
    'a.svg': 'image/svg+xml', 'a.png': 'image/png', README: 'application/octet-stream', 'a.wasm': 'application/wasm',
  };
  for (const [name, type] of Object.entries(expected)) {
    const r = await get(`${base}/${name}`);
    assert.equal(r.headers.get('content-type'), type, name);
    await r.arrayBuffer();
  }
});

test('listing: folders first, natural order, sizes and dates, every name escaped and encoded, and each link downloads its file', async (t) => {
  const files = {
    '<script>alert(1).txt': 'xss',
    '<img src=x onerror=alert(1)>.html': 'img',
    'a&b #1.txt': 'amp hash',
    '%41.txt': 'percent',
    'javascript:alert(1)': 'scheme',
    '"quote\'s".txt': 'quotes',
    '世界.txt': 'utf8',
    'file10.txt': '10',
    'file2.txt': '2',
    'q?x=1.txt': 'question',
  };
  const root = tmpTree(t, { ...files, 'zdir/x': 'x', 'Adir/y': 'y', '.hidden': 'no', 'back\\slash.txt': 'unreachable' });
  const { base } = await startServer(t, { root });
  const r = await get(base + '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(r.headers.get('content-security-policy'), /default-src 'none'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const html = await r.text();
  assert.ok(!html.includes('<script>'), 'names are HTML-escaped');
  assert.ok(html.includes('&#60;script&#62;alert(1).txt'));
  assert.ok(!html.includes('back\\slash'), 'names the path rules refuse are not listed');
  assert.ok(!html.includes('<img'));
  assert.ok(!html.includes('.hidden'), 'dotfiles are not listed');
  assert.ok(!/href="javascript:/i.test(html), 'no link can become a javascript: URL');
  const hrefs = [...html.matchAll(/<td class="name"><a href="([^"]*)">/g)].map((m) => m[1].replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))));
  const names = hrefs.map((h) => decodeURIComponent(h.replace(/^\.\//, '').replace(/\/$/, '')));
  assert.deepEqual(names.slice(0, 2), ['Adir', 'zdir'], 'folders first');
  assert.ok(names.indexOf('file2.txt') < names.indexOf('file10.txt'), 'natural order');
  for (const [name, content] of Object.entries(files)) {
    const href = hrefs[names.indexOf(name)];
    assert.ok(href?.startsWith('./'), `${name} has a relative link`);
    const url = new URL(href, base + '/');
    assert.equal(url.origin, base, `${name} stays on this server`);
    const f = await get(url.href);
    assert.equal(f.status, 200, name);
    assert.equal(await f.text(), content, name);
  }
  assert.match(html, /<td class="num">\d+ B<\/td><td class="num">\d{4}-\d\d-\d\d \d\d:\d\d<\/td>/);

  // breadcrumb and parent link in a sub folder
  const sub = await (await get(base + '/zdir/')).text();
  assert.ok(sub.includes('<a href="../">/</a><a href="./">zdir</a>'));
  assert.ok(sub.includes('<a href="../">../</a>'));
});

test('ETag and Last-Modified give 304; If-None-Match wins over If-Modified-Since', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'hello' });
  utimesSync(join(root, 'a.txt'), new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
  const { base } = await startServer(t, { root });
  const first = await get(base + '/a.txt');
  const etag = first.headers.get('etag');
  assert.equal(first.headers.get('last-modified'), 'Tue, 02 Jan 2024 03:04:05 GMT');
  await first.text();
  for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
    const r = await get(base + '/a.txt', { 'if-none-match': inm });
    assert.equal(r.status, 304, inm);
    assert.equal(r.headers.get('etag'), etag);
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.equal((await r.arrayBuffer()).byteLength, 0);
  }
  assert.equal((await get(base + '/a.txt', { 'if-none-match': '"other"' })).status, 200);
  assert.equal((await get(base + '/a.txt', { 'if-modified-since': 'Tue, 02 Jan 2024 03:04:05 GMT' })).status, 304);
  assert.equal((await get(base + '/a.txt', { 'if-modified-since': 'Wed, 03 Jan 2024 00:00:00 GMT' })).status, 304);
  assert.equal((await get(base + '/a.txt', { 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' })).status, 200);
  assert.equal((await get(base + '/a.txt', { 'if-modified-since': 'garbage' })).status, 200);
  assert.equal((await get(base + '/a.txt', { 'if-none-match': '"other"', 'if-modified-since': 'Wed, 03 Jan 2024 00:00:00 GMT' })).status, 200);
});

test('HEAD answers like GET without a body, everywhere', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'hello', 'big.bin': patternBytes(2 * 1024 * 1024), 'dir/x': 'x' });
  const { base } = await startServer(t, { root });
  for (const path of ['/a.txt', '/big.bin', '/', '/dir/', '/dir', '/missing']) {
    const g = await get(base + path);
    const gBody = await g.arrayBuffer();
    const h = await get(base + path, {}, { method: 'HEAD' });
    assert.equal(h.status, g.status, path);
    assert.equal(h.headers.get('content-length'), g.headers.get('content-length'), path);
    assert.equal(h.headers.get('content-type'), g.headers.get('content-type'), path);
    assert.equal((await h.arrayBuffer()).byteLength, 0, path);
    if (g.headers.get('content-length')) assert.equal(gBody.byteLength, Number(g.headers.get('content-length')));
  }
});

test('ranges: single, open-ended, suffix, multipart, 416, If-Range, for cached and streamed files', async (t) => {
  const small = patternBytes(1000);
  const large = patternBytes(3 * 1024 * 1024 + 7);
  const root = tmpTree(t, { 's.bin': small, 'l.bin': large });
  const { base } = await startServer(t, { root });
  for (const [name, body] of [['s.bin', small], ['l.bin', large]]) {
    const size = body.length;
    const url = `${base}/${name}`;
    const single = await get(url, { range: 'bytes=10-19' });
    assert.equal(single.status, 206);
    assert.equal(single.headers.get('content-range'), `bytes 10-19/${size}`);
    assert.equal(single.headers.get('content-length'), '10');
    assert.deepEqual(Buffer.from(await single.arrayBuffer()), body.subarray(10, 20));

    const open = await get(url, { range: `bytes=${size - 5}-` });
    assert.deepEqual(Buffer.from(await open.arrayBuffer()), body.subarray(size - 5));
    const suffix = await get(url, { range: 'bytes=-7' });
    assert.equal(suffix.headers.get('content-range'), `bytes ${size - 7}-${size - 1}/${size}`);
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), body.subarray(size - 7));

    const multi = await get(url, { range: 'bytes=0-3,100-103,200-' + 203 });
    assert.equal(multi.status, 206);
    const type = multi.headers.get('content-type');
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(type)[1];
    const raw = Buffer.from(await multi.arrayBuffer());
    assert.equal(raw.length, Number(multi.headers.get('content-length')));
    const parts = raw.toString('latin1').split(`--${boundary}`).slice(1, -1);
    assert.equal(parts.length, 3);
    [[0, 3], [100, 103], [200, 203]].forEach(([s, e], i) => {
      assert.ok(parts[i].includes(`Content-Range: bytes ${s}-${e}/${size}`));
      const data = Buffer.from(parts[i].split('\r\n\r\n')[1].replace(/\r\n$/, ''), 'latin1');
      assert.deepEqual(data, body.subarray(s, e + 1));
    });

    const bad = await get(url, { range: `bytes=${size}-` });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), `bytes */${size}`);
    await bad.arrayBuffer();

    const etag = single.headers.get('etag');
    const ok = await get(url, { range: 'bytes=0-0', 'if-range': etag });
    assert.equal(ok.status, 206);
    await ok.arrayBuffer();
    const stale = await get(url, { range: 'bytes=0-0', 'if-range': '"stale"' });
    assert.equal(stale.status, 200);
    assert.equal(Number(stale.headers.get('content-length')), size);
    await stale.arrayBuffer();
  }
});

test('Cache-Control: no-cache by default, max-age with cacheSeconds', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const { base } = await startServer(t, { root, cacheSeconds: 3600 });
  const r = await get(base + '/a.txt');
  assert.equal(r.headers.get('cache-control'), 'public, max-age=3600');
});

test('a folder without its slash redirects relatively, query kept', async (t) => {
  const root = tmpTree(t, { 'docs/index.html': 'docs', 'a b/x': 'x' });
  const { base } = await startServer(t, { root });
  const r = await get(base + '/docs?v=1');
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), './docs/?v=1');
  assert.equal(new URL(r.headers.get('location'), base + '/docs?v=1').href, base + '/docs/?v=1');
  const spaced = await get(base + '/a%20b');
  assert.equal(spaced.headers.get('location'), './a%20b/');
  // followed by a client, it lands on the folder
  const followed = await fetch(base + '/docs', { headers: ID });
  assert.equal(await followed.text(), 'docs');
});

test('compression: precompressed siblings, on-the-fly for text, Vary, q=0, never with ranges', async (t) => {
  const text = 'sockit compresses text. '.repeat(400);
  const root = tmpTree(t, {
    'app.js': text, 'app.js.br': zlib.brotliCompressSync(Buffer.from(text)), 'app.js.gz': zlib.gzipSync(Buffer.from(text)),
    'page.html': text, 'tiny.txt': 'small', 'photo.png': patternBytes(5000), 'big.txt': text.repeat(200),
  });
  const { base } = await startServer(t, { root });
  const plain = await get(base + '/app.js');
  const plainEtag = plain.headers.get('etag');
  assert.equal(plain.headers.get('vary'), 'Accept-Encoding');
  assert.equal(plain.headers.get('content-encoding'), null);
  await plain.text();

  const raw = async (path, ae, extra = {}) => {
    // fetch would decode; node:http shows the bytes as sent
    const { status, headers, body } = await new Promise((resolve, reject) => {
      const url = new URL(base + path);
      const req = (url.protocol === 'https:' ? https : undefined) ?? null;
      void req;
      import('node:http').then(({ default: http }) => {
        http.get(url, { headers: { 'accept-encoding': ae, ...extra } }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    });
    return { status, headers, body };
  };
  const br = await raw('/app.js', 'gzip, br');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(br.headers.vary, 'Accept-Encoding');
  assert.notEqual(br.headers.etag, plainEtag);
  assert.equal(zlib.brotliDecompressSync(br.body).toString(), text);
  const gz = await raw('/app.js', 'gzip');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(zlib.gunzipSync(gz.body).toString(), text);
  const refused = await raw('/app.js', 'br;q=0, gzip;q=0');
  assert.equal(refused.headers['content-encoding'], undefined);
  assert.equal(refused.body.toString(), text);
  // 304 for the compressed representation's own validator
  assert.equal((await raw('/app.js', 'br', { 'if-none-match': br.headers.etag })).status, 304);

  const fly = await raw('/page.html', 'gzip');
  assert.equal(fly.headers['content-encoding'], 'gzip');
  assert.equal(zlib.gunzipSync(fly.body).toString(), text);
  assert.equal(Number(fly.headers['content-length']), fly.body.length);
  const flyBr = await raw('/page.html', 'br');
  assert.equal(zlib.brotliDecompressSync(flyBr.body).toString(), text);
  assert.equal((await raw('/page.html', 'gzip', { 'if-none-match': fly.headers.etag })).status, 304);

  const streamed = await raw('/big.txt', 'gzip');
  assert.equal(streamed.headers['content-encoding'], 'gzip');
  assert.equal(zlib.gunzipSync(streamed.body).toString(), text.repeat(200));

  assert.equal((await raw('/tiny.txt', 'gzip')).headers['content-encoding'], undefined);
  assert.equal((await raw('/photo.png', 'gzip')).headers['content-encoding'], undefined);
  const ranged = await raw('/page.html', 'gzip', { range: 'bytes=0-9' });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers['content-encoding'], undefined);
  assert.equal(ranged.body.toString(), text.slice(0, 10));
});

test('CORS headers and preflight only when asked', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const off = await startServer(t, { root });
  const r0 = await get(off.base + '/a.txt');
  assert.equal(r0.headers.get('access-control-allow-origin'), null);
  assert.equal((await get(off.base + '/a.txt', {}, { method: 'OPTIONS' })).status, 405);
  const on = await startServer(t, { root, cors: true });
  const r = await get(on.base + '/a.txt');
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  assert.match(r.headers.get('access-control-expose-headers'), /Content-Range/);
  const pre = await get(on.base + '/a.txt', { origin: 'http://example.test', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' }, { method: 'OPTIONS' });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get('access-control-allow-methods'), /GET/);
  assert.match(pre.headers.get('access-control-allow-headers'), /Range/);
});

test('spa: routes without a file get index.html; missing assets and dotfiles still 404', async (t) => {
  const root = tmpTree(t, { 'index.html': 'app', 'main.js': 'js', '.env': 'secret' });
  const { base } = await startServer(t, { root, spa: true });
  for (const path of ['/users/42', '/settings']) {
    const r = await get(base + path);
    assert.equal(r.status, 200, path);
    assert.equal(await r.text(), 'app');
  }
  assert.equal((await get(base + '/missing.js')).status, 404);
  const html = await get(base + '/page.old', { accept: 'text/html' });
  assert.equal(html.status, 200);
  assert.equal((await get(base + '/.env')).status, 404);
});

test('dotfiles: hidden by default (404), 403 with deny, served with allow; /.well-known/ always', async (t) => {
  const root = tmpTree(t, { '.env': 'SECRET=1', '.git/config': '[core]', '.well-known/security.txt': 'Contact: x', 'sub/.htpasswd': 'u:p' });
  const def = await startServer(t, { root });
  for (const path of ['/.env', '/.git/config', '/.git/', '/sub/.htpasswd', '/%2eenv', '/.ENV']) assert.equal((await get(def.base + path)).status, 404, path);
  assert.equal(await (await get(def.base + '/.well-known/security.txt')).text(), 'Contact: x');
  const deny = await startServer(t, { root, dotfiles: 'deny' });
  assert.equal((await get(deny.base + '/.env')).status, 403);
  const allow = await startServer(t, { root, dotfiles: 'allow' });
  assert.equal(await (await get(allow.base + '/.env')).text(), 'SECRET=1');
  assert.match(await (await get(allow.base + '/')).text(), /\.env/);
});

test('no listing: 404 for a folder without index.html; a custom 404.html is used', async (t) => {
  const root = tmpTree(t, { 'dir/a.txt': 'a', '404.html': '<p>lost</p>' });
  const { base } = await startServer(t, { root, listing: false });
  const r = await get(base + '/dir/');
  assert.equal(r.status, 404);
  assert.equal(await r.text(), '<p>lost</p>');
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  const plainRoot = tmpTree(t, { 'x.txt': 'x' });
  const plain = await startServer(t, { root: plainRoot });
  const p = await get(plain.base + '/nope/<b>');
  assert.equal(p.status, 404);
  assert.equal(await p.text(), '404 Not Found\n');
});

test('Basic auth: 401 with a challenge, right credentials pass, hashed passwords, even for missing paths', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const { base } = await startServer(t, { root, auth: 'ann:s3cret:with:colons' });
  const basic = (s) => ({ authorization: 'Basic ' + Buffer.from(s).toString('base64') });
  const none = await get(base + '/a.txt');
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate'), /^Basic realm="sockit"/);
  assert.equal((await get(base + '/missing')).status, 401, 'no oracle for what exists');
  assert.equal((await get(base + '/a.txt', basic('ann:wrong'))).status, 401);
  assert.equal((await get(base + '/a.txt', basic('bob:s3cret:with:colons'))).status, 401);
  assert.equal((await get(base + '/a.txt', { authorization: 'Bearer x' })).status, 401);
  assert.equal(await (await get(base + '/a.txt', basic('ann:s3cret:with:colons'))).text(), 'a');

  const digest = createHash('sha256').update('pw').digest('hex');
  const hashed = await startServer(t, { root, auth: `ann:sha256:${digest}` });
  assert.equal((await get(hashed.base + '/a.txt', basic('ann:pw'))).status, 200);
  assert.equal((await get(hashed.base + '/a.txt', basic(`ann:sha256:${digest}`))).status, 401);
});

test('TLS with a self-signed certificate', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'over tls' });
  const material = await loadTlsMaterial({});
  const { port } = await startServer(t, { root, tls: { key: material.key, cert: material.cert } });
  const body = await new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/a.txt', rejectUnauthorized: false }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve(s));
    }).on('error', reject);
  });
  assert.equal(body, 'over tls');
});

test('cache: a changed file is served fresh; the cache stays within its byte limit', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'version one', 'b.txt': 'b' });
  // stat on every request
  const strict = await startServer(t, { root, cache: { revalidateMs: 0 } });
  assert.equal(await (await get(strict.base + '/a.txt')).text(), 'version one');
  writeFileSync(join(root, 'a.txt'), 'version two, longer');
  assert.equal(await (await get(strict.base + '/a.txt')).text(), 'version two, longer');

  // default: change notifications drop the entry
  const watched = await startServer(t, { root });
  assert.equal(await (await get(watched.base + '/b.txt')).text(), 'b');
  assert.equal(await (await get(watched.base + '/b.txt')).text(), 'b');
  assert.equal(watched.server.handler.cache.watchedDirs, 1);
  writeFileSync(join(root, 'b.txt'), 'bb');
  await waitFor(async () => (await (await get(watched.base + '/b.txt')).text()) === 'bb', { what: 'the changed b.txt to be served', intervalMs: 50 });

  const many = {};
  for (let i = 0; i < 40; i++) many[`f${i}.bin`] = patternBytes(10_000 + i);
  const bounded = tmpTree(t, many);
  const small = await startServer(t, { root: bounded, cache: { maxBytes: 100_000 } });
  for (const [name, content] of Object.entries(many)) assert.equal(sha(Buffer.from(await (await get(`${small.base}/${name}`)).arrayBuffer())), sha(content));
  assert.ok(small.server.handler.cache.size <= 100_000, `cache holds ${small.server.handler.cache.size} bytes`);
});

test('large files stream intact, and in parallel', async (t) => {
  const big = patternBytes(8 * 1024 * 1024 + 3);
  const root = tmpTree(t, { 'big.bin': big });
  const { base } = await startServer(t, { root });
  const results = await Promise.all([1, 2, 3].map(async () => sha(Buffer.from(await (await get(base + '/big.bin')).arrayBuffer()))));
  for (const r of results) assert.equal(r, sha(big));
});

test('methods: only GET and HEAD (and OPTIONS with CORS, PUT and POST with uploads)', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const { base } = await startServer(t, { root });
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const r = await get(base + '/a.txt', {}, { method, body: method === 'DELETE' ? undefined : 'x' });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  }
});

test('Host names other than IPs and localhost are refused on a localhost server (DNS rebinding)', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const { server } = await startServer(t, { root });
  const ask = (host) => new Promise((resolve, reject) => {
    const s = net.connect(server.port, '127.0.0.1', () => s.write(`GET /a.txt HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let out = '';
    s.on('data', (b) => (out += b));
    s.on('end', () => resolve(Number(out.split(' ')[1])));
    s.on('error', reject);
  });
  assert.equal(await ask('evil.example'), 403);
  assert.equal(await ask(`evil.example:${server.port}`), 403);
  assert.equal(await ask(`localhost:${server.port}`), 200);
  assert.equal(await ask(`app.localhost:${server.port}`), 200);
  assert.equal(await ask(`[::1]:${server.port}`), 200);
  const allowed = await startServer(t, { root, allowedHosts: ['dev.example'] });
  const s2 = allowed.server;
  const ask2 = (host) => new Promise((resolve) => {
    const s = net.connect(s2.port, '127.0.0.1', () => s.write(`GET /a.txt HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let out = '';
    s.on('data', (b) => (out += b));
    s.on('end', () => resolve(Number(out.split(' ')[1])));
  });
  assert.equal(await ask2('dev.example'), 200);
  assert.equal(await ask2('other.example'), 403);
});

test('request events carry method, url, status, bytes, time and peer', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'hello' });
  const { base, server } = await startServer(t, { root });
  await (await get(base + '/a.txt?x=1')).text();
  await (await get(base + '/..%2fetc')).text();
  const requests = await waitFor(() => {
    const r = server.events.filter((e) => e.event === 'request');
    return r.length >= 2 && r;
  }, { what: 'two request events' });
  assert.equal(requests.length, 2);
  assert.deepEqual({ ...requests[0], ts: 0, ms: 0, peer: '' }, { event: 'request', ts: 0, session: server.name, method: 'GET', url: '/a.txt?x=1', status: 200, bytes: 5, ms: 0, peer: '' });
  assert.match(requests[0].peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(requests[1].status, 403);
  assert.equal(requests[1].note, 'parent segment in path');
  const listening = server.events.find((e) => e.event === 'listening');
  assert.equal(listening.protocol, 'http');
});

test('localhost by default: 127.0.0.1 and ::1 on the same port', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const server = await serveStatic({ root, port: 0 });
  t.after(() => server.close(200));
  assert.equal(server.addresses[0], '127.0.0.1');
  assert.equal(await (await get(`http://127.0.0.1:${server.port}/a.txt`)).text(), 'a');
  if (server.addresses.includes('::1')) assert.equal(await (await get(`http://[::1]:${server.port}/a.txt`)).text(), 'a');
  else t.diagnostic('no IPv6 loopback here');
});

test('port in use: a clear error naming the port, and a free one to try', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const blocker = net.createServer();
  await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = blocker.address().port;
  await assert.rejects(serveStatic({ root, port, host: '127.0.0.1' }), (err) => {
    assert.equal(err.code, 'SOCKIT_ERR_ADDR_IN_USE');
    assert.equal(err.exitCode, 3);
    assert.match(err.message, new RegExp(`port ${port} is already in use`));
    assert.match(err.hint, /\(\d+ is free\)/);
    return true;
  });
});

test('URLs: every interface address when bound to all of them, loopback first, no link-local', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4' }, { address: '::1', family: 'IPv6' }],
    eth0: [{ address: '192.168.1.20', family: 'IPv4' }, { address: 'fe80::1', family: 'IPv6' }, { address: '2001:db8::5', family: 'IPv6' }],
  };
  assert.deepEqual(serverUrls('http', ['0.0.0.0'], 8000, interfaces), ['http://127.0.0.1:8000/', 'http://192.168.1.20:8000/']);
  assert.deepEqual(serverUrls('https', ['::'], 8443, interfaces), ['https://127.0.0.1:8443/', 'https://[::1]:8443/', 'https://192.168.1.20:8443/', 'https://[2001:db8::5]:8443/']);
  assert.deepEqual(serverUrls('http', ['127.0.0.1', '::1'], 8000, interfaces), ['http://127.0.0.1:8000/', 'http://[::1]:8000/']);
});

test('bad options are refused up front, naming the option', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  await assert.rejects(serveStatic({ root: join(root, 'missing'), port: 0 }), /does not exist/);
  await assert.rejects(serveStatic({ root: join(root, 'a.txt'), port: 0 }), /is a file/);
  await assert.rejects(serveStatic({ root, port: 0, dotfiles: 'sometimes' }), /dotfiles must be/);
  await assert.rejects(serveStatic({ root, port: 0, cacheSeconds: -1 }), /cache seconds/);
  await assert.rejects(serveStatic({ root, port: 0, headersTimeoutMs: 0 }), /headersTimeoutMs/);
  await assert.rejects(serveStatic({ root, port: 0, auth: 'nobody' }), /user:password/);
});

test('edge files: empty, odd names, an empty folder, a root reached through a symlink', async (t) => {
  const real = tmpTree(t, { 'empty.txt': '', '100% done.txt': 'pct', 'empty-dir/': null, 'sp ace/é.txt': 'accent' });
  const link = tmpTree(t, { 'root': { symlink: real } });
  const { base } = await startServer(t, { root: join(link, 'root') });
  const empty = await get(base + '/empty.txt');
  assert.equal(empty.status, 200);
  assert.equal(empty.headers.get('content-length'), '0');
  assert.equal((await empty.arrayBuffer()).byteLength, 0);
  assert.equal((await get(base + '/empty.txt', { range: 'bytes=0-' })).status, 416);
  assert.equal(await (await get(base + '/100%25%20done.txt')).text(), 'pct');
  assert.equal((await get(base + '/100% done.txt')).status, 400);
  assert.equal(await (await get(base + '/sp%20ace/%C3%A9.txt')).text(), 'accent');
  const dir = await get(base + '/empty-dir/');
  assert.equal(dir.status, 200);
  assert.match(await dir.text(), /0 entries/);
});

test('cache: a folder deleted and built again is served fresh', async (t) => {
  const root = tmpTree(t, { 'dist/app.js': 'build 1' });
  const { base, server } = await startServer(t, { root });
  assert.equal(await (await get(base + '/dist/app.js')).text(), 'build 1');
  rmSync(join(root, 'dist'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist', 'app.js'), 'build 2');
  await waitFor(async () => (await (await get(base + '/dist/app.js')).text()) === 'build 2', { what: 'build 2 to be served', intervalMs: 50 });
  // and later edits are seen through a new watch
  assert.equal(await (await get(base + '/dist/app.js')).text(), 'build 2');
  writeFileSync(join(root, 'dist', 'app.js'), 'build 3');
  await waitFor(async () => (await (await get(base + '/dist/app.js')).text()) === 'build 3', { what: 'build 3 to be served', intervalMs: 50 });
  assert.ok(server.handler.cache.watchedDirs <= 1);
});
