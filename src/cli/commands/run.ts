// `sockit run <scenario>` and `sockit replay <capture>`: play steps against real peers, exit 0 when every expectation held.
import { existsSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import type { ScenarioSpec } from '../../scenario/scenario-format.js';
import type { ScenarioResult } from '../../scenario/runner.js';
import { SockitError, UsageError } from '../../errors.js';
import { parseHost, parsePort } from '../../wire/endpoint.js';
import { addOutputOptions, collect, Output, RawOptions, readOutputOptions, type CommandResult, type OutputOptions, type Runner } from '../command.js';
import { onStopSignal } from '../signals.js';
import { WORKSPACE_FILE } from '../../bridge/protocol-workspace.js';
import { declared, subcommand } from '../declare.js';

/** Registers `run` and `replay`. */
export function registerRun(program: Command, run: Runner): void {
  const cmd = subcommand(program, 'run', 'play a scenario file (YAML or JSON: connect, listen, accept, send, expect, ...); exit 0 when every expectation held, 1 with a report when one did not', ['<scenario>', 'the scenario file, or the name of a scenario in the workspace (sockit.json)'])
    .option('-w, --workspace <file>', 'the workspace whose scenario <scenario> names (default: sockit.json here, when <scenario> is no file)')
    .option('--var <name=value>', 'set a variable (repeatable); replaces the file\'s default', collect)
    .option('--junit <file>', 'also write a JUnit XML report, for CI');
  addOutputOptions(cmd, 'one JSON event per step and a final result on stdout');
  declared(cmd, [
    'sockit run examples/modbus-read.yaml --var port=5020',
    'sockit run examples/welcome-hello-exit.yaml --junit report.xml',
    'sockit run fake-device.yaml --json',
    'sockit run smoke                     # the scenario named smoke in ./sockit.json',
  ], (file: string, raw: RawOptions) => run(() => runFile(file, raw)));

  const replay = subcommand(program, 'replay', 'play one side of a capture (--capture) against a real peer, with its original timing; --check compares the answers with the recorded ones', ['<capture>', 'the capture file'])
    .option('--as <side>', "the side to play: client (connect and send what the client sent) or server (listen and answer as the server did)", 'client')
    .option('--host <host>', 'the peer to play against (client) or the address to listen on (server); default: as captured')
    .option('--port <port>', 'its port; default: as captured')
    .option('--conn <n>', "which connection of the capture (its 'conn' number); default: the first")
    .option('--speed <n>', 'play this many times faster than captured', '1')
    .option('--fast', 'no pauses at all')
    .option('--check', 'expect the answers the capture recorded: exit 1 with a report when they differ')
    .option('--within <ms>', 'with --check: how long each answer may take', '5000')
    .option('--junit <file>', 'with --check: also write a JUnit XML report');
  addOutputOptions(replay, 'one JSON event per step and a final result on stdout');
  declared(replay, [
    'sockit replay session.ndjson --fast --check',
    'sockit replay session.ndjson.gz --speed 10 --host 127.0.0.1 --port 8000',
    'sockit replay session.ndjson --as server --port 9000',
  ], (file: string, raw: RawOptions) => run(() => replayFile(file, raw)));
}

function readVars(list: string[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const item of list ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(item);
    if (!m) throw new UsageError(`--var must be name=value, got '${item}'`);
    vars[m[1]!] = m[2]!;
  }
  return vars;
}

async function runFile(file: string, raw: RawOptions): Promise<CommandResult> {
  // loaded when used: the sessions behind scenarios (and the ws package) stay out of every other command's start-up
  const { loadScenario } = await import('../../scenario/scenario-format.js');
  const workspace = raw.text('workspace');
  let spec: ScenarioSpec;
  if (workspace !== undefined || (!existsSync(file) && existsSync(WORKSPACE_FILE))) {
    const { loadWorkspace, workspaceScenario } = await import('../../workspace/workspace-file.js');
    spec = workspaceScenario(loadWorkspace(workspace), file);
  } else {
    spec = loadScenario(file);
  }
  return play(spec, { vars: readVars(raw.list('var')), junit: raw.text('junit'), output: readOutputOptions(raw) });
}

async function replayFile(file: string, raw: RawOptions): Promise<CommandResult> {
  const as = raw.text('as');
  if (as !== 'client' && as !== 'server') throw new UsageError(`--as must be client or server, got '${as}'`);
  const speedText = raw.text('speed') ?? '1';
  const speed = Number(speedText);
  if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed must be a number above 0, got '${speedText}'`);
  const check = raw.flag('check');
  const connText = raw.text('conn');
  const { scenarioFromCapture } = await import('../../scenario/from-capture.js');
  const spec = await scenarioFromCapture(file, {
    as, conn: connText === undefined ? undefined : raw.whole('conn', '--conn', 1), within: raw.whole('within', '--within', 1),
  });
  // without --check the answers are read but not compared: each expect becomes "something arrived" or nothing
  if (!check) spec.steps = spec.steps.filter((s) => typeof s === 'string' || !('expect' in s));
  const vars: Record<string, string> = {};
  const host = raw.text('host');
  if (host !== undefined) vars.host = parseHost(host, '--host');
  const port = raw.text('port');
  if (port !== undefined) vars.port = String(parsePort(port, '--port', { allowZero: as === 'server' }));
  return play(spec, { vars, junit: raw.text('junit'), output: readOutputOptions(raw), sleepScale: raw.flag('fast') ? 0 : 1 / speed });
}

async function play(spec: ScenarioSpec, o: { vars: Record<string, string>; junit?: string; output: OutputOptions; sleepScale?: number }): Promise<CommandResult> {
  const { runScenario } = await import('../../scenario/runner.js');
  const { formatJunit, formatReport, stepEvent } = await import('../../scenario/report.js');
  const output = new Output(o.output);
  const { out, err, c } = output;
  const stop = new AbortController();
  const unregister = onStopSignal(() => stop.abort());
  let result: ScenarioResult;
  try {
    result = await runScenario(spec, {
      vars: o.vars, signal: stop.signal, sleepScale: o.sleepScale,
      onListening: (name, protocol, port) => {
        if (output.json) output.event('listening', { name, protocol, port });
        else err.line(c.dim(`${name}: listening on ${protocol} port ${port}`));
        output.flush();
      },
      onStep: (r) => {
        if (output.json) output.event('step', stepEvent(r));
        output.flush();
      },
    });
  } finally {
    unregister();
  }
  if (output.json) output.event('result', { name: result.name, ok: result.ok, steps: result.steps.length, failed: result.steps.filter((r) => !r.ok).length, durationMs: result.durationMs, vars: result.vars });
  else {
    const color = (s: string, k: 'ok' | 'fail' | 'dim') => (k === 'ok' ? c.in(s) : k === 'fail' ? c.err(s) : c.dim(s));
    out.write(formatReport(result, { color }));
  }
  if (o.junit) {
    try {
      writeFileSync(o.junit, formatJunit(result));
    } catch (e) {
      throw new SockitError('SOCKIT_ERR_FILE', `--junit: cannot write ${o.junit}: ${(e as Error).message}`, { cause: e, exitCode: 2 });
    }
  }
  output.flush();
  // stopped by Ctrl-C: a fake server's normal end, not a failure
  if (stop.signal.aborted) return 0;
  return result.ok ? 0 : 1;
}
