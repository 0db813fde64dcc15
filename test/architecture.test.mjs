// The layering in docs/architecture.md, checked on every import in src/.
import test from './helpers/test.mjs';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const SRC = new URL('../src/', import.meta.url).pathname;
const files = fs.readdirSync(SRC, { recursive: true }).map(String).filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'));
const layerOf = (file) => (file.includes('/') ? file.split('/')[0] : file.replace(/\.ts$/, ''));

// what each layer may import (besides itself)
const BELOW = {
  errors: [],
  wire: ['errors'],
  'system-errors': ['errors', 'wire'],
  ports: ['errors', 'system-errors', 'wire'],
  load: ['errors', 'system-errors', 'wire', 'ports', 'net'],
  net: ['errors', 'system-errors', 'wire', 'ports'],
  ws: ['errors', 'system-errors', 'wire', 'ports', 'net', 'http'],
  http: ['errors', 'system-errors', 'wire', 'ports', 'net'],
  capture: ['errors', 'system-errors', 'wire', 'ports', 'net', 'http', 'ws'],
  scenario: ['errors', 'system-errors', 'wire', 'ports', 'net', 'http', 'ws', 'capture'],
  bridge: ['errors', 'system-errors', 'wire', 'ports', 'load', 'net', 'http', 'ws', 'capture', 'scenario'],
  workspace: ['errors', 'system-errors', 'wire', 'ports', 'load', 'net', 'http', 'ws', 'capture', 'scenario', 'bridge'],
  cli: ['errors', 'system-errors', 'wire', 'ports', 'load', 'net', 'http', 'ws', 'capture', 'scenario', 'bridge', 'workspace'],
  ui: ['errors', 'wire', 'bridge'],
  index: ['errors', 'system-errors', 'wire', 'ports', 'load', 'net', 'http', 'ws', 'capture', 'scenario', 'bridge', 'workspace'],
};
const PAGE_SAFE_WIRE = /^wire\/(hex|message|checksums|rules|endpoint|format-bytes|encoding-name|ws-url|faults|quick|events|event-batch)\.ts$/;

function importsOf(file) {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
}

function resolve(file, spec) {
  return path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts');
}

test('every import in src/ follows the layering of docs/architecture.md', () => {
  const wrong = [];
  for (const file of files) {
    const layer = layerOf(file);
    assert.ok(layer in BELOW, `${file}: its folder is not in docs/architecture.md`);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) {
        if (spec.startsWith('node:') && (layer === 'ui' || PAGE_SAFE_WIRE.test(file))) wrong.push(`${file} imports ${spec} (page code must run in a browser)`);
        continue;
      }
      const target = resolve(file, spec);
      const to = layerOf(target.replace(/\.tsx?$/, (e) => e));
      if (to === layer) {
        if (PAGE_SAFE_WIRE.test(file) && !PAGE_SAFE_WIRE.test(target)) wrong.push(`${file} imports ${target} (page-safe wire files import only page-safe ones)`);
        continue;
      }
      if (!BELOW[layer].includes(to)) wrong.push(`${file} imports ${target} (${layer} may not import ${to})`);
      if (layer === 'ui' && to === 'wire' && !PAGE_SAFE_WIRE.test(target)) wrong.push(`${file} imports ${target}, which is not page-safe`);
      if (layer === 'ui' && to === 'bridge' && !/^bridge\/protocol(-[a-z]+)?\.ts$/.test(target)) wrong.push(`${file} imports ${target}; the page takes only the protocol's types`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no source file is over 450 lines', () => {
  const long = files.filter((f) => fs.readFileSync(path.join(SRC, f), 'utf8').split('\n').length > 450);
  assert.deepEqual(long, []);
});
