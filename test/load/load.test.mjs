// The load generator: against sockit's own echo server, a python3 asyncio echo server and raw servers; bounded runs only.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { spawnCli, runCli, rawServer, closedPort, startPeer, OFFLINE } from '../helpers/index.mjs';
import { runLoad, LatencyHistogram, defaultPayload } from '../../dist/index.js';

const cli = (args, options = {}) => runCli(args, { ...options, env: { ...OFFLINE, ...options.env } });
const report = (r) => JSON.parse(r.stdout.trim().split('\n').at(-1));

async function echoServer(t) {
  return rawServer(t, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
}

/** An echo server that holds each read `delayMs` before sending it back: every answer takes at least that long. */
async function slowEchoServer(t, delayMs) {
  return rawServer(t, (s) => {
    s.on('data', (d) => setTimeout(() => s.writable && s.write(d), delayMs));
    s.on('error', () => {});
  });
}

/**
 * Each connection has one request out at a time, so the latencies it records add up to the time
 * it spent waiting: never more than the run's time, and a good part of it (connecting, the request
 * cut off at the end and a busy machine's pauses between an answer and the next request are the
 * rest). True however busy the machine; false for latencies in the wrong unit or counted twice.
 */
function checkLatencySum(r) {
  const waited = r.latency.mean * r.latency.count;
  const run = r.connections * r.durationMs;
  assert.ok(waited <= run * 1.01 && waited >= run * 0.2, `latencies add up to ${waited.toFixed(0)} ms over ${r.connections} connections x ${r.durationMs} ms`);
}

/**
 * Against a server that waits 20 ms: no answer quicker than that (a timer may round down by a
 * millisecond), latencies that add up, and never more answers than 20 ms turns allow.
 */
function checkTwentyMs(r) {
  const l = r.latency;
  assert.ok(l.min >= 19, `min ${l.min} ms`);
  assert.ok(l.p50 >= 19.5, `p50 ${l.p50} ms`);
  checkLatencySum(r);
  assert.ok(r.messagesReceived <= (r.connections * r.durationMs) / 19, `${r.messagesReceived} answers in ${r.durationMs} ms`);
}

/** Percentiles in order, and a mean between min and max. */
function checkLatency(l, count) {
  assert.equal(l.count, count, 'every answer was timed');
  assert.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, JSON.stringify(l));
  assert.ok(l.min <= l.mean && l.mean <= l.max, JSON.stringify(l));
}

test('the histogram: exact min and max, percentiles within 1%, constant memory', () => {
  const h = new LatencyHistogram();
  for (let v = 1; v <= 100000; v++) h.record(v);
  assert.equal(h.count, 100000);
  assert.equal(h.min, 1);
  assert.equal(h.max, 100000);
  assert.ok(Math.abs(h.mean - 50000.5) < 1e-6);
  for (const [p, want] of [[50, 50000], [90, 90000], [99, 99000], [99.9, 99900]]) {
    const got = h.percentile(p);
    assert.ok(Math.abs(got - want) / want < 0.01, `p${p}: ${got} vs ${want}`);
  }
  assert.equal(h.percentile(100), 100000);
  const small = new LatencyHistogram();
  for (const v of [3, 3, 3, 250]) small.record(v);
  assert.equal(small.percentile(50), 3);
  assert.equal(small.percentile(75), 3);
  assert.equal(small.percentile(100), 250);
  small.record(5e12); // clamped, not an out-of-range index
  assert.equal(small.max, 0x7fffffff);
  h.merge(small);
  assert.equal(h.count, 100005);
  h.reset();
  assert.equal(h.count, 0);
  assert.equal(h.percentile(50), 0);
});

test('the default message is letters ending in a newline', () => {
  assert.equal(defaultPayload(5).toString(), 'abcd\n');
  assert.equal(defaultPayload(30).toString(), 'abcdefghijklmnopqrstuvwxyzabc\n');
});

test('runLoad in request mode: every answer timed, bounded by the duration', async (t) => {
  const port = await echoServer(t);
  const started = Date.now();
  const run = runLoad({ host: '127.0.0.1', port, connections: 4, sizeBytes: 100, durationMs: 1000 });
  const r = await run.done;
  // the duration bounds the run (connecting and closing add a little; a loaded machine, a little more)
  assert.ok(r.durationMs >= 1000 && Date.now() - started < 1000 + 10_000, `ran ${r.durationMs} ms, returned after ${Date.now() - started} ms`);
  assert.equal(r.established, 4);
  assert.equal(r.failed, 0);
  assert.equal(r.dropped, 0);
  assert.ok(r.messagesReceived > 0, 'answers came');
  assert.ok(r.messagesSent - r.messagesReceived <= 4, 'one request at a time per connection');
  assert.equal(r.bytesOut, r.messagesSent * 100);
  checkLatency(r.latency, r.messagesReceived);
  checkLatencySum(r);
  assert.ok(Math.abs(r.messagesPerSec - r.messagesReceived / (r.durationMs / 1000)) < 1e-6 * r.messagesPerSec);
  assert.ok(Math.abs(r.mbPerSecOut - r.bytesOut / 1e6 / (r.durationMs / 1000)) < 1e-6 * r.mbPerSecOut);
});

test('latency is what the server takes: an echo that waits 20 ms gives p50 of about 20 ms', async (t) => {
  const port = await slowEchoServer(t, 20);
  const r = await runLoad({ host: '127.0.0.1', port, connections: 2, sizeBytes: 16, durationMs: 2000 }).done;
  t.diagnostic(`latency with a 20 ms server: ${JSON.stringify(r.latency)}`);
  checkLatency(r.latency, r.messagesReceived);
  checkTwentyMs(r);
  // in this process the median is about 20 ms; a loaded machine stretches it, it does not make it seconds
  assert.ok(r.latency.p50 <= 200, `p50 ${r.latency.p50} ms`);
});

test('runLoad with a rate keeps to it', async (t) => {
  const port = await echoServer(t);
  const r = await runLoad({ host: '127.0.0.1', port, connections: 2, ratePerConnection: 50, durationMs: 1000 }).done;
  // never more than 2 connections x 50/s over the time it ran; fewer when a busy machine delays the timer (a late send earns no burst)
  const most = 2 * 50 * (r.durationMs / 1000) + 2;
  assert.ok(r.messagesReceived >= 25 && r.messagesReceived <= most, `${r.messagesReceived} answers in ${r.durationMs} ms`);
});

test('runLoad in stream mode writes with backpressure and counts what comes back', async (t) => {
  const port = await echoServer(t);
  const r = await runLoad({ host: '127.0.0.1', port, connections: 2, sizeBytes: 1000, mode: 'stream', durationMs: 1000 }).done;
  assert.equal(r.mode, 'stream');
  assert.equal(r.bytesOut, r.messagesSent * 1000);
  assert.ok(r.bytesIn > 0 && r.bytesIn <= r.bytesOut, `${r.bytesIn} bytes back of ${r.bytesOut}: an echo returns no more than it was sent`);
  assert.equal(r.latency, undefined);
  const paced = await runLoad({ host: '127.0.0.1', port, connections: 1, sizeBytes: 10, mode: 'stream', ratePerConnection: 200, durationMs: 500 }).done;
  // the rate holds over the time the run really took (a loaded machine fires the deadline late); fewer
  // when it also delays the ticks, since a late send earns no burst
  const due = (200 * paced.durationMs) / 1000;
  assert.ok(paced.messagesSent >= 0.25 * due && paced.messagesSent <= due + 2, `${paced.messagesSent} sent in ${paced.durationMs} ms`);
});

test('runLoad refuses bad options by name', () => {
  assert.throws(() => runLoad({ host: '127.0.0.1', port: 0 }), /port must be a whole number from 1 to 65535/);
  // named by field, as the library spells the option; the CLI tells them with its flags
  const refusal = (field, message) => ({ code: 'SOCKIT_ERR_USAGE', field, message });
  assert.throws(() => runLoad({ host: '127.0.0.1', port: 9, connections: 0 }), refusal('connections', "connections must be a whole number from 1 to 20000, got '0'"));
  assert.throws(() => runLoad({ host: '127.0.0.1', port: 9, durationMs: 0 }), refusal('durationMs', "durationMs must be above 0, got '0'"));
  assert.throws(() => runLoad({ host: '127.0.0.1', port: 9, mode: 'flood' }), refusal('mode', "mode must be request or stream, got 'flood'"));
  assert.throws(() => runLoad({ host: '127.0.0.1', port: 9, sizeBytes: 2 ** 30 }), refusal('sizeBytes', "sizeBytes must be from 1 to 16777216 bytes, got '1073741824'"));
  assert.throws(() => runLoad({ host: '127.0.0.1', port: 9, payload: Buffer.alloc(0) }), refusal('payload', 'payload must not be empty'));
});

test('sockit load against sockit tcp listen --echo: JSON report with percentiles', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const port = await server.port();
  // two seconds, so the one-second progress line is printed before the run ends
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '8', '-d', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = report(r);
  assert.equal(rep.event, 'load');
  assert.equal(rep.established, 8);
  assert.equal(rep.mode, 'request');
  assert.ok(rep.messagesReceived > 0, 'answers came');
  checkLatency(rep.latency, rep.messagesReceived);
  checkLatencySum(rep);
  assert.match(r.stderr, /load: 1 s +\d+\/8 conns +[\d,]+ msg\/s/);
});

test('sockit load --json against a server that waits 20 ms: p50 of about 20 ms in the report', async (t) => {
  const port = await slowEchoServer(t, 20);
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '2', '-d', '2', '--size', '16', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = report(r);
  t.diagnostic(`latency with a 20 ms server, measured by sockit load: ${JSON.stringify(rep.latency)}`);
  checkLatency(rep.latency, rep.messagesReceived);
  // a second process, as starved as the machine is busy: the median gets no upper bound here
  checkTwentyMs(rep);
});

test('sockit load against a python3 asyncio echo server: readable table', async (t) => {
  const { port } = await startPeer(t, 'tcp_echo_asyncio.py');
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '4', '-d', '1', '--size', '256']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^load on 127\\.0\\.0\\.1:${port}: request/response, 256 B messages, 256 B answers, 4 connections, unlimited rate, 1\\.\\d s\n`));
  assert.match(r.stdout, /\n  connections 4 established, 0 failed\n/);
  assert.match(r.stdout, /\n  messages    [\d,]+ sent, [\d,]+ answered, [\d,]+ msg\/s\n/);
  assert.match(r.stdout, /\n  throughput  \d+\.\d\d MB\/s out, \d+\.\d\d MB\/s in\n/);
  assert.match(r.stdout, /\n  latency     p50 [\d.]+ ms +p90 [\d.]+ ms +p99 [\d.]+ ms +max [\d.]+ ms/);
});

test('sockit load --mode stream reports MB/s without latency', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--echo', '--quiet', '--json']);
  const port = await server.port();
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '1', '-d', '0.5', '--mode', 'stream', '--size', '16k', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = report(r);
  assert.equal(rep.mode, 'stream');
  assert.ok(rep.mbPerSecOut > 1, `${rep.mbPerSecOut} MB/s`);
  assert.equal(rep.latency, undefined);
});

test('--data and --expect drive a server that answers with its own reply', async (t) => {
  const server = spawnCli(t, ['tcp', 'listen', '0', '-H', '127.0.0.1', '--frame', 'line', '--reply', 'OK\\n', '--quiet', '--json']);
  const port = await server.port();
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '2', '-d', '0.5', '--data', 'ping\\n', '--expect', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = report(r);
  assert.equal(rep.sizeBytes, 5);
  assert.equal(rep.expectBytes, 3);
  assert.ok(rep.messagesReceived > 0, 'answers came');
  // at most a partial answer per connection is left over when the run ends
  assert.ok(rep.bytesIn - rep.messagesReceived * 3 < 2 * 3, `${rep.bytesIn} bytes for ${rep.messagesReceived} answers`);
});

test('a server that closes each connection: dropped connections are reported', async (t) => {
  const port = await rawServer(t, (s) => {
    s.once('data', () => s.end('x'.repeat(64)));
    s.on('error', () => {});
  });
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '3', '-d', '0.5', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = report(r);
  assert.equal(rep.established, 3);
  assert.equal(rep.dropped, 3);
  assert.equal(rep.messagesReceived, 3);
});

test('a server that never answers: exit 4, zero answers and a hint about stream mode', async (t) => {
  const port = await rawServer(t, (s) => {
    s.resume();
    s.on('error', () => {});
  });
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '2', '-d', '2']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stdout, /2 established, 0 failed\n/);
  assert.match(r.stdout, /2 sent, 0 answered/);
  assert.match(r.stderr, new RegExp(`error: 127\\.0\\.0\\.1:${port} answered none of 2 messages \\(no 64 bytes came back\\) \\[SOCKIT_ERR_TIMEOUT\\]`));
  assert.match(r.stderr, /hint: for a server that does not answer each message, use --mode stream/);
  // streaming to a sink is what stream mode is for
  const sink = await cli(['load', '127.0.0.1', String(port), '-c', '1', '-d', '0.3', '--mode', 'stream']);
  assert.equal(sink.code, 0, sink.stderr);
});

test('a listener that never accepts: exit 4, its connects counted as still connecting', async (t) => {
  const { port } = await startPeer(t, 'stuck_backlog_server.py', [60]);
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '3', '-d', '1']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stdout, /\n  connections 0 established, 0 failed, 3 still connecting\n/);
  assert.match(r.stderr, new RegExp(`error: no connection to 127\\.0\\.0\\.1:${port} was established in 1\\.\\d s \\(3 still connecting\\) \\[SOCKIT_ERR_TIMEOUT\\]`));
  const json = await cli(['load', '127.0.0.1', String(port), '-c', '2', '-d', '0.5', '--json']);
  assert.equal(json.code, 4);
  const rep = report(json);
  assert.equal(rep.established, 0);
  assert.equal(rep.pending, 2);
  assert.equal(rep.error.code, 'SOCKIT_ERR_TIMEOUT');
});

test('nothing listening: exit 4 with one sentence; bad arguments: exit 2 naming them', async () => {
  const port = await closedPort();
  const refused = await cli(['load', '127.0.0.1', String(port), '-c', '3', '-d', '0.5']);
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, new RegExp(`error: connection to 127\\.0\\.0\\.1:${port} was refused: nothing is listening there \\[SOCKIT_ERR_REFUSED\\]`));
  assert.match(refused.stdout, /0 established, 3 failed/);
  const cases = [
    [['-c', '0'], /--connections must be a whole number from 1 to 20000, got '0'/],
    [['--size', '0'], /--size must be from 1 to 16777216 bytes, got '0'/],
    [['-d', '0'], /--duration must be a number of seconds above 0, got '0'/],
    [['-d', '100000'], /--duration must be at most 86400 seconds/],
    [['--rate', '-5'], /--rate must be a number of messages per second/],
    [['--mode', 'flood'], /--mode must be request or stream, got 'flood'/],
    [['--data', '\\q'], /--data: unknown escape '\\q'/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(['load', '127.0.0.1', String(port), ...args])));
  runs.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i][0]}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][1]);
  });
  const host = await cli(['load', 'no-such-host.invalid', '80', '-d', '0.2']);
  assert.equal(host.code, 4);
  assert.match(host.stderr, /host no-such-host\.invalid was not found/);
});

test('Ctrl-C ends a long run early and still prints the report', async (t) => {
  const port = await echoServer(t);
  const load = spawnCli(t, ['load', '127.0.0.1', String(port), '-c', '2', '-d', '30', '--json'], { env: OFFLINE });
  await load.waitStderr('load: 1 s');
  load.child.kill('SIGINT');
  const { code } = await load.exited;
  assert.equal(code, 0, load.stderr);
  const rep = JSON.parse(load.stdout.trim());
  assert.ok(rep.durationMs >= 1000 && rep.durationMs < 30_000, `stopped after ${rep.durationMs} ms of 30 s`);
  assert.ok(rep.messagesReceived > 0);
  assert.equal(rep.latency.count, rep.messagesReceived);
});

test('--answer-timeout: a request unanswered that long fails and its connection closes', async (t) => {
  const port = await rawServer(t, (s) => {
    s.resume();
    s.on('error', () => {});
  });
  const r = await cli(['load', '127.0.0.1', String(port), '-c', '2', '-d', '1', '--answer-timeout', '200', '--json']);
  // nothing was answered: the run is a failure, with its report all the same
  assert.equal(r.code, 4, r.stderr);
  const rep = report(r);
  assert.equal(rep.established, 2);
  assert.equal(rep.dropped, 2);
  assert.deepEqual(rep.errors, { ETIMEDOUT: 2 });
  const bad = await cli(['load', '127.0.0.1', String(port), '--answer-timeout', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--answer-timeout must be/);
});
