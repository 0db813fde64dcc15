// sockit port check/free/scan/ping end to end, only ever against 127.0.0.1.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { spawnCli, runCli, closedPort, startPeer, nextEvent, OFFLINE } from '../helpers/index.mjs';

const cli = (args, options = {}) => runCli(args, { ...options, env: { ...OFFLINE, ...options.env } });
const lines = (stdout) => stdout.trim().split('\n').map((l) => JSON.parse(l));

/** A listening TCP server in this process, closed (with its connections) when the test ends. */
async function listener(t) {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { server, port: server.address().port, sockets };
}


function connect(t, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
    t.after(() => s.destroy());
  });
}

test('port check: a port held by a python server names python3, its pid, and the connection states', async (t) => {
  const peer = await startPeer(t, 'tcp_hold_server.py');
  // a connection is ESTABLISHED on both sides once connect() completes, accepted or not
  await connect(t, peer.port);
  await connect(t, peer.port);
  const r = await cli(['port', 'check', String(peer.port), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const [result] = lines(r.stdout);
  assert.equal(result.event, 'port-check');
  assert.equal(result.state, 'in-use');
  assert.equal(result.protocol, 'tcp');
  assert.equal(result.holders.length, 1);
  assert.equal(result.holders[0].pid, peer.child.pid);
  assert.equal(result.holders[0].command, 'python3');
  assert.match(result.holders[0].cmdline, /tcp_hold_server\.py/);
  assert.equal(result.holders[0].address, '127.0.0.1');
  assert.deepEqual(result.connections, { LISTEN: 1, ESTABLISHED: 2 });

  const text = await cli(['port', 'check', String(peer.port)]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, new RegExp(`^port ${peer.port}/tcp is in use\n`));
  assert.match(text.stdout, new RegExp(`127\\.0\\.0\\.1:${peer.port} +LISTEN +python3 \\(pid ${peer.child.pid}\\)`));
  assert.match(text.stdout, /connections: 1 LISTEN, 2 ESTABLISHED/);
});

test('port check: a free port exits 0, and TIME_WAIT leftovers are counted without making it busy', async (t) => {
  const { server, port } = await listener(t);
  server.on('connection', (s) => s.end()); // the server closes first, so its side waits in TIME_WAIT
  const client = await connect(t, port);
  client.end();
  await nextEvent(client, 'close', { what: 'the connection to close on both sides' });
  await new Promise((r) => server.close(r));
  const r = await cli(['port', 'check', String(port), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [result] = lines(r.stdout);
  assert.equal(result.state, 'free');
  assert.deepEqual(result.holders, []);
  assert.equal(result.connections.TIME_WAIT, 1);
  const text = await cli(['port', 'check', String(port)]);
  assert.match(text.stdout, new RegExp(`port ${port}/tcp is free\n  connections: 1 TIME_WAIT`));
});

test('port check --udp finds the process holding a UDP port', async (t) => {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  t.after(() => s.close());
  const r = await cli(['port', 'check', String(s.address().port), '--udp', '--json']);
  assert.equal(r.code, 1, r.stderr);
  const [result] = lines(r.stdout);
  assert.equal(result.protocol, 'udp');
  assert.equal(result.holders[0].pid, process.pid);
  assert.equal(result.holders[0].command, 'node');
  assert.deepEqual(result.connections, { UNCONN: 1 });
});

test('port check: bad input is a usage error; an address that is not local is exit 3', async () => {
  const zero = await cli(['port', 'check', '0']);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /port must be a whole number from 1 to 65535, got '0'/);
  const big = await cli(['port', 'check', '65536']);
  assert.equal(big.code, 2);
  // 203.0.113.0/24 is reserved for documentation: no machine has it
  const remote = await cli(['port', 'check', '8080', '-H', '203.0.113.7']);
  assert.equal(remote.code, 3);
  assert.match(remote.stderr, /no local interface has the address 203\.0\.113\.7/);
});

test('port free prints ports from the range that can be bound', async () => {
  const r = await cli(['port', 'free', '--range', '21000-21200', '--count', '5']);
  assert.equal(r.code, 0, r.stderr);
  const ports = r.stdout.trim().split('\n').map(Number);
  assert.equal(ports.length, 5);
  assert.equal(new Set(ports).size, 5);
  for (const p of ports) {
    assert.ok(p >= 21000 && p <= 21200);
    const s = net.createServer();
    await new Promise((res, rej) => s.once('error', rej).listen(p, '127.0.0.1', res));
    await new Promise((res) => s.close(res));
  }
  const json = await cli(['port', 'free', '--json', '--udp']);
  const [result] = lines(json.stdout);
  assert.equal(result.event, 'free-ports');
  assert.equal(result.protocol, 'udp');
  assert.ok(result.ports[0] >= 20000 && result.ports[0] <= 30000);
});

test('port free: a range with nothing free is exit 3; bad ranges and counts are usage errors', async (t) => {
  const { port } = await listener(t);
  const full = await cli(['port', 'free', '--range', `${port}-${port}`]);
  assert.equal(full.code, 3);
  assert.match(full.stderr, new RegExp(`only 0 of the 1 ports asked for are free in ${port}-${port}`));
  const back = await cli(['port', 'free', '--range', '30000-20000']);
  assert.equal(back.code, 2);
  assert.match(back.stderr, /--range: the range '30000-20000' runs backwards/);
  const count = await cli(['port', 'free', '--range', '20000-20009', '--count', '11']);
  assert.equal(count.code, 2);
  assert.match(count.stderr, /--count must be a whole number from 1 to 10/);
});

test('port scan: open, closed and filtered ports, with service names, as JSON', async (t) => {
  const open = await listener(t);
  const closed = await closedPort();
  const stuck = await startPeer(t, 'stuck_backlog_server.py', [120]);
  const list = `${open.port},${closed},${stuck.port},22`;
  const r = await cli(['port', 'scan', '127.0.0.1', list, '--timeout', '300', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = lines(r.stdout);
  const byPort = Object.fromEntries(events.filter((e) => e.event === 'scan').map((e) => [e.port, e]));
  assert.equal(byPort[open.port].state, 'open');
  assert.equal(byPort[closed].state, 'closed');
  assert.equal(byPort[closed].code, 'ECONNREFUSED');
  assert.equal(byPort[stuck.port].state, 'filtered');
  assert.equal(byPort[22].service, 'ssh');
  const summary = events.at(-1);
  assert.equal(summary.event, 'scan-summary');
  assert.equal(summary.scanned, 4);
  assert.equal(summary.open + summary.closed + summary.filtered, 4);
  assert.ok(summary.filtered >= 1);
});

test('port scan: a readable table, closed ports summarised when there are many', async (t) => {
  const open = await listener(t);
  // below the ephemeral range, so the scan never knocks on other tests' servers
  const r = await cli(['port', 'scan', '127.0.0.1', `20000-20199,${open.port}`, '--concurrency', '20']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^scanning 127\.0\.0\.1: 20\d ports, 20 at a time, 1000 ms timeout\n/);
  assert.match(r.stdout, /PORT +STATE +SERVICE +TIME\n/);
  assert.match(r.stdout, new RegExp(`\n${open.port}/tcp +open +\\d+\\.\\d\\d ms\n`));
  assert.match(r.stdout, /not shown: \d+ closed ports \(--all lists them\)/);
  assert.match(r.stdout, /20\d ports scanned in \d+\.\d\d s: [1-9]\d* open, \d+ closed, 0 filtered\n$/);
  const small = await cli(['port', 'scan', 'localhost', '22,80']);
  assert.match(small.stdout, /22\/tcp +\w+ +ssh/);
  assert.match(small.stdout, /80\/tcp +\w+ +http/);
});

test('port scan: bad port lists, port 0, a bad concurrency and an unknown host are clear errors', async () => {
  // every message is unit-tested with parsePortList; these check the CLI's exit code and wording
  const cases = [
    [['22,0'], /error: ports: port 0 cannot be scanned \(in '0'\); ports run from 1 to 65535 \[SOCKIT_ERR_USAGE\]/],
    [['22,,80'], /ports: empty entry in '22,,80'/],
    [['22', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 1000/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(['port', 'scan', '127.0.0.1', ...args])));
  runs.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i][0]}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][1]);
  });
  const host = await cli(['port', 'scan', 'no-such-host.invalid', '22']);
  assert.equal(host.code, 4);
  assert.match(host.stderr, /host no-such-host\.invalid was not found; nothing was scanned \[SOCKIT_ERR_HOST_NOT_FOUND\]/);
});

test('port ping: count, interval and the statistics', async (t) => {
  const { port } = await listener(t);
  const r = await cli(['port', 'ping', '127.0.0.1', String(port), '-c', '3', '-i', '50']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^TCPING 127\\.0\\.0\\.1 port ${port}\n`));
  assert.equal(r.stdout.match(/seq=\d connected, time=\d+\.\d{3} ms/g).length, 3);
  assert.match(r.stdout, new RegExp(`--- 127\\.0\\.0\\.1:${port} tcping statistics ---\n3 probes, 3 connected, 0% loss, time \\d+ ms\n`));
  assert.match(r.stdout, /rtt min\/avg\/max\/mdev = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms\n$/);
});

test('port ping: a closed port is 100% loss and exit 4; JSON has every probe', async () => {
  const port = await closedPort();
  const r = await cli(['port', 'ping', '127.0.0.1', String(port), '-c', '2', '-i', '20', '--json']);
  assert.equal(r.code, 4);
  const events = lines(r.stdout);
  assert.deepEqual(events.map((e) => [e.event, e.state ?? '']), [['probe', 'closed'], ['probe', 'closed'], ['ping-summary', '']]);
  assert.equal(events[2].lossPercent, 100);
  assert.equal(events[2].probes, 2);
  const text = await cli(['port', 'ping', '127.0.0.1', String(port), '-c', '1']);
  assert.match(text.stdout, /seq=1 refused \(nothing listening\)/);
  assert.match(text.stdout, /1 probe, 0 connected, 100% loss/);
});

test('port ping: Ctrl-C prints the statistics so far', async (t) => {
  const { port } = await listener(t);
  const ping = spawnCli(t, ['port', 'ping', '127.0.0.1', String(port), '-i', '50']);
  await ping.waitStdout(/seq=3 connected/);
  ping.child.kill('SIGINT');
  const { code } = await ping.exited;
  assert.equal(code, 0);
  assert.match(ping.stdout, /tcping statistics ---\n\d+ probes, \d+ connected, 0% loss/);
  assert.match(ping.stdout, /rtt min\/avg\/max\/mdev = /);
});

test('port ping: bad arguments and an unknown host', async () => {
  const count = await cli(['port', 'ping', '127.0.0.1', '80', '-c', '0']);
  assert.equal(count.code, 2);
  assert.match(count.stderr, /--count must be a whole number 1 or more, got '0'/);
  const host = await cli(['port', 'ping', 'no-such-host.invalid', '80', '-c', '1']);
  assert.equal(host.code, 4);
  assert.match(host.stderr, /host no-such-host\.invalid was not found/);
});
