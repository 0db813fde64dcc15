// The static server as curl sees it: headers, ranges, compression, auth, TLS, redirects, uploads, raw traversal.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTlsMaterial } from '../../dist/index.js';
import { skipUnless, run, tmpDir } from '../helpers/index.mjs';
import { tmpTree, startServer } from '../helpers/http.mjs';

// a skip that says why on a developer machine; with CI=true a missing curl fails this file
const skip = skipUnless('curl');
const curl = (...args) => run('curl', ['-sS', '--max-time', '10', ...args]);

test('curl: HEAD, ranges, If-Modified-Since, redirects', { skip }, async (t) => {
  const root = tmpTree(t, { 'hello.txt': 'hello, curl', 'dir/index.html': 'in dir' });
  const { base } = await startServer(t, { root });
  const head = await curl('-I', `${base}/hello.txt`);
  assert.match(head.stdout, /^HTTP\/1\.1 200 OK/);
  assert.match(head.stdout, /content-length: 11/i);
  assert.match(head.stdout, /content-type: text\/plain; charset=utf-8/i);
  assert.equal((await curl('-r', '0-4', `${base}/hello.txt`)).stdout, 'hello');
  assert.equal((await curl('-r', '-4', `${base}/hello.txt`)).stdout, 'curl');
  const since = await curl('-o', '/dev/null', '-w', '%{http_code}', '-z', 'Jan 1 2100', `${base}/hello.txt`);
  assert.equal(since.stdout, '304');
  const redirect = await curl('-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', `${base}/dir`);
  assert.equal(redirect.stdout, `301 ${base}/dir/`);
  assert.equal((await curl('-L', `${base}/dir`)).stdout, 'in dir');
});

test('curl: --compressed gets gzip or brotli and decodes it', { skip }, async (t) => {
  const text = 'compress me please. '.repeat(500);
  const root = tmpTree(t, { 'page.html': text });
  const { base } = await startServer(t, { root });
  const res = await curl('--compressed', '-D', '-', `${base}/page.html`);
  assert.match(res.stdout, /content-encoding: (gzip|br)/i);
  assert.match(res.stdout, /vary: Accept-Encoding/i);
  assert.ok(res.stdout.endsWith(text));
});

test('curl: Basic auth and HTTPS with a self-signed certificate', { skip }, async (t) => {
  const root = tmpTree(t, { 'a.txt': 'secret stuff' });
  const material = await loadTlsMaterial({});
  const { port } = await startServer(t, { root, auth: 'ann:pw', tls: { key: material.key, cert: material.cert } });
  const url = `https://127.0.0.1:${port}/a.txt`;
  assert.equal((await curl('-k', '-o', '/dev/null', '-w', '%{http_code}', url)).stdout, '401');
  assert.equal((await curl('-k', '-u', 'ann:wrong', '-o', '/dev/null', '-w', '%{http_code}', url)).stdout, '401');
  assert.equal((await curl('-k', '-u', 'ann:pw', url)).stdout, 'secret stuff');
  const verified = await curl(url);
  assert.notEqual(verified.code, 0, 'an unverified certificate is not silently trusted');
});

test('curl --path-as-is: traversal reaches nothing outside', { skip }, async (t) => {
  const base = tmpDir(t);
  const root = join(base, 'pub');
  writeFileSync(join(base, 'secret.txt'), 'OUTSIDE');
  mkdirSync(root);
  writeFileSync(join(root, 'a.txt'), 'a');
  const server = await startServer(t, { root });
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/a/../../secret.txt']) {
    const res = await curl('--path-as-is', '-w', '\n%{http_code}', `${server.base}${path}`);
    assert.ok(!res.stdout.includes('OUTSIDE'), path);
    assert.match(res.stdout, /\n(400|403|404)$/, path);
  }
});

test('curl: uploads with -T and -F', { skip }, async (t) => {
  const root = tmpTree(t, { 'inbox/.keep': '' });
  const src = tmpTree(t, { 'report.txt': 'quarterly numbers' });
  const { base } = await startServer(t, { root, upload: true });
  const put = await curl('-T', join(src, 'report.txt'), '-o', '/dev/null', '-w', '%{http_code}', `${base}/inbox/report.txt`);
  assert.equal(put.stdout, '201');
  assert.equal(readFileSync(join(root, 'inbox', 'report.txt'), 'utf8'), 'quarterly numbers');
  const form = await curl('-F', `file=@${join(src, 'report.txt')};filename=form.txt`, `${base}/inbox/`);
  assert.equal(form.stdout, 'form.txt\n');
  assert.equal(readFileSync(join(root, 'inbox', 'form.txt'), 'utf8'), 'quarterly numbers');
});
