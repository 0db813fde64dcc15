// What the page is built from: its own code, the browser-safe parts of src/wire, the error classes, the protocol types, Preact and the CRCs; nothing from node: or the sessions.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { bundleForBrowser } from './page-code.mjs';

const ALLOWED = [
  /^src\/ui\//,
  /^src\/wire\/(hex|format-bytes|endpoint|encoding-name|message|checksums|rules|ws-url|faults|quick|event-batch)\.ts$/,
  /^src\/errors\.ts$/,
  /^src\/bridge\/protocol(-[a-z]+)?\.ts$/,
  /^node_modules\/(preact|crc)\//,
];

test('the page takes in only what a browser can run', async () => {
  const { inputs } = await bundleForBrowser(`import './src/ui/main.tsx';`);
  const outside = inputs.filter((f) => !ALLOWED.some((re) => re.test(f)));
  assert.deepEqual(outside, [], 'files the page should not be built from');
  for (const shared of ['src/wire/event-batch.ts', 'src/wire/hex.ts', 'src/wire/format-bytes.ts', 'src/wire/endpoint.ts', 'src/wire/encoding-name.ts', 'src/wire/message.ts', 'src/wire/rules.ts']) {
    assert.ok(inputs.includes(shared), `the page uses ${shared} rather than a copy of its own`);
  }
});

test('a node: import anywhere in the page fails its build', async () => {
  await assert.rejects(bundleForBrowser(`import './src/ui/validate.ts'; import { isIP } from 'node:net'; console.log(isIP);`), /Could not resolve "node:net"/);
});
