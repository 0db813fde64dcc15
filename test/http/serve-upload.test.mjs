// Uploads through real HTTP: PUT and multipart POST, off by default, streamed to disk intact.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpTree, startServer, patternBytes } from '../helpers/http.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');

test('uploads are off by default', async (t) => {
  const root = tmpTree(t, { 'a.txt': 'a' });
  const { base } = await startServer(t, { root });
  assert.equal((await fetch(base + '/b.txt', { method: 'PUT', body: 'b' })).status, 405);
  const form = new FormData();
  form.append('file', new Blob(['x']), 'x.txt');
  assert.equal((await fetch(base + '/', { method: 'POST', body: form })).status, 405);
  assert.ok(!(await (await fetch(base + '/')).text()).includes('<form'));
  assert.deepEqual(readdirSync(root), ['a.txt']);
});

test('PUT creates (201) and replaces (204) a file, and the next GET sees the new bytes', async (t) => {
  const root = tmpTree(t, { 'docs/old.txt': 'old' });
  const { base } = await startServer(t, { root, upload: true });
  const created = await fetch(base + '/docs/new.txt', { method: 'PUT', body: 'first' });
  assert.equal(created.status, 201);
  assert.equal(readFileSync(join(root, 'docs', 'new.txt'), 'utf8'), 'first');
  assert.equal(await (await fetch(base + '/docs/new.txt')).text(), 'first');
  const replaced = await fetch(base + '/docs/new.txt', { method: 'PUT', body: 'second, longer' });
  assert.equal(replaced.status, 204);
  assert.equal(await (await fetch(base + '/docs/new.txt')).text(), 'second, longer');
  assert.equal((await fetch(base + '/missing/x.txt', { method: 'PUT', body: 'x' })).status, 409);
  const folder = await fetch(base + '/docs', { method: 'PUT', body: 'x' });
  assert.equal(folder.status, 409, 'a folder is not replaced by a file');
  // its body unread, the connection ends with the answer: the client is told so, or it would send the next request on it
  assert.equal(folder.headers.get('connection'), 'close');

  const big = patternBytes(5 * 1024 * 1024 + 1);
  assert.equal((await fetch(base + '/big.bin', { method: 'PUT', body: big })).status, 201);
  assert.equal(sha(readFileSync(join(root, 'big.bin'))), sha(big));
});

test('multipart POST stores every file of a form; a browser is sent back to the listing', async (t) => {
  const root = tmpTree(t, { 'inbox/keep.txt': 'keep' });
  const { base } = await startServer(t, { root, upload: true });
  const listing = await (await fetch(base + '/inbox/')).text();
  assert.match(listing, /<form method="post" enctype="multipart\/form-data">/);

  const big = patternBytes(3 * 1024 * 1024 + 5);
  const form = new FormData();
  form.append('note', 'a plain field is ignored');
  form.append('file', new Blob(['hello']), 'hello.txt');
  form.append('file', new Blob([big]), '世界 & <b>.bin');
  const res = await fetch(base + '/inbox/', { method: 'POST', body: form });
  assert.equal(res.status, 201);
  assert.deepEqual((await res.text()).trim().split('\n'), ['hello.txt', '世界 & <b>.bin']);
  assert.equal(readFileSync(join(root, 'inbox', 'hello.txt'), 'utf8'), 'hello');
  assert.equal(sha(readFileSync(join(root, 'inbox', '世界 & <b>.bin'))), sha(big));

  const again = new FormData();
  again.append('file', new Blob(['other']), 'hello.txt');
  const browser = await fetch(base + '/inbox/', { method: 'POST', body: again, headers: { accept: 'text/html' }, redirect: 'manual' });
  assert.equal(browser.status, 303);
  assert.equal(browser.headers.get('location'), './');
  assert.equal(readFileSync(join(root, 'inbox', 'hello (1).txt'), 'utf8'), 'other');
  assert.equal((await fetch(base + '/inbox/', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);
  assert.equal((await fetch(base + '/inbox/keep.txt', { method: 'POST', body: again })).status, 405);
  assert.ok(!readdirSync(join(root, 'inbox')).some((n) => n.startsWith('.')), 'no temporary files left');
});
