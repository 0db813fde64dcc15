// TLS from the command line with a private CA made by openssl: verified clients, a name that does not match, --cert/--key servers, half-close over TLS.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, runCli, run, requirePeer, tmpDir, OFFLINE } from '../helpers/index.mjs';
import { tmpTree } from '../helpers/http.mjs';
import { makeCa } from '../helpers/tls.mjs';

const cli = (args, options = {}) => runCli(args, { ...options, env: { ...OFFLINE, ...options.env } });

/** A TLS server on 127.0.0.1:0 with the given PEM files; closed when the test ends. */
async function tlsServer(t, { cert, key }, onConnection) {
  const sockets = new Set();
  const server = tls.createServer({ cert: readFileSync(cert), key: readFileSync(key), allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return server.address().port;
}

test('tcp listen --cert/--key serves a CA-signed certificate; tcp connect --ca and openssl verify it', async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const { ca, servers } = await makeCa(t);
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--cert', servers.server.cert, '--key', servers.server.key, '--reply', 'verified {data}', '--close', '--json']);
  const port = await server.port();
  // by address and by name: the certificate carries both
  const hosts = ['127.0.0.1', 'localhost'];
  // without the CA the same certificate is not trusted
  const [strict, ...verified] = await Promise.all([
    cli(['tcp', 'connect', '127.0.0.1', String(port), '--tls', '--send', 'hi']),
    ...hosts.map((host) => cli(['tcp', 'connect', host, String(port), '--ca', ca, '--send', 'hi', '--wait', '5000'])),
  ]);
  verified.forEach((r, i) => {
    assert.equal(r.code, 0, `${hosts[i]}: ${r.stderr}`);
    assert.equal(r.stdout, 'verified hi');
  });
  assert.equal(strict.code, 4);
  assert.match(strict.stderr, /TLS certificate of 127\.0\.0\.1:\d+ is not trusted/);
  const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', ca, '-verify_return_error', '-verify_ip', '127.0.0.1', '-quiet'], { input: 'from openssl\n' });
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /verified from openssl/);
});

test('a certificate for another name: exit 4, one sentence naming the address and the mismatch', async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const { ca, servers } = await makeCa(t, [{ name: 'other', dns: ['sockit.test'] }]);
  const port = await tlsServer(t, servers.other, (s) => s.end('should never be read'));
  const cases = [['127.0.0.1', /IP: 127\.0\.0\.1 is not in the cert's list/], ['localhost', /Host: localhost\. is not in the cert's altnames: DNS:sockit\.test/]];
  const runs = await Promise.all(cases.map(([host]) => cli(['tcp', 'connect', host, String(port), '--ca', ca, '--send', 'x'])));
  for (const [i, [host, shown]] of cases.entries()) {
    const r = runs[i];
    assert.equal(r.code, 4, `${host}: ${r.stderr}`);
    const [first] = r.stderr.split('\n');
    assert.match(first, new RegExp(`^error: the TLS certificate of ${host.replace(/\./g, '\\.')}:${port} is not trusted: Hostname/IP does not match certificate's altnames`));
    assert.match(first, shown);
    assert.match(first, /\[SOCKIT_ERR_TLS\]$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '', 'nothing from the server is shown');
  }
});

test('--ca names a file that cannot be read: usage error, exit 2', async (t) => {
  const missing = join(tmpDir(t), 'no-such-ca.pem');
  const r = await cli(['tcp', 'connect', '127.0.0.1', '9', '--ca', missing, '--send', 'x']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`--ca: cannot read '${missing.replace(/[.]/g, '\\.')}'`));
});

test('serve --cert/--key: curl verifies the server with the CA, and refuses it without', async (t) => {
  if (!requirePeer(t, 'openssl') || !requirePeer(t, 'curl')) return;
  const { ca, servers } = await makeCa(t);
  const root = tmpTree(t, { 'a.txt': 'over verified https' });
  const server = spawnCli(t, ['serve', root, '-p', '0', '--cert', servers.server.cert, '--key', servers.server.key, '--json']);
  const port = await server.port();
  const ok = await run('curl', ['-sS', '--max-time', '10', '--cacert', ca, `https://localhost:${port}/a.txt`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'over verified https');
  const byIp = await run('curl', ['-sS', '--max-time', '10', '--cacert', ca, `https://127.0.0.1:${port}/a.txt`]);
  assert.equal(byIp.stdout, 'over verified https', byIp.stderr);
  const untrusted = await run('curl', ['-sS', '--max-time', '10', `https://localhost:${port}/a.txt`]);
  assert.equal(untrusted.code, 60, `curl exits 60 when it cannot verify the peer: ${untrusted.stderr}`);
  const { code } = await server.stop('SIGINT');
  assert.equal(code, 0);
  assert.equal(server.events.find((e) => e.event === 'summary')?.messagesIn, 2, 'two requests reached the server');
});

test('TLS half-close: the end of stdin sends close_notify and FIN, and the server\'s answer still arrives', async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const { ca, servers } = await makeCa(t);
  // a server that answers only once the client has finished sending
  const port = await tlsServer(t, servers.server, (s) => {
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => s.end(`got ${Buffer.concat(chunks).length} bytes after your close`));
  });
  const r = await cli(['tcp', 'connect', 'localhost', String(port), '--ca', ca], { input: 'abcdef' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'got 6 bytes after your close');
  assert.match(r.stderr, /connection closed \(closed by peer\); 28 B received, 6 B sent/);
});

test('TLS half-close on the server side: tcp listen --cert/--key answers the last unterminated line after the client\'s FIN', async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const { ca, servers } = await makeCa(t);
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--cert', servers.server.cert, '--key', servers.server.key, '--frame', 'line', '--reply', '<{data}>', '--json']);
  const port = await server.port();
  const r = await cli(['tcp', 'connect', '127.0.0.1', String(port), '--ca', ca], { input: 'one\ntwo' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '<one><two>');
  // the server's lines come through a pipe of their own: the client may be done before they are read
  await server.waitEvent((e) => e.event === 'data' && e.text === 'two', undefined, "the server's data event for 'two'");
  const data = server.events.filter((e) => e.event === 'data').map((e) => e.text);
  assert.deepEqual(data, ['one', 'two']);
});
