// TLS on either side of the relay: decrypted bytes shown, the target's certificate described and verified, half-close through TLS, openssl on both ends.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { loadTlsMaterial } from '../../dist/index.js';
import { closedPort, requirePeer, run, spawnCli, waitFor, within } from '../helpers/index.mjs';
import { makeCa } from '../helpers/tls.mjs';
import { collect, echoTarget, eventMatching, proxyTo } from '../helpers/relay.mjs';

/** A Node TLS target with the given certificate: echoes, answers FIN with FIN. */
async function tlsTarget(t, { cert, key }) {
  const server = tls.createServer({ cert: readFileSync(cert), key: readFileSync(key), allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (b) => s.write(b));
    s.on('end', () => s.end());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return server.address().port;
}

function tlsConnect(t, port, options = {}) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', allowHalfOpen: true, rejectUnauthorized: false, ...options }, () => resolve(s));
    s.once('error', reject);
    t.after(() => s.destroy());
  });
}

/** The SHA-256 fingerprint of a PEM certificate as openssl prints it (colon-separated hex). */
async function fingerprint(certPath) {
  const r = await run('openssl', ['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256']);
  return /=([0-9A-F:]+)/.exec(r.stdout)[1];
}

test('--tls: clients speak TLS to the proxy, which shows the decrypted bytes and relays them in the clear', async (t) => {
  const echo = await echoTarget(t);
  const material = await loadTlsMaterial({});
  const { events, port } = await proxyTo(t, echo.port, { tls: { key: material.key, cert: material.cert }, frame: { kind: 'line' } });
  const c = await tlsConnect(t, port);
  const got = collect(c);
  c.end('secret line\n');
  // a half-close through TLS: the answer still arrives after the client's close_notify and FIN
  assert.equal((await got.end()).toString(), 'secret line\n');
  const up = await eventMatching(events, (e) => e.event === 'data' && e.direction === 'up', 'the decrypted line');
  assert.equal(up.text, 'secret line');
  const close = await eventMatching(events, (e) => e.event === 'close', 'close');
  assert.equal(close.closedBy, 'client');
});

test('--tls-target: the target\'s certificate is verified against --ca and described: subject, issuer, validity, fingerprint, protocol, cipher', async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const pki = await makeCa(t);
  const targetPort = await tlsTarget(t, pki.servers.server);
  const { events, port } = await proxyTo(t, targetPort, { targetHost: 'localhost', targetTls: { ca: readFileSync(pki.ca) } });
  // the client side is plain TCP here
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => sock.destroy());
  const got = collect(sock);
  sock.end('over TLS to the target');
  assert.equal((await got.end()).toString(), 'over TLS to the target');
  const tgt = await eventMatching(events, (e) => e.event === 'target', 'the target');
  assert.equal(tgt.tls.subject, 'CN=localhost');
  assert.equal(tgt.tls.issuer, 'CN=sockit test CA');
  assert.equal(tgt.tls.fingerprint256, await fingerprint(pki.servers.server.cert));
  assert.equal(tgt.tls.authorized, true);
  assert.match(tgt.tls.protocol, /^TLSv1\.[23]$/);
  assert.ok(tgt.tls.cipher.length > 0);
  assert.ok(Date.parse(tgt.tls.validFrom) < Date.now() && Date.parse(tgt.tls.validTo) > Date.now());
  assert.match(tgt.tls.altNames, /DNS:localhost/);
});

test('--tls-target: an untrusted certificate or a wrong name closes the client, saying why; --insecure accepts it', async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const pki = await makeCa(t);
  const targetPort = await tlsTarget(t, pki.servers.server);
  const dial = (port) => collect(net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }));

  const untrusted = await proxyTo(t, targetPort, { targetTls: {} });
  await dial(untrusted.port).end();
  const err = await eventMatching(untrusted.events, (e) => e.event === 'error', 'the TLS error');
  assert.equal(err.code, 'SOCKIT_ERR_TLS');
  assert.match(err.message, /is not trusted/);
  assert.match((await eventMatching(untrusted.events, (e) => e.event === 'close', 'close')).reason, /not trusted/);

  const wrongName = await proxyTo(t, targetPort, { targetTls: { ca: readFileSync(pki.ca), servername: 'other.test' } });
  await dial(wrongName.port).end();
  const e2 = await eventMatching(wrongName.events, (e) => e.event === 'error', 'the name error');
  assert.match(e2.message, /other\.test/);

  const insecure = await proxyTo(t, targetPort, { targetTls: { rejectUnauthorized: false } });
  const s = net.connect({ port: insecure.port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => s.destroy());
  const got = collect(s);
  s.end('through anyway');
  assert.equal((await got.end()).toString(), 'through anyway');
  const tgt = await eventMatching(insecure.events, (e) => e.event === 'target', 'the target');
  assert.equal(tgt.tls.authorized, false);
  assert.match(tgt.tls.authorizationError, /UNABLE_TO_VERIFY|self.signed|unable to/i);
});

test('openssl s_client through sockit proxy --tls --tls-target to openssl s_server', async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const pki = await makeCa(t);
  const serverPort = await closedPort();
  const server = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${serverPort}`, '-cert', pki.servers.server.cert, '-key', pki.servers.server.key, '-rev', '-quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => server.kill());
  await waitFor(() => new Promise((r) => net.connect(serverPort, '127.0.0.1').on('connect', function () { this.destroy(); r(true); }).on('error', () => r(false))), { what: 'openssl s_server to listen' });
  const p = spawnCli(t, ['proxy', '0', `127.0.0.1:${serverPort}`, '-H', '127.0.0.1', '--json', '--tls', '--cert', pki.servers.server.cert, '--key', pki.servers.server.key,
    '--tls-target', '--ca', pki.ca, '--servername', 'localhost', '--frame', 'line']);
  const port = await p.port();
  const client = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', pki.ca, '-servername', 'localhost', '-quiet', '-no_ign_eof', '-verify_return_error'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => client.kill());
  let out = '';
  client.stdout.on('data', (b) => (out += b));
  client.stdin.write('hello tls\n');
  await waitFor(() => out.includes('slt olleh'), { what: 'the reversed line back through both TLS legs', detail: () => out });
  const up = await p.waitEvent((e) => e.event === 'data' && e.direction === 'up');
  assert.equal(up.text, 'hello tls');
  const down = await p.waitEvent((e) => e.event === 'data' && e.direction === 'down');
  assert.equal(down.text, 'slt olleh');
  const tgt = await p.waitEvent((e) => e.event === 'target');
  assert.equal(tgt.tls.subject, 'CN=localhost');
  assert.equal(tgt.tls.authorized, true);
  client.stdin.end();
  await within(new Promise((r) => client.on('exit', r)), { what: 's_client to exit' });
});

test('tcp connect --tls prints the server certificate: subject, issuer, validity, fingerprint, protocol and cipher', async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const pki = await makeCa(t);
  const port = await tlsTarget(t, pki.servers.server);
  const r = await run(process.execPath, [new URL('../../dist/cli/main.js', import.meta.url).pathname, 'tcp', 'connect', 'localhost', String(port), '--tls', '--ca', pki.ca, '--send', 'x', '--wait', '300']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /subject CN=localhost/);
  assert.match(r.stderr, /issuer CN=sockit test CA/);
  assert.match(r.stderr, /valid \d{4}-\d\d-\d\dT.* to \d{4}-/);
  assert.match(r.stderr, new RegExp(`sha256 ${await fingerprint(pki.servers.server.cert)}`));
  assert.match(r.stderr, /TLSv1\.[23], \S+, verified/);
  const json = await run(process.execPath, [new URL('../../dist/cli/main.js', import.meta.url).pathname, 'tcp', 'connect', 'localhost', String(port), '--tls', '--ca', pki.ca, '--send', 'x', '--wait', '300', '--json']);
  const connect = json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.event === 'connect');
  assert.equal(connect.tls.issuer, 'CN=sockit test CA');
  assert.equal(connect.tls.authorized, true);
});
