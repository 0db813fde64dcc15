// Hostile requests against the static server, sent as raw bytes so no client library can normalise them away.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { tmpDir, sleep, waitFor, within } from '../helpers/index.mjs';
import { startServer, rawHttp, rawGet, patternBytes } from '../helpers/http.mjs';

const SECRET = 'TOP-SECRET-OUTSIDE';
const SIBLING = 'TOP-SECRET-SIBLING';
const DOT = 'TOP-SECRET-DOTFILE';

/** base/{secret.txt, pub-secret/key.txt, pub/...}: the root is pub; everything else must stay out of reach. */
function hostileTree(t) {
  const base = tmpDir(t, 'sockit-hostile-');
  const root = join(base, 'pub');
  mkdirSync(join(root, 'docs'), { recursive: true });
  mkdirSync(join(root, '.git'));
  mkdirSync(join(base, 'pub-secret'));
  writeFileSync(join(base, 'secret.txt'), SECRET);
  writeFileSync(join(base, 'pub-secret', 'key.txt'), SIBLING);
  writeFileSync(join(root, 'docs', 'a.txt'), 'public a');
  writeFileSync(join(root, '.env'), DOT);
  writeFileSync(join(root, '.git', 'config'), DOT);
  writeFileSync(join(root, 'big.bin'), patternBytes(2 * 1024 * 1024));
  symlinkSync(join(base, 'secret.txt'), join(root, 'link-out'));
  symlinkSync(join(base, 'pub-secret'), join(root, 'dirlink-out'));
  symlinkSync(join(root, 'docs', 'a.txt'), join(root, 'link-in'));
  symlinkSync('.env', join(root, 'link-dot'));
  symlinkSync('.git', join(root, 'gitdir'));
  return { base, root };
}

function assertNoLeak(res, label) {
  const text = res.raw.toString('latin1');
  for (const s of [SECRET, SIBLING, DOT]) assert.ok(!text.includes(s), `${label}: leaked ${s}`);
}

test('traversal in every encoding gets 400/403/404 and never a byte from outside', async (t) => {
  const { base, root } = hostileTree(t);
  const { port } = await startServer(t, { root });
  const cases = [
    ['/../secret.txt', 403],
    ['/docs/../../secret.txt', 403],
    ['/docs/./../../secret.txt', 403],
    ['/%2e%2e/secret.txt', 403],
    ['/%2E%2E/secret.txt', 403],
    ['/.%2e/secret.txt', 403],
    ['/..%2fsecret.txt', 403],
    ['/docs/..%2F..%2Fsecret.txt', 403],
    ['/%2e%2e%2f%2e%2e%2fsecret.txt', 403],
    ['/%252e%252e/secret.txt', 404], // double-encoded: decoded once, a literal name
    ['/%252e%252e%252fsecret.txt', 404],
    ['/..%5csecret.txt', 403],
    ['/docs\\..\\..\\secret.txt', 403],
    ['/%2e%2e%5csecret.txt', 403],
    ['/..\\secret.txt', 403],
    ['/secret.txt%00.html', 400],
    ['/docs/a.txt%00', 400],
    ['/%c0%ae%c0%ae/secret.txt', 400], // overlong UTF-8 dots
    ['/%c0%af', 400],
    ['/%', 400],
    ['/%2', 400],
    ['/../pub-secret/key.txt', 403], // the sibling whose name starts like the root
    ['/..%2fpub-secret%2fkey.txt', 403],
    ['//etc/passwd', 404], // absolute paths are taken inside the root
    ['/etc/passwd', 404],
    [`/${base}/secret.txt`, 404],
    [`/${encodeURIComponent(join(base, 'secret.txt'))}`, 404],
    ['/C:/Windows/win.ini', 404],
    ['http://127.0.0.1/../secret.txt', 403], // absolute-form target
    ['http://127.0.0.1/%2e%2e/secret.txt', 403],
    ['file:///etc/passwd', 404], // only its path counts: /etc/passwd inside the root
    ['secret.txt', 400],
  ];
  for (const [target, status] of cases) {
    const res = await rawGet(port, target);
    assert.equal(res.status, status, target);
    assertNoLeak(res, target);
    assert.ok(!res.raw.toString('latin1').includes(base), `${target}: the error names no local path`);
  }
  // a raw NUL, control bytes or spaces in the request line never reach the handler
  for (const target of ['/a\x00b', '/\x1b[31mred', '/a b/../../secret.txt']) {
    const res = await rawGet(port, target);
    assert.equal(res.status, 400, JSON.stringify(target));
    assertNoLeak(res, target);
  }
});

test('symlinks leaving the root are refused (and followed only when asked); links inside work', async (t) => {
  const { root } = hostileTree(t);
  const { port } = await startServer(t, { root });
  for (const target of ['/link-out', '/dirlink-out/key.txt', '/dirlink-out/', '/dirlink-out', '/link-dot', '/gitdir/config']) {
    const res = await rawGet(port, target);
    assert.ok([403, 404].includes(res.status), `${target}: ${res.status}`);
    assertNoLeak(res, target);
  }
  const inside = await rawGet(port, '/link-in');
  assert.equal(inside.status, 200);
  assert.equal(inside.body.toString(), 'public a');
  const listing = (await rawGet(port, '/')).body.toString();
  assert.ok(listing.includes('link-in'));
  assert.ok(!listing.includes('link-out') && !listing.includes('dirlink-out') && !listing.includes('link-dot') && !listing.includes('gitdir'), 'unreachable links are not listed');

  const follow = await startServer(t, { root, followSymlinks: true });
  const out = await rawGet(follow.port, '/link-out');
  assert.equal(out.status, 200);
  assert.equal(out.body.toString(), SECRET);
});

test('dotfiles stay hidden however they are asked for', async (t) => {
  const { root } = hostileTree(t);
  const { port } = await startServer(t, { root });
  for (const target of ['/.env', '/%2eenv', '/.git/config', '/.git/', '/.git', '/docs/../.env', '/.%65nv', '/%2Egit/config']) {
    const res = await rawGet(port, target);
    assert.ok([403, 404].includes(res.status), `${target}: ${res.status}`);
    assertNoLeak(res, target);
  }
});

test('no open redirect: folder redirects are relative and never start with // or /\\', async (t) => {
  const { root } = hostileTree(t);
  const { port } = await startServer(t, { root });
  const cases = [
    '//evil.example/..%2f..%2f..%2fdocs', // CPython CVE-2021-28861
    '//evil.example/%2e%2e/%2e%2e/docs', // the shape http-server 14 would turn into Location: //evil.example/...
    '//evil.example/docs',
    '/\\evil.example/..',
    '/%2fevil.example/..',
    '/%5cevil.example/docs',
    '//docs',
    '///docs',
    '/docs',
    '/docs?next=//evil.example',
    '/./docs',
    '/docs/.',
  ];
  for (const target of cases) {
    const res = await rawGet(port, target);
    const location = res.headers.location;
    if (location !== undefined) {
      assert.equal(res.status, 301, target);
      assert.ok(!/^\/[\\/]/.test(location) && !/^[a-z][a-z0-9+.-]*:/i.test(location), `${target} -> ${location}`);
      const landed = new URL(location, `http://127.0.0.1:${port}${target.startsWith('/') ? target : '/' + target}`);
      assert.equal(landed.host, `127.0.0.1:${port}`, `${target} -> ${location} leaves the host`);
      assert.equal(res.body.length, 0, 'no body on redirects');
    } else {
      assert.ok([400, 403, 404].includes(res.status), `${target}: ${res.status}`);
    }
  }
  assert.equal((await rawGet(port, '//docs')).headers.location, './docs/');
  assert.equal((await rawGet(port, '/docs/.')).headers.location, '/docs/');
});

test('error pages and redirects reflect nothing from the request', async (t) => {
  const { root } = hostileTree(t);
  mkdirSync(join(root, '<b>x'));
  const { port } = await startServer(t, { root });
  const notFound = await rawGet(port, '/%3Cscript%3Ealert(1)%3C%2Fscript%3E');
  assert.equal(notFound.status, 404);
  assert.equal(notFound.body.toString(), '404 Not Found\n');
  assert.equal(notFound.headers['content-security-policy'], "default-src 'none'");
  assert.equal(notFound.headers['x-content-type-options'], 'nosniff');
  const redirect = await rawGet(port, '/%3Cb%3Ex');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, './%3Cb%3Ex/');
  assert.equal(redirect.body.length, 0);
});

test('range attacks: overlapping, too many and overflowing ranges never amplify', async (t) => {
  const { root } = hostileTree(t);
  const { port } = await startServer(t, { root });
  const size = statSync(join(root, 'big.bin')).size;
  const ask = (range) => rawHttp(port, `GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: ${range}\r\nConnection: close\r\n\r\n`, { ms: 5000 });
  const overlapping = await ask('bytes=' + Array(16).fill('0-').join(','));
  assert.equal(overlapping.status, 200, 'the body once, not sixteen times');
  assert.equal(overlapping.body.length, size);
  const many = await ask('bytes=' + Array.from({ length: 500 }, (_, i) => `${i * 10}-${i * 10}`).join(','));
  assert.equal(many.status, 200);
  assert.equal(many.body.length, size);
  const within = await ask('bytes=' + Array.from({ length: 16 }, (_, i) => `${i * 1000}-${i * 1000 + 9}`).join(','));
  assert.equal(within.status, 206);
  assert.ok(within.body.length < 16 * 10 + 16 * 200);
  const huge = await ask('bytes=0-18446744073709551615');
  assert.equal(huge.status, 206);
  assert.equal(huge.headers['content-range'], `bytes 0-${size - 1}/${size}`);
  const beyond = await ask('bytes=18446744073709551616-');
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers['content-range'], `bytes */${size}`);
  const inverted = await ask('bytes=10-5');
  assert.equal(inverted.status, 416);
  const negative = await ask('bytes=--5');
  assert.equal(negative.status, 416);
});

test('slowloris: a client trickling headers is cut off while others are served', async (t) => {
  const { root } = hostileTree(t);
  const { port } = await startServer(t, { root, headersTimeoutMs: 600, idleTimeoutMs: 800, keepAliveTimeoutMs: 300 });
  const started = Date.now();
  const slow = net.connect(port, '127.0.0.1');
  t.after(() => slow.destroy());
  let answer = '';
  slow.on('data', (b) => (answer += b));
  slow.on('error', () => {});
  const closed = new Promise((resolve) => slow.on('close', resolve));
  slow.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const drip = setInterval(() => slow.writable && slow.write(`X-Drip-${Date.now()}: 1\r\n`), 150);
  t.after(() => clearInterval(drip));

  // meanwhile others get answers
  for (let i = 0; i < 5; i++) {
    assert.equal((await rawGet(port, '/docs/a.txt')).status, 200);
    await sleep(60); // spread over the slow client's life
  }
  await within(closed, { what: 'the trickling client to be cut off', timeoutMs: 4000 });
  clearInterval(drip);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `cut off after ${elapsed} ms`);
  assert.ok(answer === '' || answer.startsWith('HTTP/1.1 408'), answer);

  // a connection that sends nothing at all is closed too
  const silent = net.connect(port, '127.0.0.1');
  t.after(() => silent.destroy());
  silent.on('error', () => {});
  silent.resume();
  await within(new Promise((r) => silent.on('close', r)), { what: 'a connection that sends nothing to be closed', timeoutMs: 4000 });
});

test('oversized headers get 431; unknown methods 405; CONNECT and TRACE never echo', async (t) => {
  const { root } = hostileTree(t);
  const { port } = await startServer(t, { root });
  const big = await rawHttp(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20000)}\r\nConnection: close\r\n\r\n`);
  assert.equal(big.status, 431);
  for (const method of ['DELETE', 'TRACE', 'PATCH', 'PROPFIND', 'PUT', 'POST']) {
    const res = await rawHttp(port, `${method} /docs/a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nX-Echo: marker\r\nConnection: close\r\n\r\n`);
    assert.equal(res.status, 405, method);
    assert.ok(!res.raw.toString().includes('marker'), `${method} echoes nothing`);
  }
  const connect = await rawHttp(port, `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`, { ms: 500 });
  assert.ok(!connect.raw.toString().includes('200'), 'no tunnel');
});

test('ETag carries size and time, not the inode', async (t) => {
  const { root } = hostileTree(t);
  const { port } = await startServer(t, { root });
  const res = await rawGet(port, '/docs/a.txt');
  const st = statSync(join(root, 'docs', 'a.txt'));
  assert.equal(res.headers.etag, `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`);
  assert.ok(!res.headers.etag.includes(st.ino.toString(16)) && !res.headers.etag.includes(String(st.ino)));
});

test('uploads never land outside the root, through links, or as dotfiles, and refuse cross-origin writes', async (t) => {
  const { base, root } = hostileTree(t);
  // even with --follow-symlinks, writes stay inside
  const { port } = await startServer(t, { root, upload: true, followSymlinks: true, maxUploadBytes: 1000 });
  const put = (target, body, headers = '') => rawHttp(port, `PUT ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}Connection: close\r\n\r\n${body}`);
  for (const [target, status] of [
    ['/../evil.txt', 403], ['/%2e%2e/evil.txt', 403], ['/..%2fevil.txt', 403], ['/docs/..%5c..%5cevil.txt', 403],
    ['/dirlink-out/evil.txt', 403], ['/.git/hooks/post-commit', 404], ['/gitdir/evil', 404], ['/.htaccess', 404], ['/nowhere/evil.txt', 409],
    ['/docs/', 405], ['/evil%00.txt', 400],
  ]) {
    const res = await put(target, 'EVIL');
    assert.equal(res.status, status, target);
  }
  assert.ok(!existsSync(join(base, 'evil.txt')));
  assert.ok(!existsSync(join(base, 'pub-secret', 'evil.txt')));
  assert.deepEqual(readdirSync(join(base, 'pub-secret')), ['key.txt']);

  // PUT over a symlink replaces the link; it does not write through it
  const replaced = await put('/link-out', 'replaced');
  assert.equal(replaced.status, 204);
  assert.equal(readFileSync(join(base, 'secret.txt'), 'utf8'), SECRET);
  assert.ok(!lstatSync(join(root, 'link-out')).isSymbolicLink());

  // too large: 413, and no temporary file left behind
  const large = await put('/docs/big.txt', 'x'.repeat(2000));
  assert.equal(large.status, 413);
  assert.deepEqual(readdirSync(join(root, 'docs')).sort(), ['a.txt']);

  // multipart file names cannot climb, hide or overwrite
  const boundary = 'hostileBoundary';
  const form = (filename, extra = '') => rawHttp(port, [
    `POST /docs/ HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Content-Type: multipart/form-data; boundary=${boundary}`,
    ...(extra ? [extra] : []), 'Connection: close',
    `Content-Length: ${Buffer.byteLength(`--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="${filename}"\r\n\r\nDATA\r\n--${boundary}--\r\n`)}`,
    '', `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="${filename}"\r\n\r\nDATA\r\n--${boundary}--\r\n`,
  ].join('\r\n'));
  const climbing = await form('../../escaped.txt');
  assert.equal(climbing.status, 201);
  assert.equal(climbing.body.toString(), 'escaped.txt\n');
  assert.ok(existsSync(join(root, 'docs', 'escaped.txt')));
  assert.ok(!existsSync(join(base, 'escaped.txt')));
  assert.equal((await form('.htaccess')).status, 403);
  assert.equal((await form('a.txt')).body.toString(), 'a (1).txt\n', 'no overwrite');
  assert.equal(readFileSync(join(root, 'docs', 'a.txt'), 'utf8'), 'public a');
  assert.equal((await form('x.txt', 'Origin: http://evil.example')).status, 403);
  assert.equal((await form('x.txt', 'Sec-Fetch-Site: cross-site')).status, 403);
  assert.equal((await form('x.txt', 'Origin: null')).status, 403);
  assert.ok(!existsSync(join(root, 'docs', 'x.txt')));
  const postOut = await rawHttp(port, `POST /dirlink-out/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  assert.equal(postOut.status, 403);

  // uploaded HTML runs sandboxed, in an opaque origin
  await put('/docs/page.html', '<script>steal()</script>');
  const page = await rawGet(port, '/docs/page.html');
  assert.equal(page.headers['content-security-policy'], 'sandbox');
  assert.ok(!readdirSync(join(root, 'docs')).some((n) => n.startsWith('.sockit-upload-')), 'no temporary files left');
});

test('a client that stops reading is disconnected after the idle timeout', async (t) => {
  const { root } = hostileTree(t);
  writeFileSync(join(root, 'huge.bin'), Buffer.alloc(48 * 1024 * 1024, 1));
  const { port, server } = await startServer(t, { root, idleTimeoutMs: 500 });
  const stuck = net.connect(port, '127.0.0.1', () => stuck.write(`GET /huge.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
  t.after(() => stuck.destroy());
  stuck.on('error', () => {});
  stuck.pause(); // reads nothing: kernel buffers fill and the server's writes stall
  const done = await waitFor(() => server.events.find((e) => e.event === 'request' && e.url === '/huge.bin'), { what: 'the stalled answer to be given up' });
  assert.ok(done.bytes < 48 * 1024 * 1024, `sent ${done.bytes} bytes`);
  assert.equal(server.stats.active, 0);
});
