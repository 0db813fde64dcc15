// `sockit ui` from the command line: the URL with its token, the warning when bound beyond loopback, bad options.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { spawnCli, runCli, tmpDir, waitFor } from '../helpers/index.mjs';
import { rawRequest, statusOf } from '../bridge/helpers.mjs';

test('sockit ui --json prints the listening event with the URL, and serves the page there', async (t) => {
  const ui = spawnCli(t, ['ui', '--json']);
  const e = await ui.waitEvent((x) => x.event === 'listening');
  assert.equal(e.protocol, 'ui');
  assert.equal(e.address, '127.0.0.1');
  assert.match(e.url, new RegExp(`^http://127\\.0\\.0\\.1:${e.port}/\\?token=[A-Za-z0-9_-]{32}$`));
  const url = new URL(e.url);
  const answer = await rawRequest(e.port, `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  assert.equal(statusOf(answer), 200);
  assert.equal(statusOf(await rawRequest(e.port, `GET / HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`)), 403);
  const refused = await ui.waitEvent((x) => x.event === 'error');
  assert.match(refused.message, /needs the token/);
  const { code } = await ui.stop();
  assert.equal(code, 0);
});

test('sockit ui prints the address for people, and --open is harmless without a display', async (t) => {
  const ui = spawnCli(t, ['ui', '--open'], { env: { DISPLAY: '', WAYLAND_DISPLAY: '' } });
  await ui.waitStdout(/sockit ui is running at http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  await ui.waitStdout('only this machine can reach it');
  await ui.waitStderr('no display here to open a browser on; open the address above yourself');
  const { code } = await ui.stop();
  assert.equal(code, 0);
});

test('binding beyond loopback needs --host and prints a warning', async (t) => {
  const ui = spawnCli(t, ['ui', '--host', '0.0.0.0', '--json']);
  const e = await ui.waitEvent((x) => x.event === 'listening');
  assert.equal(e.address, '0.0.0.0');
  await ui.waitStderr(/warning: listening on 0\.0\.0\.0: other machines can reach the assistant/);
  await ui.stop();
});

test('bad options are usage errors', async () => {
  const r = await runCli(['ui', '--port', '70000']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--port must be a whole number from 0 to 65535, got '70000'/);
});

test('a refused request is printed with its control characters escaped (a Host header cannot drive the terminal)', async (t) => {
  const ui = spawnCli(t, ['ui']);
  await ui.waitStdout(/running at http:\/\/127\.0\.0\.1:(\d+)\//);
  const port = Number(/127\.0\.0\.1:(\d+)\//.exec(ui.stdout)[1]);
  // bytes 0x80-0xff pass the HTTP parser as obs-text; 0x9b is CSI for terminals that read C1 controls
  const host = Buffer.from('evil\x9b2J\x85.example', 'latin1');
  await rawRequest(port, Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: '), host, Buffer.from('\r\nConnection: close\r\n\r\n')]));
  await ui.waitStderr('refused GET /');
  assert.ok(ui.stderr.includes("the Host header 'evil\\x9b2J\\x85.example' is malformed"), ui.stderr);
  assert.doesNotMatch(ui.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  await ui.stop();
});

test('serve --open and ui --open share one opener: it says once why no browser opened, and serving goes on', async (t) => {
  const dir = tmpDir(t);
  const noDisplay = spawnCli(t, ['serve', dir, '-p', '0', '-H', '127.0.0.1', '--open'], { env: { DISPLAY: '', WAYLAND_DISPLAY: '' } });
  await noDisplay.waitStdout(/Local: +http:\/\/127\.0\.0\.1:\d+\//);
  await noDisplay.waitStderr(/there is no display here to open a browser on; open http:\/\/127\.0\.0\.1:\d+\/ yourself\n/);
  // a display, but no opener on PATH: the spawn fails, and says which program it could not run
  const noOpener = spawnCli(t, ['ui', '--open'], { env: { DISPLAY: ':0', WAYLAND_DISPLAY: '', PATH: dir } });
  await noOpener.waitStderr('could not run xdg-open to open a browser; open the address above yourself');
  for (const cli of [noDisplay, noOpener]) {
    const { code } = await cli.stop();
    assert.equal(code, 0);
    assert.equal(cli.stderr.split('open a browser').length, 2, cli.stderr);
  }
});

test('sockit ui stops promptly on SIGTERM, even with a page attached and a server that never finishes its side', async (t) => {
  const { default: WebSocket } = await import('ws');
  const net = await import('node:net');
  // a server that keeps its half of the connection open after ours is closed
  const lingering = net.createServer({ allowHalfOpen: true }, (s) => s.on('error', () => {}));
  await new Promise((r) => lingering.listen(0, '127.0.0.1', r));
  t.after(() => lingering.close());
  const ui = spawnCli(t, ['ui', '--json']);
  const e = await ui.waitEvent((x) => x.event === 'listening');
  const url = new URL(e.url);
  const ws = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`, { origin: `http://${url.host}` });
  t.after(() => ws.terminate());
  const results = new Map();
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (m.type === 'result') results.set(m.req, m);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'hello', version: 1 }));
  ws.send(JSON.stringify({ type: 'create', req: 1, spec: { kind: 'tcp-client', host: '127.0.0.1', port: lingering.address().port, encoding: 'utf8', frame: 'raw' } }));
  await waitFor(() => results.get(1), { what: 'the TCP client session to connect' });
  assert.equal(results.get(1).ok, true, JSON.stringify(results.get(1)));
  const started = Date.now();
  const { code } = await ui.stop('SIGTERM');
  const ms = Date.now() - started;
  t.diagnostic(`exited ${ms} ms after SIGTERM`);
  assert.equal(code, 0);
  // a graceful close of that connection alone would take its full 2 s grace
  assert.ok(ms < 1500, `sockit ui took ${ms} ms to stop`);
});
