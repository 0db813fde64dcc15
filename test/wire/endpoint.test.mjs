import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { parseSize, UsageError } from '../../dist/index.js';

test('sizes with units', () => {
  assert.equal(parseSize('64', '--size'), 64);
  assert.equal(parseSize('16k', '--size'), 16 * 1024);
  assert.equal(parseSize('16MiB', '--size'), 16 * 1024 * 1024);
  assert.equal(parseSize('1.5 kb', '--size'), 1536);
});

test('a unit named like an inherited property is refused, not read from the prototype', () => {
  for (const unit of [...Object.getOwnPropertyNames(Object.prototype), 'constructor', '__proto__']) {
    assert.throws(() => parseSize(`1${unit}`, '--size'), (e) => e instanceof UsageError && /--size must be a size/.test(e.message), unit);
  }
});
