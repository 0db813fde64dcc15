// sockit ifaces: readable and JSON views of this machine's interfaces.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/index.mjs';

test('ifaces --json: one object per interface, loopback internal with 127.0.0.1/8', async () => {
  const r = await runCli(['ifaces', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const list = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(list.every((i) => i.event === 'interface' && typeof i.name === 'string' && Array.isArray(i.addresses)));
  const lo = list.find((i) => i.addresses.some((a) => a.cidr === '127.0.0.1/8'));
  assert.ok(lo, r.stdout);
  assert.equal(lo.internal, true);
  assert.equal(lo.mac, undefined);
});

test('ifaces: readable lines with inet/inet6 in CIDR form', async () => {
  const r = await runCli(['ifaces']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\S+ .*internal \(loopback: this machine only\)/m);
  assert.match(r.stdout, /^    inet  127\.0\.0\.1\/8  loopback$/m);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
});
