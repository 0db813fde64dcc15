// TLS material for tests, made with the openssl command as an administrator would: a private CA and server certificates it signs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpDir } from './index.mjs';

async function openssl(args, cwd) {
  const r = await run('openssl', args.map((a) => (a.startsWith('@') ? join(cwd, a.slice(1)) : a)));
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

/**
 * Makes a private CA and, for each entry of `servers` ({ name, dns: [...], ip: [...] }), a server
 * certificate signed by it. Returns { dir, ca, servers: { [name]: { cert, key } } } (file paths);
 * the folder is removed when the test ends. Needs openssl (see requirePeer).
 */
export async function makeCa(t, servers = [{ name: 'server', dns: ['localhost'], ip: ['127.0.0.1', '::1'] }]) {
  const dir = tmpDir(t, 'sockit-tls-');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', '@ca.key', '-out', '@ca.pem', '-days', '2', '-subj', '/CN=sockit test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const made = {};
  for (const { name, dns = [], ip = [] } of servers) {
    const alt = [...dns.map((d) => `DNS:${d}`), ...ip.map((i) => `IP:${i}`)].join(',');
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${alt}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
    await openssl(['req', ...ec, '-keyout', `@${name}.key`, '-out', `@${name}.csr`, '-subj', `/CN=${dns[0] ?? ip[0]}`], dir);
    await openssl(['x509', '-req', '-in', `@${name}.csr`, '-CA', '@ca.pem', '-CAkey', '@ca.key', '-CAcreateserial',
      '-out', `@${name}.pem`, '-days', '2', '-extfile', `@${name}.ext`], dir);
    made[name] = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  }
  return { dir, ca: join(dir, 'ca.pem'), servers: made };
}
