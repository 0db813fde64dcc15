// sockit load as a Locust worker: the stats format against Python's msgpack, and whole runs under Debian's Locust master.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { spawnCli, runCli, rawServer, closedPort, tmpDir } from '../helpers/index.mjs';
import { startMaster, readCsv } from '../helpers/locust.mjs';
import { skipUnless } from '../helpers/peers.mjs';
import { waitFor } from '../helpers/wait.mjs';
import {
  locustBucket, encodeLocustMessage, decodeLocustMessage, readSpawn, LocustEntryBuilder, extendEntry, LocustCollector,
  LoadEngine, resolveLoadOptions, joinLocust,
} from '../../dist/index.js';

const skip = skipUnless('locust');
const PY = '/usr/bin/python3';

/** What Debian's Python msgpack (the one Locust uses) reads from these bytes, as JSON with its key types shown. */
function pythonReads(bytes) {
  const script = `import sys, json, msgpack
def show(v):
    if isinstance(v, dict): return {f"{type(k).__name__}:{k}": show(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [show(x) for x in v]
    return v
print(json.dumps(show(msgpack.loads(bytes.fromhex(sys.argv[1]), raw=False, strict_map_key=False))))`;
  const r = spawnSync(PY, ['-c', script, Buffer.from(bytes).toString('hex')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Python msgpack writes this value, as a Locust master would. */
function pythonWrites(expr) {
  const r = spawnSync(PY, ['-c', `import sys, msgpack; sys.stdout.write(msgpack.dumps(${expr}).hex())`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Buffer.from(r.stdout, 'hex');
}

test('response times go into the buckets Locust rounds them to', () => {
  const table = [[0.4, 0], [0.5, 0], [1.5, 2], [2.5, 2], [3.49, 3], [99.4, 99], [99.6, 100], [147, 150], [145, 140], [155, 160], [3432, 3400], [58760, 59000], [12500, 12000]];
  for (const [ms, want] of table) assert.equal(locustBucket(ms), want, `${ms} ms`);
});

test('messages in and out are what Python msgpack writes and reads: integer keys stay integers', { skip }, () => {
  const b = new LocustEntryBuilder('request 64 B', 'tcp', 1000);
  b.requests(3, 192, 1001);
  b.timed(1.2, 2);
  b.timed(147);
  const entry = b.take(1002);
  const seen = pythonReads(encodeLocustMessage('stats', { stats: [entry], user_count: 3, none: undefined }, 'host_1'));
  assert.equal(seen[0], 'stats');
  assert.equal(seen[2], 'host_1');
  const e = seen[1]['str:stats'][0];
  assert.deepEqual(e['str:response_times'], { 'int:1': 2, 'int:150': 1 });
  assert.deepEqual(e['str:num_reqs_per_sec'], { 'int:1001': 3 });
  assert.equal(e['str:num_requests'], 3);
  assert.equal(e['str:min_response_time'], 1.2);
  assert.equal(e['str:max_response_time'], 147);
  assert.equal(e['str:last_request_timestamp'] > 1000, true);
  assert.equal(seen[1]['str:none'], null);

  const spawn = decodeLocustMessage(pythonWrites(`("spawn", {"timestamp": 1.5, "user_classes_count": {"SockitUser": 7, "Other": 3}, "host": None, "stop_timeout": None, "parsed_options": {"num_users": 10}}, "w1")`));
  assert.equal(spawn.type, 'spawn');
  assert.equal(spawn.nodeId, 'w1');
  assert.deepEqual(readSpawn(spawn.data), { classes: { SockitUser: 7, Other: 3 }, users: 10, timestamp: 1.5, stopTimeoutS: 0 });
  assert.throws(() => decodeLocustMessage(pythonWrites('{"not": "a message"}')), /not a Locust message/);
  assert.throws(() => readSpawn({ user_classes_count: { A: -1 } }), /-1 users of A/);
});

test('the Aggregated row adds up entries as Locust extends them', () => {
  const a = new LocustEntryBuilder('connect', 'tcp', 10);
  a.one(2, 0, 11);
  a.failure(5, 12);
  const b = new LocustEntryBuilder('request 64 B', 'tcp', 9);
  b.requests(2, 128, 11);
  b.timed(1, 2);
  const total = LocustEntryBuilder.empty('Aggregated', '', 20);
  extendEntry(total, a.take());
  extendEntry(total, b.take());
  assert.equal(total.num_requests, 4);
  assert.equal(total.num_failures, 1);
  assert.equal(total.start_time, 9);
  assert.equal(total.min_response_time, 1);
  assert.equal(total.max_response_time, 5);
  assert.equal(total.total_response_time, 9);
  assert.deepEqual([...total.response_times], [[2, 1], [5, 1], [1, 2]]);
  assert.deepEqual([...total.num_reqs_per_sec], [[11, 3], [12, 1]]);
});

test('the collector reads answers off the engine and hears of connects and drops', async (t) => {
  // answers the first message of each connection, then closes it
  let accepted = 0;
  const port = await rawServer(t, (s) => {
    accepted++;
    s.once('data', (d) => s.end(accepted % 2 ? d : Buffer.alloc(0)));
    s.on('error', () => {});
  });
  const settings = resolveLoadOptions({ host: '127.0.0.1', port, sizeBytes: 32, connections: 3 }, true);
  const collector = new LocustCollector('tcp', 'request 32 B', 32, true);
  const engine = new LoadEngine({ ...settings, reconnectAfterMs: 20, observer: collector });
  collector.attach(engine);
  engine.start();
  await waitFor(() => engine.dropped >= 6 && engine.messagesReceived >= 2, { what: 'six dropped connections and two answers', detail: () => JSON.stringify({ dropped: engine.dropped, answers: engine.messagesReceived }) });
  engine.stop();
  await engine.done;
  const report = collector.take();
  const byName = Object.fromEntries(report.stats.map((s) => [s.name, s]));
  const connect = byName.connect;
  const message = byName['request 32 B'];
  assert.ok(connect.num_requests - connect.num_failures >= 6, JSON.stringify(connect));
  assert.ok(message.num_failures >= 6, 'every connection ends in a drop the collector counts');
  // every answered request and every drop is one request; response times cover the timed ones
  assert.equal(message.num_requests, engine.messagesReceived + message.num_failures);
  const timed = [...message.response_times.values()].reduce((a, b) => a + b, 0);
  assert.equal(timed + message.num_none_requests, message.num_requests);
  assert.equal(report.stats_total.num_requests, connect.num_requests + message.num_requests);
  const reasons = Object.values(report.errors).filter((e) => e.name === 'request 32 B');
  assert.equal(reasons.reduce((n, e) => n + e.occurrences, 0), message.num_failures);
  assert.ok(reasons.every((e) => /closed by the server|reset by the server/.test(e.error)), JSON.stringify(reasons));
  assert.deepEqual(collector.take().stats, [], 'a new interval starts empty');
});

test('an unanswered request fails as "no answer in time", and its user connects again', async (t) => {
  const port = await rawServer(t, (s) => {
    s.resume();
    s.on('error', () => {});
  });
  const settings = resolveLoadOptions({ host: '127.0.0.1', port, connections: 2, answerTimeoutMs: 100 }, true);
  const collector = new LocustCollector('tcp', 'request 64 B', 64, true);
  const engine = new LoadEngine({ ...settings, reconnectAfterMs: 20, observer: collector });
  collector.attach(engine);
  engine.start();
  await waitFor(() => engine.dropped >= 4, { what: 'four requests left unanswered', detail: () => `${engine.dropped} dropped` });
  engine.stop();
  await engine.done;
  const report = collector.take();
  const message = report.stats.find((s) => s.name === 'request 64 B');
  const connect = report.stats.find((s) => s.name === 'connect');
  assert.ok(message.num_failures >= 4, JSON.stringify(message));
  assert.equal(message.num_failures, message.num_requests);
  assert.ok(message.min_response_time >= 100, `waited ${message.min_response_time} ms at least`);
  assert.ok(connect.num_requests > 2, 'users connected again');
  assert.deepEqual(Object.values(report.errors).filter((e) => e.name === 'request 64 B').map((e) => e.error), ['no answer in time']);
});

test('a worker whose master never answers ends with a sentence, not a hang', async () => {
  const port = await closedPort();
  const target = await closedPort();
  const worker = await joinLocust({ masterHost: '127.0.0.1', masterPort: port, load: { host: '127.0.0.1', port: target }, joinTimeoutMs: 600 });
  const result = await worker.done;
  assert.equal(result.reason, 'unreachable');
  assert.equal(result.error.code, 'SOCKIT_ERR_TIMEOUT');
  assert.match(result.error.message, new RegExp(`no Locust master answered at 127\\.0\\.0\\.1:${port} within 1 s`));
});

test('--locust refuses what the master decides, and bad addresses, by name', async () => {
  const cases = [
    [['-c', '5'], /--connections is the Locust master's to decide/],
    [['-d', '5'], /--duration is the Locust master's to decide/],
    [['--locust', '127.0.0.1:99999'], /--locust port must be/],
    [['--locust', 'a b'], /--locust must be a host name or an IP address/],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(['load', '127.0.0.1', '9', '--locust', '127.0.0.1', ...args])));
  runs.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i][0]}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][1]);
  });
});

// each user sends 20 messages a second: real traffic, yet light enough not to starve the tests running beside these
const RATE = ['--rate', '20'];

/** `sockit load --locust` workers; their `load` JSON reports come on stdout at the end. */
function startWorker(t, target, master, extra = []) {
  return spawnCli(t, ['load', '127.0.0.1', String(target), '--locust', `127.0.0.1:${master}`, '--json', ...RATE, ...extra]);
}
const lastJson = (w) => JSON.parse(w.stdout.trim().split('\n').at(-1));

test('two workers under locust --master --headless: the master counts every request, no failures, percentiles as measured', { skip, timeout: 120_000 }, async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const target = await server.port();
  // the same load from sockit load alone, for comparison
  const alone = await runCli(['load', '127.0.0.1', String(target), '-c', '100', '-d', '3', '--json', ...RATE]);
  assert.equal(alone.code, 0, alone.stderr);
  const aloneLatency = JSON.parse(alone.stdout.trim()).latency;

  const dir = tmpDir(t);
  const master = await startMaster(t, ['--headless', '--expect-workers', '2', '-u', '100', '-r', '50', '-t', '10s', '--csv', join(dir, 'run')]);
  const workers = [startWorker(t, target, master.port), startWorker(t, target, master.port)];
  await Promise.all(workers.map((w) => w.waitStderr(/joined the master as worker \d/, 60_000)));
  const exits = await Promise.all([master.exited, ...workers.map((w) => w.exited)]);
  assert.equal(exits[0].code, 0, master.output);
  for (const [i, w] of workers.entries()) {
    assert.equal(exits[i + 1].code, 0, w.stderr);
    assert.match(w.stderr, /locust: 50 users\n/);
    assert.match(w.stderr, /the master said quit/);
  }
  const reports = workers.map(lastJson);
  const rows = readCsv(join(dir, 'run_stats.csv'));
  const row = (name) => rows.find((r) => r.Name === name);
  const requests = row('request 64 B');
  assert.ok(requests, JSON.stringify(rows));
  // every answer either worker timed reached the master, and nothing failed
  assert.ok(reports.every((r) => r.messagesReceived > 1000), JSON.stringify(reports.map((r) => r.messagesReceived)));
  assert.equal(Number(requests['Request Count']), reports[0].messagesReceived + reports[1].messagesReceived);
  assert.equal(Number(requests['Failure Count']), 0);
  assert.equal(Number(row('connect')['Request Count']), 100);
  assert.equal(Number(row('Aggregated')['Failure Count']), 0);
  assert.equal(Number(requests['Average Content Size']), 64);
  // the master's percentiles are the workers' own, in Locust's whole milliseconds
  for (const [col, p] of [['50%', 'p50'], ['90%', 'p90'], ['99%', 'p99']]) {
    const got = Number(requests[col]);
    const [lo, hi] = [Math.min(...reports.map((r) => r.latency[p])), Math.max(...reports.map((r) => r.latency[p]))];
    const slack = Math.max(1, hi * 0.1);
    assert.ok(got >= lo - slack && got <= hi + slack, `${col}: master ${got} ms, workers ${lo}-${hi} ms`);
  }
  // and close to sockit load alone at the same user count (other tests load this machine too)
  for (const [col, p] of [['50%', 'p50'], ['90%', 'p90']]) {
    const got = Number(requests[col]);
    const want = aloneLatency[p];
    assert.ok(Math.abs(got - want) <= 2 + 2 * want, `${col}: master ${got} ms, sockit load alone ${want} ms`);
  }
});

test('failures reach the master: a server that closes every connection, and nothing listening', { skip, timeout: 120_000 }, async (t) => {
  const closing = await rawServer(t, (s) => {
    s.end();
    s.on('error', () => {});
  });
  const refused = await closedPort();
  const dir = tmpDir(t);
  const master = await startMaster(t, ['--headless', '--expect-workers', '2', '-u', '20', '-r', '20', '-t', '4s', '--csv', join(dir, 'run')]);
  const workers = [startWorker(t, closing, master.port), startWorker(t, refused, master.port)];
  await master.exited;
  await Promise.all(workers.map((w) => w.exited));
  const rows = readCsv(join(dir, 'run_stats.csv'));
  const failures = readCsv(join(dir, 'run_failures.csv'));
  const total = rows.find((r) => r.Name === 'Aggregated');
  assert.ok(Number(total['Failure Count']) > 20, JSON.stringify(rows));
  const count = (name, error) => failures.filter((f) => f.Name === name && f.Error.includes(error)).reduce((n, f) => n + Number(f.Occurrences), 0);
  const closed = count('request 64 B', 'connection closed by the server') + count('request 64 B', 'connection reset by the server');
  const refusedCount = count('connect', 'connection refused');
  assert.ok(closed > 10, JSON.stringify(failures));
  assert.ok(refusedCount > 10, JSON.stringify(failures));
  assert.equal(closed + refusedCount, Number(total['Failure Count']), 'every failure has its reason');
  assert.equal(Number(rows.find((r) => r.Name === 'connect')['Failure Count']), refusedCount);
});

test('a master that stops answering is noticed within its heartbeat timeout; --reconnect waits for the next one', { skip, timeout: 120_000 }, async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const target = await server.port();
  const first = await startMaster(t, ['--headless', '--expect-workers', '2', '-u', '4', '-r', '4']);
  const lone = startWorker(t, target, first.port);
  const patient = startWorker(t, target, first.port, ['--reconnect']);
  await Promise.all([lone, patient].map((w) => w.waitStderr(/locust: 2 users/, 60_000)));
  // a frozen master: its process stays, its heartbeats stop
  first.child.kill('SIGSTOP');
  const frozenAt = Date.now();
  await lone.waitStderr('the master went away', 20_000);
  const noticedMs = Date.now() - frozenAt;
  // 3 s of missed heartbeats, the heartbeat interval, and the slack of a loaded machine
  assert.ok(noticedMs < 8000, `noticed after ${noticedMs} ms`);
  const { code } = await lone.exited;
  assert.equal(code, 4, lone.stderr);
  assert.match(lone.stderr, /error: the Locust master at 127\.0\.0\.1:\d+ went away \(its connection closed, or it missed heartbeats for 3 s\); the load was stopped \[SOCKIT_ERR_MASTER_LOST\]/);
  await patient.waitStderr('the master went away; waiting for it to come back', 20_000);
  first.child.kill('SIGKILL');
  await first.exited;

  // a new master on the same port: the waiting worker joins it and runs its users
  const dir = tmpDir(t);
  const second = await startMaster(t, ['--headless', '--expect-workers', '1', '-u', '3', '-r', '3', '-t', '3s', '--csv', join(dir, 'run')], { port: first.port });
  const { code: secondCode } = await second.exited;
  assert.equal(secondCode, 0, second.output);
  assert.equal((await patient.exited).code, 0, patient.stderr);
  assert.match(patient.stderr, /locust: 3 users/);
  const requests = readCsv(join(dir, 'run_stats.csv')).find((r) => r.Name === 'request 64 B');
  assert.ok(Number(requests['Request Count']) > 0);
  assert.equal(lastJson(patient).connections, 3);
});

test('the master stops the test, then quits: the worker stops its users, says it is ready again, then ends', { skip, timeout: 120_000 }, async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const target = await server.port();
  // with its web UI, a master that reaches -t stops the test and keeps its workers until --autoquit
  const master = await startMaster(t, ['--web-host', '127.0.0.1', '--web-port', '0', '--autostart', '--autoquit', '2', '--expect-workers', '1', '-u', '2', '-r', '2', '-t', '3s'], { ports: 2 });
  const worker = startWorker(t, target, master.port);
  const { code } = await worker.exited;
  assert.equal(code, 0, worker.stderr);
  assert.match(worker.stderr, /locust: 2 users\n(.*\n)*locust: stopped after \d+\.\d s: [\d,]+ messages, 0 failed connections\n(.*\n)*locust: the master said quit\n/);
  assert.equal((await master.exited).code, 0, master.output);
  assert.match(master.output, /reported that it has stopped/);
  assert.equal((master.output.match(/reported as ready/g) ?? []).length, 2, 'ready, then ready again after the stop');
  assert.equal(lastJson(worker).connections, 2);
});
