// Path rules of the static server, without a socket: decoding once, containment, dotfiles, symlinks.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeRequestPath, dotfileRefusal, hiddenSegment, isInside, isRefusal, resolveForWrite, resolveInRoot, servedRoot,
} from '../../dist/http/resolve-path.js';
import { tmpDir } from '../helpers/index.mjs';

test('decodes a path once into segments, keeping the query and the trailing slash', () => {
  assert.deepEqual(decodeRequestPath('/a/b%20c/?x=1'), { segments: ['a', 'b c'], trailingSlash: true, query: '?x=1', rawPath: '/a/b%20c/' });
  assert.deepEqual(decodeRequestPath('//a/./b').segments, ['a', 'b']);
  assert.deepEqual(decodeRequestPath('/').segments, []);
  // double encoding stays encoded once: %252e%252e is the literal name %2e%2e, not ..
  assert.deepEqual(decodeRequestPath('/%252e%252e/%252e%252e/etc/passwd').segments, ['%2e%2e', '%2e%2e', 'etc', 'passwd']);
  // absolute-form request targets: only the path counts
  assert.deepEqual(decodeRequestPath('http://evil.example/x/y?q').segments, ['x', 'y']);
});

test('refuses traversal, NUL, backslashes and bad encodings with the right status', () => {
  const cases = [
    ['/../etc/passwd', 403],
    ['/a/../../etc/passwd', 403],
    ['/%2e%2e/%2e%2e/etc/passwd', 403],
    ['/%2E%2E%2Fetc%2Fpasswd', 403],
    ['/..%2f..%2fetc/passwd', 403],
    ['/..%5c..%5cetc%5cpasswd', 403],
    ['/a\\..\\b', 403],
    ['/a%00.txt', 400],
    ['/%zz', 400],
    ['/%c0%ae%c0%ae/etc/passwd', 400], // overlong UTF-8 for '.': invalid, never decoded to ..
    ['/%ff', 400],
    ['etc/passwd', 400],
    ['*', 400],
    ['/a#frag', 400],
  ];
  for (const [target, status] of cases) {
    const r = decodeRequestPath(target);
    assert.ok(isRefusal(r), `${target} must be refused`);
    assert.equal(r.status, status, target);
  }
});

test('Windows rules: drive letters, alternate data streams, trailing dots and spaces', () => {
  for (const target of ['/C:/Windows/win.ini', '/secret.txt::$DATA', '/secret.txt.', '/secret.txt%20', '/a/c:']) {
    const r = decodeRequestPath(target, { windows: true });
    assert.ok(isRefusal(r) && r.status === 403, target);
  }
  assert.ok(!isRefusal(decodeRequestPath('/secret.txt.', { windows: false })));
});

test('containment uses path.relative: a sibling whose name extends the root is outside', () => {
  assert.equal(isInside('/srv/pub', '/srv/pub'), true);
  assert.equal(isInside('/srv/pub', '/srv/pub/a/b'), true);
  assert.equal(isInside('/srv/pub', '/srv/pub/..foo'), true);
  assert.equal(isInside('/srv/pub', '/srv/pub-secret/x'), false);
  assert.equal(isInside('/srv/pub', '/srv/pubx'), false);
  assert.equal(isInside('/srv/pub', '/srv'), false);
  assert.equal(isInside('/srv/pub', '/etc/passwd'), false);
});

test('dotfiles: hidden anywhere in the path, /.well-known/ excepted; 404 by default, 403 when denied', () => {
  assert.equal(hiddenSegment(['.git', 'config']), 0);
  assert.equal(hiddenSegment(['a', '.env']), 1);
  assert.equal(hiddenSegment(['.well-known', 'security.txt']), -1);
  assert.equal(hiddenSegment(['a', '.well-known']), 1);
  assert.equal(dotfileRefusal(['.env'], 'ignore').status, 404);
  assert.equal(dotfileRefusal(['.env'], 'deny').status, 403);
  assert.equal(dotfileRefusal(['.env'], 'allow'), undefined);
});

test('symlinks: inside the root followed, outside refused unless asked, into a dotfile hidden', (t) => {
  const base = tmpDir(t);
  const root = join(base, 'pub');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(base, 'pub-secret'));
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, 'sub', 'a.txt'), 'a');
  writeFileSync(join(root, '.git', 'config'), 'secret');
  writeFileSync(join(base, 'pub-secret', 'key'), 'secret');
  symlinkSync(join(root, 'sub', 'a.txt'), join(root, 'inside'));
  symlinkSync(join(base, 'pub-secret', 'key'), join(root, 'outside'));
  symlinkSync(join(base, 'pub-secret'), join(root, 'outdir'));
  symlinkSync('.git/config', join(root, 'gitlink'));
  const served = servedRoot(root);

  assert.equal(resolveInRoot(served, ['inside']).real, join(served.realRoot, 'sub', 'a.txt'));
  assert.equal(resolveInRoot(served, ['outside']).status, 403);
  assert.equal(resolveInRoot(served, ['outdir', 'key']).status, 403);
  assert.ok(!isRefusal(resolveInRoot(served, ['outside'], { followSymlinks: true })));
  assert.equal(resolveInRoot(served, ['gitlink']).status, 404);
  assert.equal(resolveInRoot(served, ['missing']).status, 404);
  assert.equal(resolveInRoot(served, ['sub', 'a.txt', 'x']).status, 404);

  // writes never go through a link that leaves, even with --follow-symlinks
  assert.equal(resolveForWrite(served, ['outdir', 'new.txt']).status, 403);
  assert.equal(resolveForWrite(served, ['nowhere', 'new.txt']).status, 409);
  assert.deepEqual(resolveForWrite(served, ['sub', 'new.txt']), { dir: join(served.realRoot, 'sub'), name: 'new.txt' });
});
