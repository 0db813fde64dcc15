// Quick messages and sequences read back from JSON: what passes is plain data, what fails is named.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { checkQuickMessages, checkSequences, UsageError } from '../../dist/index.js';

test('quick messages and sequences survive a JSON round trip as they are', () => {
  const quick = [{ id: 'q1', label: 'AT', mode: 'text', text: 'AT', eol: 'crlf', escapes: false }];
  const seqs = [{ id: 's1', label: 'boot', steps: [{ quick: 'q1', delayMs: 200 }, { message: { mode: 'hex', text: '01 02', eol: 'none', escapes: false }, delayMs: 0 }] }];
  assert.deepEqual(checkQuickMessages(JSON.parse(JSON.stringify(quick))), quick);
  assert.deepEqual(checkSequences(JSON.parse(JSON.stringify(seqs))), seqs);
});

test('a bad entry is refused with where it is', () => {
  assert.throws(() => checkQuickMessages([{ id: 'q', label: 'x', mode: 'bin', text: '' }]), (e) => e instanceof UsageError && /quickMessages\[0\]: mode must be text or hex/.test(e.message));
  assert.throws(() => checkSequences([{ id: 's', label: 'x', steps: [{ quick: 'q', delayMs: -1 }] }]), /sequences\[0\]\.steps\[0\]: delayMs must be a whole number/);
  assert.throws(() => checkSequences([{ id: 's', label: 'x', steps: [{ delayMs: 5 }] }]), /steps\[0\]\.message: must be an object/);
  assert.throws(() => checkSequences({}), /sequences: must be a list/);
});
