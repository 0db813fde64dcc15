// What a page asks to create, checked field by field: normalised specs, and errors that name the form field.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseSpec } from '../../dist/bridge/spec.js';
import { HubError } from '../../dist/bridge/hub-error.js';
import { SessionHub } from '../../dist/bridge/session-hub.js';
import { tmpDir } from '../helpers/index.mjs';

/** The wire error a spec is refused with. */
function refusal(spec) {
  try {
    normaliseSpec(spec);
  } catch (err) {
    assert.ok(err instanceof HubError, `a HubError, not ${err}`);
    return err.wire;
  }
  assert.fail(`accepted ${JSON.stringify(spec)}`);
}

test('specs come back normalised, with only the fields that were given', () => {
  assert.deepEqual(normaliseSpec({ kind: 'tcp-server', port: '8000', host: ' [::1] ', encoding: 'GBK', welcome: '', echo: 1, chat: false }), {
    kind: 'tcp-server', port: 8000, encoding: 'gbk', frame: 'raw', host: '::1', echo: true,
  });
  assert.deepEqual(normaliseSpec({ kind: 'tcp-client', host: 'localhost', port: 7, frame: 'line' }), {
    kind: 'tcp-client', host: 'localhost', port: 7, encoding: 'utf8', frame: 'line',
  });
  assert.deepEqual(normaliseSpec({ kind: 'udp', port: 0, remote: ' 127.0.0.1:9 ', reply: 'ok {data}\\n' }), {
    kind: 'udp', port: 0, encoding: 'utf8', remote: '127.0.0.1:9', reply: 'ok {data}\\n',
  });
});

test('a static server needs a folder that exists', (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'file.txt'), 'x');
  assert.deepEqual(normaliseSpec({ kind: 'http', root: dir, port: 0, listing: false }), { kind: 'http', root: dir, port: 0, listing: false });
  assert.deepEqual(normaliseSpec({ kind: 'http', root: dir, port: 0, listing: true }), { kind: 'http', root: dir, port: 0 });
  assert.equal(refusal({ kind: 'http', port: 0 }).field, 'root');
  assert.match(refusal({ kind: 'http', root: join(dir, 'file.txt'), port: 0 }).message, /is a file, not a folder/);
  assert.match(refusal({ kind: 'http', root: join(dir, 'none'), port: 0 }).message, /there is no folder/);
});

test('each refusal names its field, the first one down the form', () => {
  const cases = [
    [{ kind: 'tcp-server', port: 70000 }, 'port', /port must be a whole number from 0 to 65535, got '70000'/],
    [{ kind: 'tcp-server', port: 1, encoding: 'nope' }, 'encoding', /unknown encoding 'nope'/],
    [{ kind: 'tcp-server', port: 70000, frame: '' }, 'port', /port/],
    [{ kind: 'tcp-server', port: 1, host: 'a b' }, 'host', /host must be a host name or an IP address/],
    [{ kind: 'tcp-server', port: 1, reply: 'bad \\q' }, 'reply', /reply/],
    [{ kind: 'tcp-server', port: 1, quit: 5 }, 'quit', /quit must be text/],
    [{ kind: 'tcp-client', port: 80 }, 'host', /give the server's name or address/],
    [{ kind: 'tcp-client', host: 'x', port: 0 }, 'port', /from 1 to 65535/],
    [{ kind: 'udp', port: 1, remote: '1::2:80' }, 'remote', /IPv6 addresses in brackets/],
    [{ kind: 'udp', port: 1, remote: '127.0.0.1:0' }, 'remote', /^remote port must be a whole number from 1 to 65535, got '0'$/],
    [{ kind: 'proxy', port: 1 }, 'target', /give the host:port to relay to/],
    [{ kind: 'proxy', port: 1, target: '127.0.0.1:0' }, 'target', /target port must be a whole number from 1 to 65535/],
    [{ kind: 'proxy', port: 1, target: '127.0.0.1:80', udp: true, frame: 'line' }, 'frame', /leave the framing raw/],
    [{ kind: 'proxy', port: 1, target: '127.0.0.1:80', faults: { up: { loss: 2 } } }, 'faults', /up\.loss must be a probability/],
    [{ kind: 'toString', port: 1 }, 'kind', /cannot create 'toString' sessions/],
  ];
  for (const [spec, field, message] of cases) {
    const wire = refusal(spec);
    assert.equal(wire.code, 'SOCKIT_ERR_USAGE', JSON.stringify(spec));
    assert.equal(wire.field, field, JSON.stringify(spec));
    assert.match(wire.message, message, JSON.stringify(spec));
  }
  assert.equal(refusal(null).message, 'missing session settings');
});

test('the hub offers every kind it has a driver and a spec check for', () => {
  const hub = new SessionHub();
  assert.deepEqual(hub.kinds(), ['tcp-server', 'tcp-client', 'udp', 'http', 'ws-server', 'ws-client', 'proxy']);
});

test('WebSocket specs: lists normalised, the address and headers checked with the core parsers', () => {
  assert.deepEqual(normaliseSpec({ kind: 'ws-server', port: '0', path: '/chat', subprotocols: 'v2,  v1', origins: '', echo: true }), {
    kind: 'ws-server', port: 0, encoding: 'utf8', path: '/chat', subprotocols: 'v2, v1', echo: true,
  });
  assert.deepEqual(normaliseSpec({ kind: 'ws-client', url: ' localhost:8080/x ', headers: 'X-A: 1\n\nX-B:2 ', insecure: false }), {
    kind: 'ws-client', url: 'ws://localhost:8080/x', encoding: 'utf8', headers: 'X-A: 1\nX-B:2',
  });
  const path = refusal({ kind: 'ws-server', port: 0, path: 'chat' });
  assert.equal(path.field, 'path');
  assert.match(path.message, /must begin with \//);
  const url = refusal({ kind: 'ws-client', url: 'ftp://x' });
  assert.equal(url.field, 'url');
  assert.match(url.message, /must begin with ws:\/\/ or wss:\/\//);
  assert.equal(refusal({ kind: 'ws-client' }).field, 'url');
  assert.equal(refusal({ kind: 'ws-client', url: 'ws://x', headers: 'nonsense' }).field, 'headers');
});
